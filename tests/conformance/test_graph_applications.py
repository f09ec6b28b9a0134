"""msgraph-sdk: applications — create, get (by id and appId), list with $filter/$select/$top
and paging, update and read back, the uniqueName upsert, soft delete, deletedItems and restore."""

from __future__ import annotations

import datetime as dt

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.applications.applications_request_builder import ApplicationsRequestBuilder
from msgraph.generated.applications.item.application_item_request_builder import (
    ApplicationItemRequestBuilder,
)
from msgraph.generated.models.api_application import ApiApplication
from msgraph.generated.models.app_role import AppRole
from msgraph.generated.models.application import Application
from msgraph.generated.models.application_collection_response import (
    ApplicationCollectionResponse,
)
from msgraph.generated.models.implicit_grant_settings import ImplicitGrantSettings
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.required_resource_access import RequiredResourceAccess
from msgraph.generated.models.resource_access import ResourceAccess
from msgraph.generated.models.web_application import WebApplication
from msgraph_core.tasks.page_iterator import PageIterator

from conftest import GRAPH_TIME, is_guid, unique

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
USER_READ_ALL_ROLE = "df021288-bdef-4463-88db-98f22de89214"


def list_config(**query):
    return RequestConfiguration(
        query_parameters=ApplicationsRequestBuilder.ApplicationsRequestBuilderGetQueryParameters(
            **query
        )
    )


@pytest.fixture()
def new_app(graph, run):
    """Creates an application and deletes (and purges) it after the test."""
    created: list[str] = []

    def make(**fields) -> Application:
        fields.setdefault("display_name", unique("conformance-app"))
        fields.setdefault("sign_in_audience", "AzureADMyOrg")
        app = run(graph.applications.post(Application(**fields)))
        created.append(app.id)
        return app

    yield make
    for app_id in created:
        try:
            run(graph.applications.by_application_id(app_id).delete())
        except ODataError:
            pass
        try:
            run(graph.directory.deleted_items.by_directory_object_id(app_id).delete())
        except ODataError:
            pass


def test_create_returns_201_with_server_ids_and_defaults(graph, run, recorder, new_app):
    name = unique("create")
    app = new_app(display_name=name, tags=["conformance", "registrar"], notes="made by the suite")
    assert is_guid(app.id) and is_guid(app.app_id) and app.id != app.app_id
    assert app.display_name == name
    assert app.sign_in_audience == "AzureADMyOrg"
    assert app.tags == ["conformance", "registrar"]
    assert app.notes == "made by the suite"
    assert app.identifier_uris == [] and app.app_roles == [] and app.password_credentials == []
    assert app.api.requested_access_token_version == 2
    assert app.web.implicit_grant_settings.enable_id_token_issuance is False
    assert app.publisher_domain
    assert isinstance(app.created_date_time, dt.datetime)
    assert app.created_date_time.tzinfo is not None
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - app.created_date_time).total_seconds()) < 120

    status, body = recorder.last("POST", "/v1.0/applications")
    assert status == 201
    assert body["@odata.context"].endswith("/v1.0/$metadata#applications/$entity")
    assert GRAPH_TIME.match(body["createdDateTime"]), body["createdDateTime"]
    assert body["deletedDateTime"] is None


def test_bare_create_uses_documented_default_audience(new_app):
    app = new_app(sign_in_audience=None)
    assert app.sign_in_audience == "AzureADandPersonalMicrosoftAccount"


def test_get_by_id_and_by_app_id_round_trip(graph, run, recorder, new_app):
    app = new_app(
        web=WebApplication(
            redirect_uris=["https://localhost/callback"],
            implicit_grant_settings=ImplicitGrantSettings(enable_id_token_issuance=True),
        ),
        required_resource_access=[
            RequiredResourceAccess(
                resource_app_id=GRAPH_APP_ID,
                resource_access=[ResourceAccess(id=USER_READ_ALL_ROLE, type="Role")],
            )
        ],
    )
    fetched = run(graph.applications.by_application_id(app.id).get())
    assert fetched.id == app.id and fetched.app_id == app.app_id
    assert fetched.display_name == app.display_name
    assert fetched.web.redirect_uris == ["https://localhost/callback"]
    assert fetched.web.implicit_grant_settings.enable_id_token_issuance is True
    access = fetched.required_resource_access[0]
    assert access.resource_app_id == GRAPH_APP_ID
    assert str(access.resource_access[0].id) == USER_READ_ALL_ROLE
    assert access.resource_access[0].type == "Role"
    assert fetched.created_date_time == app.created_date_time

    by_app_id = run(graph.applications_with_app_id(app.app_id).get())
    assert by_app_id.id == app.id


def test_get_with_select_returns_only_selected(graph, run, recorder, new_app):
    app = new_app()
    config = RequestConfiguration(
        query_parameters=ApplicationItemRequestBuilder.ApplicationItemRequestBuilderGetQueryParameters(
            select=["id", "appId", "displayName"]
        )
    )
    fetched = run(graph.applications.by_application_id(app.id).get(request_configuration=config))
    assert fetched.id == app.id and fetched.app_id == app.app_id
    assert fetched.display_name == app.display_name
    assert fetched.sign_in_audience is None and fetched.created_date_time is None
    status, body = recorder.last("GET", app.id)
    assert status == 200
    assert body["@odata.context"].endswith("#applications(id,appId,displayName)/$entity")
    assert set(body) == {"@odata.context", "id", "appId", "displayName"}


def test_list_with_filter_and_select(graph, run, recorder, new_app):
    app = new_app(tags=["filter-me"])
    new_app()  # another one the filter must leave out
    page = run(
        graph.applications.get(
            request_configuration=list_config(
                filter=f"appId eq '{app.app_id}'", select=["id", "appId", "displayName", "tags"]
            )
        )
    )
    assert [found.id for found in page.value] == [app.id]
    assert page.value[0].tags == ["filter-me"]
    assert page.value[0].sign_in_audience is None
    assert page.odata_next_link is None
    status, body = recorder.last("GET", "/v1.0/applications?")
    assert status == 200
    assert body["@odata.context"].endswith("#applications(id,appId,displayName,tags)")

    by_name = run(
        graph.applications.get(
            request_configuration=list_config(filter=f"displayName eq '{app.display_name}'")
        )
    )
    assert [found.id for found in by_name.value] == [app.id]
    by_tag = run(
        graph.applications.get(
            request_configuration=list_config(filter="tags/any(t:t eq 'filter-me')")
        )
    )
    assert app.id in [found.id for found in by_tag.value]


def test_paging_with_top_follows_next_links(graph, run, new_app):
    prefix = unique("paging")
    made = {new_app(display_name=f"{prefix}-{index}").id for index in range(7)}
    first = run(
        graph.applications.get(
            request_configuration=list_config(
                filter=f"startswith(displayName,'{prefix}')", top=3, select=["id", "displayName"]
            )
        )
    )
    assert len(first.value) == 3
    assert first.odata_next_link and "$skiptoken=" in first.odata_next_link
    assert "%24top=3" in first.odata_next_link or "$top=3" in first.odata_next_link

    seen: list[str] = []

    def collect(app: Application) -> bool:
        assert app.display_name.startswith(prefix)
        seen.append(app.id)
        return True

    iterator = PageIterator(first, graph.request_adapter)
    run(iterator.iterate(collect))
    assert len(seen) == 7 and set(seen) == made


def test_with_url_follows_next_link_unchanged(graph, run, new_app):
    prefix = unique("nextlink")
    made = {new_app(display_name=f"{prefix}-{index}").id for index in range(5)}
    page = run(
        graph.applications.get(
            request_configuration=list_config(filter=f"startswith(displayName,'{prefix}')", top=2)
        )
    )
    seen = [app.id for app in page.value]
    pages = 1
    while page.odata_next_link:
        page = run(graph.applications.with_url(page.odata_next_link).get())
        seen.extend(app.id for app in page.value)
        pages += 1
    assert pages == 3
    assert len(seen) == 5 and set(seen) == made


def test_update_then_read_back(graph, run, recorder, new_app):
    app = new_app(tags=["old"], notes="before")
    role_id = "8c3f3b1f-5f0a-4f3e-9f0e-0c8f4f6f6a11"
    patch = Application(
        display_name=app.display_name + "-renamed",
        tags=["new-1", "new-2"],
        identifier_uris=[f"api://{app.app_id}"],
        app_roles=[
            AppRole(
                id=role_id,
                value="Conformance.Run",
                display_name="Run conformance",
                description="Runs the suite",
                allowed_member_types=["Application"],
                is_enabled=True,
            )
        ],
        api=ApiApplication(requested_access_token_version=2),
    )
    result = run(graph.applications.by_application_id(app.id).patch(patch))
    assert result is None  # 204 No Content
    status, body = recorder.last("PATCH", app.id)
    assert status == 204 and body is None

    fetched = run(graph.applications.by_application_id(app.id).get())
    assert fetched.display_name == app.display_name + "-renamed"
    assert fetched.tags == ["new-1", "new-2"]  # collections are replaced, not merged
    assert fetched.notes == "before"  # properties left out keep their values
    assert fetched.identifier_uris == [f"api://{app.app_id}"]
    assert [str(role.id) for role in fetched.app_roles] == [role_id]
    assert fetched.app_roles[0].value == "Conformance.Run"
    assert fetched.app_roles[0].origin == "Application"


def test_upsert_by_unique_name(graph, run, recorder):
    name = unique("upsert")
    config = RequestConfiguration()
    config.headers.add("Prefer", "create-if-missing")
    builder = graph.applications_with_unique_name(name)
    created = run(
        builder.patch(
            Application(display_name=name, sign_in_audience="AzureADMyOrg"),
            request_configuration=config,
        )
    )
    try:
        assert created is not None and is_guid(created.id)
        assert created.unique_name == name
        assert recorder.last("PATCH", "uniqueName")[0] == 201
        again = run(
            builder.patch(Application(display_name=name + "-2"), request_configuration=config)
        )
        assert again is None
        assert recorder.last("PATCH", "uniqueName")[0] == 204
        fetched = run(graph.applications.by_application_id(created.id).get())
        assert fetched.display_name == name + "-2"
    finally:
        run(graph.applications.by_application_id(created.id).delete())
        run(graph.directory.deleted_items.by_directory_object_id(created.id).delete())


def test_delete_is_soft_and_restorable(graph, run, recorder, new_app):
    app = new_app()
    assert run(graph.applications.by_application_id(app.id).delete()) is None
    assert recorder.last("DELETE", app.id)[0] == 204

    with pytest.raises(ODataError) as caught:
        run(graph.applications.by_application_id(app.id).get())
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"

    deleted = run(graph.directory.deleted_items.by_directory_object_id(app.id).get())
    assert deleted.id == app.id
    assert deleted.odata_type == "#microsoft.graph.application"
    assert isinstance(deleted, Application)
    assert deleted.deleted_date_time is not None
    status, body = recorder.last("GET", f"deletedItems/{app.id}")
    assert GRAPH_TIME.match(body["deletedDateTime"]), body["deletedDateTime"]

    listed = run(graph.directory.deleted_items.graph_application.get())
    assert app.id in [item.id for item in listed.value]

    restored = run(graph.directory.deleted_items.by_directory_object_id(app.id).restore.post())
    assert restored.id == app.id
    assert restored.deleted_date_time is None
    fetched = run(graph.applications.by_application_id(app.id).get())
    assert fetched.app_id == app.app_id


def test_purge_deleted_item(graph, run, recorder):
    app = run(graph.applications.post(Application(display_name=unique("purge"))))
    run(graph.applications.by_application_id(app.id).delete())
    assert run(graph.directory.deleted_items.by_directory_object_id(app.id).delete()) is None
    assert recorder.last("DELETE", f"deletedItems/{app.id}")[0] == 204
    with pytest.raises(ODataError) as caught:
        run(graph.directory.deleted_items.by_directory_object_id(app.id).get())
    assert caught.value.error.code == "Request_ResourceNotFound"
