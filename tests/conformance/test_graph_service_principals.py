"""msgraph-sdk: servicePrincipals (create, get by id and appId, list with $filter, update,
delete) and owners of applications and service principals ($ref add, list, remove)."""

from __future__ import annotations

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.application import Application
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.models.user import User
from msgraph.generated.service_principals.service_principals_request_builder import (
    ServicePrincipalsRequestBuilder,
)

from conftest import GRAPH_TIME, is_guid, unique

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


@pytest.fixture()
def app(graph, run):
    created = run(
        graph.applications.post(
            Application(display_name=unique("sp-app"), sign_in_audience="AzureADMyOrg")
        )
    )
    yield created
    try:
        run(graph.applications.by_application_id(created.id).delete())
        run(graph.directory.deleted_items.by_directory_object_id(created.id).delete())
    except ODataError:
        pass


def sp_filter(text: str):
    return RequestConfiguration(
        query_parameters=ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter=text
        )
    )


def test_service_principal_lifecycle(graph, run, recorder, app):
    sp = run(
        graph.service_principals.post(
            ServicePrincipal(app_id=app.app_id, tags=["WindowsAzureActiveDirectoryIntegratedApp"])
        )
    )
    status, body = recorder.last("POST", "/v1.0/servicePrincipals")
    assert status == 201
    assert body["@odata.context"].endswith("/v1.0/$metadata#servicePrincipals/$entity")
    if body.get("createdDateTime") is not None:
        assert GRAPH_TIME.match(body["createdDateTime"]), body["createdDateTime"]
    assert is_guid(sp.id) and sp.id not in (app.id, app.app_id)
    assert sp.app_id == app.app_id
    assert sp.display_name == app.display_name
    assert sp.app_display_name == app.display_name
    assert sp.service_principal_type == "Application"
    assert sp.account_enabled is True
    assert sp.tags == ["WindowsAzureActiveDirectoryIntegratedApp"]
    assert app.app_id in sp.service_principal_names

    by_id = run(graph.service_principals.by_service_principal_id(sp.id).get())
    assert by_id.id == sp.id and by_id.app_id == app.app_id
    by_app_id = run(graph.service_principals_with_app_id(app.app_id).get())
    assert by_app_id.id == sp.id

    listed = run(graph.service_principals.get(request_configuration=sp_filter(f"appId eq '{app.app_id}'")))
    assert [item.id for item in listed.value] == [sp.id]

    assert (
        run(
            graph.service_principals.by_service_principal_id(sp.id).patch(
                ServicePrincipal(app_role_assignment_required=True, notes="patched")
            )
        )
        is None
    )
    fetched = run(graph.service_principals.by_service_principal_id(sp.id).get())
    assert fetched.app_role_assignment_required is True
    assert fetched.notes == "patched"

    assert run(graph.service_principals.by_service_principal_id(sp.id).delete()) is None
    assert recorder.last("DELETE", sp.id)[0] == 204
    with pytest.raises(ODataError) as caught:
        run(graph.service_principals.by_service_principal_id(sp.id).get())
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"


def test_first_party_microsoft_graph_service_principal(graph, run):
    sp = run(graph.service_principals_with_app_id(GRAPH_APP_ID).get())
    assert sp.app_id == GRAPH_APP_ID
    assert sp.display_name == "Microsoft Graph"
    roles = {role.value: role for role in sp.app_roles}
    assert str(roles["User.Read.All"].id) == "df021288-bdef-4463-88db-98f22de89214"
    assert "Application" in roles["User.Read.All"].allowed_member_types
    scopes = {scope.value: scope for scope in sp.oauth2_permission_scopes}
    assert str(scopes["User.Read.All"].id) == "a154be20-db9c-4678-8ab7-66f6cc099a59"
    listed = run(
        graph.service_principals.get(request_configuration=sp_filter("displayName eq 'Microsoft Graph'"))
    )
    assert sp.id in [item.id for item in listed.value]


def test_second_service_principal_for_same_app_is_rejected(graph, run, app):
    first = run(graph.service_principals.post(ServicePrincipal(app_id=app.app_id)))
    try:
        with pytest.raises(ODataError) as caught:
            run(graph.service_principals.post(ServicePrincipal(app_id=app.app_id)))
        assert caught.value.response_status_code in (400, 409)
        assert caught.value.error.code
    finally:
        run(graph.service_principals.by_service_principal_id(first.id).delete())


def test_service_principal_for_unknown_app_is_no_backing_application(graph, run):
    with pytest.raises(ODataError) as caught:
        run(graph.service_principals.post(ServicePrincipal(app_id="0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9")))
    assert caught.value.response_status_code == 400
    assert caught.value.error.code == "Request_BadRequest"
    assert caught.value.error.details[0].code == "NoBackingApplicationObject"


def first_user(graph, run) -> User:
    users = run(graph.users.get())
    assert users.value, "the local tenant seeds users"
    return users.value[0]


def test_application_owners_add_list_remove(graph, run, recorder, app, info):
    user = first_user(graph, run)
    owners = graph.applications.by_application_id(app.id).owners
    reference = ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{user.id}")
    assert run(owners.ref.post(reference)) is None
    assert recorder.last("POST", "/owners/$ref")[0] == 204

    listed = run(owners.get())
    assert [owner.id for owner in listed.value] == [user.id]
    assert listed.value[0].odata_type == "#microsoft.graph.user"
    assert isinstance(listed.value[0], User)
    assert listed.value[0].user_principal_name == user.user_principal_name

    with pytest.raises(ODataError) as caught:
        run(owners.ref.post(reference))
    assert caught.value.response_status_code == 400
    assert caught.value.error.code == "Request_BadRequest"

    assert run(owners.by_directory_object_id(user.id).ref.delete()) is None
    assert recorder.last("DELETE", f"/owners/{user.id}/$ref")[0] == 204
    assert run(owners.get()).value == []


def test_service_principal_as_owner_and_sp_owners(graph, run, app):
    sp = run(graph.service_principals.post(ServicePrincipal(app_id=app.app_id)))
    try:
        owners = graph.applications.by_application_id(app.id).owners
        run(owners.ref.post(ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{sp.id}")))
        listed = run(owners.get())
        assert [owner.id for owner in listed.value] == [sp.id]
        assert listed.value[0].odata_type == "#microsoft.graph.servicePrincipal"
        assert isinstance(listed.value[0], ServicePrincipal)

        user = first_user(graph, run)
        sp_owners = graph.service_principals.by_service_principal_id(sp.id).owners
        run(sp_owners.ref.post(ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{user.id}")))
        assert [owner.id for owner in run(sp_owners.get()).value] == [user.id]
    finally:
        run(graph.service_principals.by_service_principal_id(sp.id).delete())
