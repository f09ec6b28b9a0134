"""msgraph-sdk: client secrets (addPassword / removePassword, and the new secret working at the
token endpoint) and federated identity credentials (create, list, get, update, upsert, delete)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.applications.item.add_password.add_password_post_request_body import (
    AddPasswordPostRequestBody,
)
from msgraph.generated.applications.item.federated_identity_credentials.federated_identity_credentials_request_builder import (
    FederatedIdentityCredentialsRequestBuilder,
)
from msgraph.generated.applications.item.remove_password.remove_password_post_request_body import (
    RemovePasswordPostRequestBody,
)
from msgraph.generated.models.application import Application
from msgraph.generated.models.federated_identity_credential import FederatedIdentityCredential
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.password_credential import PasswordCredential
from msgraph.generated.models.service_principal import ServicePrincipal

from conftest import GRAPH_SCOPE, GRAPH_TIME, is_guid, make_credential, unique

EXCHANGE = "api://AzureADTokenExchange"
ISSUER = "https://token.actions.githubusercontent.com"


@pytest.fixture()
def app(graph, run):
    created = run(
        graph.applications.post(
            Application(display_name=unique("cred-app"), sign_in_audience="AzureADMyOrg")
        )
    )
    yield created
    try:
        run(graph.applications.by_application_id(created.id).delete())
        run(graph.directory.deleted_items.by_directory_object_id(created.id).delete())
    except ODataError:
        pass


def test_add_password_returns_secret_once(graph, run, recorder, app):
    end = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=30)
    body = AddPasswordPostRequestBody(
        password_credential=PasswordCredential(display_name="ci", end_date_time=end)
    )
    created = run(graph.applications.by_application_id(app.id).add_password.post(body))
    status, raw = recorder.last("POST", "/addPassword")
    assert status == 200
    assert raw["@odata.context"].endswith("/v1.0/$metadata#microsoft.graph.passwordCredential")
    assert GRAPH_TIME.match(raw["startDateTime"]) and GRAPH_TIME.match(raw["endDateTime"])
    assert isinstance(created.key_id, uuid.UUID)
    assert created.display_name == "ci"
    assert 16 <= len(created.secret_text) <= 64
    assert created.hint == created.secret_text[:3]
    assert created.end_date_time == end
    assert created.start_date_time <= dt.datetime.now(dt.timezone.utc)

    fetched = run(graph.applications.by_application_id(app.id).get())
    [stored] = fetched.password_credentials
    assert stored.key_id == created.key_id
    assert stored.secret_text is None
    assert stored.hint == created.hint
    assert stored.display_name == "ci"


def test_add_password_defaults_to_two_years(graph, run, app):
    created = run(
        graph.applications.by_application_id(app.id).add_password.post(
            AddPasswordPostRequestBody(password_credential=PasswordCredential())
        )
    )
    lifetime = created.end_date_time - created.start_date_time
    assert dt.timedelta(days=729) <= lifetime <= dt.timedelta(days=731)


def test_added_secret_gets_a_token_and_removed_secret_does_not(graph, run, recorder, app, info):
    run(graph.service_principals.post(ServicePrincipal(app_id=app.app_id)))
    created = run(
        graph.applications.by_application_id(app.id).add_password.post(
            AddPasswordPostRequestBody(password_credential=PasswordCredential(display_name="login"))
        )
    )
    credential = make_credential(info, secret=created.secret_text, client_id=app.app_id)
    try:
        assert credential.get_token(GRAPH_SCOPE).token
    finally:
        credential.close()

    body = RemovePasswordPostRequestBody(key_id=created.key_id)
    assert run(graph.applications.by_application_id(app.id).remove_password.post(body)) is None
    assert recorder.last("POST", "/removePassword")[0] == 204
    assert run(graph.applications.by_application_id(app.id).get()).password_credentials == []

    credential = make_credential(info, secret=created.secret_text, client_id=app.app_id)
    try:
        with pytest.raises(ClientAuthenticationError) as caught:
            credential.get_token(GRAPH_SCOPE)
    finally:
        credential.close()
    assert "AADSTS7000215" in str(caught.value)


def test_remove_unknown_password_is_404(graph, run, app):
    with pytest.raises(ODataError) as caught:
        run(
            graph.applications.by_application_id(app.id).remove_password.post(
                RemovePasswordPostRequestBody(key_id=uuid.uuid4())
            )
        )
    assert caught.value.response_status_code in (400, 404)
    assert caught.value.error.code


def fic(name: str, subject: str, description: str | None = None) -> FederatedIdentityCredential:
    return FederatedIdentityCredential(
        name=name, issuer=ISSUER, subject=subject, audiences=[EXCHANGE], description=description
    )


def test_federated_identity_credentials_lifecycle(graph, run, recorder, app):
    fics = graph.applications.by_application_id(app.id).federated_identity_credentials
    created = run(fics.post(fic("main", "repo:contoso/app:ref:refs/heads/main", "main branch")))
    status, raw = recorder.last("POST", "/federatedIdentityCredentials")
    assert status == 201
    assert raw["@odata.context"].endswith(
        f"/v1.0/$metadata#applications('{app.id}')/federatedIdentityCredentials/$entity"
    )
    assert is_guid(created.id)
    assert created.name == "main"
    assert created.issuer == ISSUER
    assert created.subject == "repo:contoso/app:ref:refs/heads/main"
    assert created.audiences == [EXCHANGE]
    assert created.description == "main branch"

    run(fics.post(fic("pr", "repo:contoso/app:pull_request")))
    listed = run(fics.get())
    assert sorted(item.name for item in listed.value) == ["main", "pr"]

    config = RequestConfiguration(
        query_parameters=FederatedIdentityCredentialsRequestBuilder.FederatedIdentityCredentialsRequestBuilderGetQueryParameters(
            filter="subject eq 'repo:contoso/app:pull_request'"
        )
    )
    filtered = run(fics.get(request_configuration=config))
    assert [item.name for item in filtered.value] == ["pr"]

    item = fics.by_federated_identity_credential_id(created.id)
    got = run(item.get())
    assert got.id == created.id and got.name == "main"

    patch = FederatedIdentityCredential(subject="repo:contoso/app:environment:prod", description="prod")
    assert run(item.patch(patch)) is None
    assert recorder.last("PATCH", "/federatedIdentityCredentials/")[0] == 204
    got = run(item.get())
    assert got.subject == "repo:contoso/app:environment:prod"
    assert got.description == "prod"
    assert got.name == "main" and got.issuer == ISSUER

    assert run(item.delete()) is None
    assert recorder.last("DELETE", "/federatedIdentityCredentials/")[0] == 204
    assert [item.name for item in run(fics.get()).value] == ["pr"]
    with pytest.raises(ODataError) as caught:
        run(item.get())
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"


def test_federated_identity_credential_upsert_by_name(graph, run, recorder, app):
    builder = graph.applications.by_application_id(app.id).federated_identity_credentials_with_name("deploy")
    config = RequestConfiguration()
    config.headers.add("Prefer", "create-if-missing")
    created = run(builder.patch(fic("deploy", "repo:contoso/app:environment:dev"), request_configuration=config))
    assert recorder.last("PATCH", "federatedIdentityCredentials(name=")[0] == 201
    assert created is not None and created.name == "deploy" and is_guid(created.id)
    again = run(builder.patch(fic("deploy", "repo:contoso/app:environment:test"), request_configuration=config))
    assert again is None
    assert recorder.last("PATCH", "federatedIdentityCredentials(name=")[0] == 204
    got = run(builder.get())
    assert got.subject == "repo:contoso/app:environment:test"


def test_federated_identity_credential_rules(graph, run, app):
    fics = graph.applications.by_application_id(app.id).federated_identity_credentials
    run(fics.post(fic("one", "subject-one")))
    with pytest.raises(ODataError) as same_pair:
        run(fics.post(fic("two", "subject-one")))
    assert same_pair.value.response_status_code == 400
    assert same_pair.value.error.code == "Request_BadRequest"
    bad = FederatedIdentityCredential(name="three", issuer=ISSUER, subject="s3", audiences=[EXCHANGE, "other"])
    with pytest.raises(ODataError) as two_audiences:
        run(fics.post(bad))
    assert two_audiences.value.response_status_code == 400
