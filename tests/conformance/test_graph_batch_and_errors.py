"""msgraph-sdk: JSON batching through BatchRequestContent, and the error path (404, 400 and 401
surface as the SDK's typed ODataError / APIError with Graph's codes)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.applications.applications_request_builder import ApplicationsRequestBuilder
from msgraph.generated.applications.item.application_item_request_builder import (
    ApplicationItemRequestBuilder,
)
from msgraph.generated.models.application import Application
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

from conftest import is_guid, unique


def relative(item: BatchRequestItem, info) -> BatchRequestItem:
    """Graph wants relative urls inside a batch. msgraph-core 1.5 keeps whatever
    RequestInformation.url gives, which is absolute once the client has sent a request
    (msgraph-sdk-python#1015, msgraph-sdk-python-core#1116), so strip the base the way those
    issues suggest. This shapes the request as Graph documents it; the emulator is not bent."""
    item.url = item.url.removeprefix(f"{info['url']}/v1.0")
    return item


def test_batch_create_get_and_missing(graph, run, recorder, info):
    name = unique("batch")
    create = BatchRequestItem(
        graph.applications.to_post_request_information(
            Application(display_name=name, sign_in_audience="AzureADMyOrg")
        ),
        id="create",
    )
    missing_id = str(uuid.uuid4())
    missing = BatchRequestItem(
        graph.applications.by_application_id(missing_id).to_get_request_information(),
        id="missing",
    )
    existing = run(graph.applications.post(Application(display_name=unique("batch-existing"))))
    got = BatchRequestItem(
        graph.applications.by_application_id(existing.id).to_get_request_information(
            RequestConfiguration(
                query_parameters=ApplicationItemRequestBuilder.ApplicationItemRequestBuilderGetQueryParameters(
                    select=["id", "displayName"]
                )
            )
        ),
        id="get",
    )
    content = BatchRequestContent({"create": create, "missing": missing})
    content.add_request("get", got)
    for item in content.requests.values():
        relative(item, info)
    assert content.requests["create"].url == "/applications"

    result = run(graph.batch.post(batch_request_content=content))
    status, raw = recorder.last("POST", "/v1.0/$batch")
    assert status == 200
    statuses = result.get_response_status_codes()
    assert statuses == {"create": 201, "missing": 404, "get": 200}
    headers = result.get_response_by_id("create").headers
    assert any(
        key.lower() == "content-type" and value.startswith("application/json")
        for key, value in headers.items()
    )

    # msgraph-core 1.5's BatchResponseContent.response_body() only decodes base64 bodies, while
    # Graph (and the emulator) send JSON bodies inline, so the bodies are checked on the wire.
    bodies = {item["id"]: item.get("body") for item in raw["responses"]}
    app = bodies["create"]
    assert app["displayName"] == name and is_guid(app["id"]) and is_guid(app["appId"])
    assert bodies["missing"]["error"]["code"] == "Request_ResourceNotFound"
    assert bodies["get"]["id"] == existing.id
    assert bodies["get"]["displayName"] == existing.display_name
    assert bodies["get"]["@odata.context"].endswith("#applications(id,displayName)/$entity")

    fetched = run(graph.applications.by_application_id(app["id"]).get())
    assert fetched.display_name == name
    run(graph.applications.by_application_id(app["id"]).delete())
    run(graph.directory.deleted_items.by_directory_object_id(app["id"]).delete())
    run(graph.applications.by_application_id(existing.id).delete())


def test_batch_with_absolute_url_is_rejected_like_graph(graph, run, info):
    item = BatchRequestItem(graph.applications.to_get_request_information(), id="1")
    item.url = f"{info['url']}/v1.0/applications"
    with pytest.raises(APIError) as caught:
        run(graph.batch.post(batch_request_content=BatchRequestContent({"1": item})))
    assert caught.value.response_status_code == 400


def test_missing_application_is_404_request_resource_not_found(graph, run, recorder):
    missing = str(uuid.uuid4())
    with pytest.raises(ODataError) as caught:
        run(graph.applications.by_application_id(missing).get())
    error = caught.value
    assert error.response_status_code == 404
    assert error.error.code == "Request_ResourceNotFound"
    assert missing in error.error.message
    inner = error.error.inner_error
    assert inner is not None and is_guid(inner.request_id) and is_guid(inner.client_request_id)
    assert inner.date is not None
    assert error.response_headers.get("request-id") == inner.request_id


def test_missing_service_principal_by_app_id_is_404(graph, run):
    with pytest.raises(ODataError) as caught:
        run(graph.service_principals_with_app_id(str(uuid.uuid4())).get())
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"


def test_create_without_display_name_is_400_bad_request(graph, run):
    with pytest.raises(ODataError) as caught:
        run(graph.applications.post(Application(sign_in_audience="AzureADMyOrg")))
    assert caught.value.response_status_code == 400
    assert caught.value.error.code == "Request_BadRequest"


def test_invalid_property_value_is_400(graph, run):
    with pytest.raises(ODataError) as caught:
        run(graph.applications.post(Application(display_name=unique("bad"), sign_in_audience="Nobody")))
    assert caught.value.response_status_code == 400
    assert caught.value.error.code == "Request_BadRequest"


def test_password_credentials_cannot_be_sent_on_create(graph, run):
    from msgraph.generated.models.password_credential import PasswordCredential

    with pytest.raises(ODataError) as caught:
        run(
            graph.applications.post(
                Application(display_name=unique("pw"), password_credentials=[PasswordCredential(display_name="x")])
            )
        )
    assert caught.value.response_status_code == 400
    assert caught.value.error.code == "Request_BadRequest"


def test_invalid_filter_is_400(graph, run):
    config = RequestConfiguration(
        query_parameters=ApplicationsRequestBuilder.ApplicationsRequestBuilderGetQueryParameters(
            filter="displayName eq"
        )
    )
    with pytest.raises(ODataError) as caught:
        run(graph.applications.get(request_configuration=config))
    assert caught.value.response_status_code == 400
    assert caught.value.error.code in ("Request_BadRequest", "BadRequest")


def test_advanced_query_without_consistency_level_is_unsupported_query(graph, run):
    config = RequestConfiguration(
        query_parameters=ApplicationsRequestBuilder.ApplicationsRequestBuilderGetQueryParameters(
            filter="displayName ne 'x'"
        )
    )
    with pytest.raises(ODataError) as caught:
        run(graph.applications.get(request_configuration=config))
    assert caught.value.response_status_code == 400
    assert caught.value.error.code == "Request_UnsupportedQuery"


def test_advanced_query_with_consistency_level_counts(graph, run, recorder):
    config = RequestConfiguration(
        query_parameters=ApplicationsRequestBuilder.ApplicationsRequestBuilderGetQueryParameters(
            filter="displayName ne 'no-such-app'", count=True, top=1
        )
    )
    config.headers.add("ConsistencyLevel", "eventual")
    page = run(graph.applications.get(request_configuration=config))
    assert page.odata_count is not None and page.odata_count >= 1
    assert len(page.value) == 1


def test_missing_token_is_401_invalid_authentication_token(info, run):
    async def call():
        async with httpx.AsyncClient(verify=info["ca_cert"]) as client:
            return await client.get(f"{info['url']}/v1.0/applications")

    response = run(call())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_vault_token_is_refused_by_graph(info, credential, run):
    token = credential.get_token("https://vault.azure.net/.default").token

    async def call():
        async with httpx.AsyncClient(verify=info["ca_cert"]) as client:
            return await client.get(
                f"{info['url']}/v1.0/applications", headers={"Authorization": f"Bearer {token}"}
            )

    response = run(call())
    assert response.status_code == 401
    assert json.loads(response.text)["error"]["code"] == "InvalidAuthenticationToken"
