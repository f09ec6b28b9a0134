"""msgraph-sdk: admin consent. App role assignments (application permissions) through
servicePrincipals/{id}/appRoleAssignedTo and /appRoleAssignments, and delegated permission grants
through oauth2PermissionGrants: create, list with $filter, update, delete, typed errors."""

from __future__ import annotations

import re
import uuid

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.application import Application
from msgraph.generated.models.o_auth2_permission_grant import OAuth2PermissionGrant
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.oauth2_permission_grants.oauth2_permission_grants_request_builder import (
    Oauth2PermissionGrantsRequestBuilder,
)
from msgraph.generated.service_principals.item.app_role_assigned_to.app_role_assigned_to_request_builder import (
    AppRoleAssignedToRequestBuilder,
)

from conftest import GRAPH_TIME, is_guid, unique

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
USER_READ_ALL_ROLE = "df021288-bdef-4463-88db-98f22de89214"
# Graph's consent ids: base64url without padding, not GUIDs.
OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


@pytest.fixture()
def client_sp(graph, run):
    """An application and its service principal (the client being consented)."""
    app = run(
        graph.applications.post(
            Application(display_name=unique("consent-app"), sign_in_audience="AzureADMyOrg")
        )
    )
    sp = run(graph.service_principals.post(ServicePrincipal(app_id=app.app_id)))
    yield sp
    try:
        run(graph.applications.by_application_id(app.id).delete())
        run(graph.directory.deleted_items.by_directory_object_id(app.id).delete())
    except ODataError:
        pass


@pytest.fixture(scope="module")
def graph_sp(graph, run) -> ServicePrincipal:
    return run(graph.service_principals_with_app_id(GRAPH_APP_ID).get())


def assigned_to_filter(text: str):
    return RequestConfiguration(
        query_parameters=AppRoleAssignedToRequestBuilder.AppRoleAssignedToRequestBuilderGetQueryParameters(
            filter=text
        )
    )


def grants_filter(text: str):
    return RequestConfiguration(
        query_parameters=Oauth2PermissionGrantsRequestBuilder.Oauth2PermissionGrantsRequestBuilderGetQueryParameters(
            filter=text
        )
    )


def test_app_role_assigned_to_create_list_delete(graph, run, recorder, info, client_sp, graph_sp):
    assigned_to = graph.service_principals.by_service_principal_id(graph_sp.id).app_role_assigned_to
    created = run(
        assigned_to.post(
            AppRoleAssignment(
                principal_id=uuid.UUID(client_sp.id),
                resource_id=uuid.UUID(graph_sp.id),
                app_role_id=uuid.UUID(USER_READ_ALL_ROLE),
            )
        )
    )
    status, body = recorder.last("POST", "/appRoleAssignedTo")
    assert status == 201
    assert body["@odata.context"] == (
        f"{info['url']}/v1.0/$metadata#servicePrincipals('{graph_sp.id}')/appRoleAssignedTo/$entity"
    )
    assert GRAPH_TIME.match(body["createdDateTime"]), body["createdDateTime"]
    assert body["deletedDateTime"] is None
    assert isinstance(created, AppRoleAssignment)
    assert len(created.id) == 43 and OPAQUE_ID.match(created.id) and not is_guid(created.id)
    assert str(created.app_role_id) == USER_READ_ALL_ROLE
    assert str(created.principal_id) == client_sp.id
    assert created.principal_type == "ServicePrincipal"
    assert created.principal_display_name == client_sp.display_name
    assert str(created.resource_id) == graph_sp.id
    assert created.resource_display_name == "Microsoft Graph"
    assert created.created_date_time is not None

    # The client side sees the same assignment; a second role through appRoleAssignments.
    roles = {role.value: role for role in graph_sp.app_roles}
    assignments = graph.service_principals.by_service_principal_id(client_sp.id).app_role_assignments
    second = run(
        assignments.post(
            AppRoleAssignment(
                principal_id=uuid.UUID(client_sp.id),
                resource_id=uuid.UUID(graph_sp.id),
                app_role_id=roles["Application.Read.All"].id,
            )
        )
    )
    assert recorder.last("POST", "/appRoleAssignments")[0] == 201
    held = run(assignments.get())
    assert sorted(item.id for item in held.value) == sorted([created.id, second.id])

    listed = run(assigned_to.get(request_configuration=assigned_to_filter(f"principalId eq {client_sp.id}")))
    assert sorted(item.id for item in listed.value) == sorted([created.id, second.id])
    assert all(str(item.resource_id) == graph_sp.id for item in listed.value)
    only_user_read = run(
        assigned_to.get(
            request_configuration=assigned_to_filter(
                f"principalId eq {client_sp.id} and appRoleId eq {USER_READ_ALL_ROLE}"
            )
        )
    )
    assert [item.id for item in only_user_read.value] == [created.id]

    # Duplicate: 400 Request_BadRequest.
    with pytest.raises(ODataError) as caught:
        run(
            assigned_to.post(
                AppRoleAssignment(
                    principal_id=uuid.UUID(client_sp.id),
                    resource_id=uuid.UUID(graph_sp.id),
                    app_role_id=uuid.UUID(USER_READ_ALL_ROLE),
                )
            )
        )
    assert caught.value.response_status_code == 400
    assert caught.value.error.code == "Request_BadRequest"
    assert caught.value.error.message == "Permission being assigned already exists on the object"

    assert run(assigned_to.by_app_role_assignment_id(created.id).delete()) is None
    assert recorder.last("DELETE", f"/appRoleAssignedTo/{created.id}")[0] == 204
    assert run(assignments.by_app_role_assignment_id(second.id).delete()) is None
    assert run(assignments.get()).value == []
    with pytest.raises(ODataError) as caught:
        run(assigned_to.by_app_role_assignment_id(created.id).delete())
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"


def test_app_role_assignment_errors(graph, run, client_sp, graph_sp):
    assigned_to = graph.service_principals.by_service_principal_id(graph_sp.id).app_role_assigned_to
    # An app role Microsoft Graph does not define.
    with pytest.raises(ODataError) as caught:
        run(
            assigned_to.post(
                AppRoleAssignment(
                    principal_id=uuid.UUID(client_sp.id),
                    resource_id=uuid.UUID(graph_sp.id),
                    app_role_id=uuid.uuid4(),
                )
            )
        )
    assert caught.value.response_status_code == 400
    assert caught.value.error.code == "Request_BadRequest"
    # An unknown principal, an unknown resource.
    with pytest.raises(ODataError) as caught:
        run(
            assigned_to.post(
                AppRoleAssignment(
                    principal_id=uuid.uuid4(),
                    resource_id=uuid.UUID(graph_sp.id),
                    app_role_id=uuid.UUID(USER_READ_ALL_ROLE),
                )
            )
        )
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"
    missing = str(uuid.uuid4())
    with pytest.raises(ODataError) as caught:
        run(
            graph.service_principals.by_service_principal_id(missing).app_role_assigned_to.post(
                AppRoleAssignment(
                    principal_id=uuid.UUID(client_sp.id),
                    resource_id=uuid.UUID(missing),
                    app_role_id=uuid.UUID(USER_READ_ALL_ROLE),
                )
            )
        )
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"


def test_oauth2_permission_grants_create_filter_update_delete(graph, run, recorder, info, client_sp, graph_sp):
    user = run(graph.users.get()).value[0]
    created = run(
        graph.oauth2_permission_grants.post(
            OAuth2PermissionGrant(
                client_id=client_sp.id,
                consent_type="AllPrincipals",
                resource_id=graph_sp.id,
                scope="User.Read.All Group.Read.All",
            )
        )
    )
    status, body = recorder.last("POST", "/v1.0/oauth2PermissionGrants")
    assert status == 201
    assert body["@odata.context"] == f"{info['url']}/v1.0/$metadata#oauth2PermissionGrants/$entity"
    assert body["principalId"] is None
    assert isinstance(created, OAuth2PermissionGrant)
    assert len(created.id) == 43 and OPAQUE_ID.match(created.id) and not is_guid(created.id)
    assert created.client_id == client_sp.id
    assert created.consent_type == "AllPrincipals"
    assert created.principal_id is None
    assert created.resource_id == graph_sp.id
    assert created.scope == "User.Read.All Group.Read.All"

    for_user = run(
        graph.oauth2_permission_grants.post(
            OAuth2PermissionGrant(
                client_id=client_sp.id,
                consent_type="Principal",
                principal_id=user.id,
                resource_id=graph_sp.id,
                scope="User.Read.All",
            )
        )
    )
    assert for_user.principal_id == user.id and for_user.consent_type == "Principal"
    assert len(for_user.id) == 64 and for_user.id != created.id

    # A second AllPrincipals grant for the same (client, resource): 409.
    with pytest.raises(ODataError) as caught:
        run(
            graph.oauth2_permission_grants.post(
                OAuth2PermissionGrant(
                    client_id=client_sp.id,
                    consent_type="AllPrincipals",
                    resource_id=graph_sp.id,
                    scope="User.Read",
                )
            )
        )
    assert caught.value.response_status_code == 409
    assert caught.value.error.code == "Request_MultipleObjectsWithSameKeyValue"

    by_client = run(
        graph.oauth2_permission_grants.get(request_configuration=grants_filter(f"clientId eq '{client_sp.id}'"))
    )
    assert sorted(grant.id for grant in by_client.value) == sorted([created.id, for_user.id])
    all_principals = run(
        graph.oauth2_permission_grants.get(
            request_configuration=grants_filter(
                f"clientId eq '{client_sp.id}' and consentType eq 'AllPrincipals'"
            )
        )
    )
    assert [grant.id for grant in all_principals.value] == [created.id]
    of_user = run(
        graph.oauth2_permission_grants.get(
            request_configuration=grants_filter(
                f"clientId eq '{client_sp.id}' and principalId eq '{user.id}' and resourceId eq '{graph_sp.id}'"
            )
        )
    )
    assert [grant.id for grant in of_user.value] == [for_user.id]
    of_sp = run(graph.service_principals.by_service_principal_id(client_sp.id).oauth2_permission_grants.get())
    assert sorted(grant.id for grant in of_sp.value) == sorted([created.id, for_user.id])

    item = graph.oauth2_permission_grants.by_o_auth2_permission_grant_id(created.id)
    assert run(item.patch(OAuth2PermissionGrant(scope="User.ReadBasic.All Group.ReadWrite.All"))) is None
    assert recorder.last("PATCH", created.id)[0] == 204
    fetched = run(item.get())
    assert fetched.scope == "User.ReadBasic.All Group.ReadWrite.All"
    assert fetched.client_id == client_sp.id and fetched.consent_type == "AllPrincipals"

    # Too long a scope: 400.
    with pytest.raises(ODataError) as caught:
        run(item.patch(OAuth2PermissionGrant(scope="x" * 3851)))
    assert caught.value.response_status_code == 400
    assert caught.value.error.code == "Request_BadRequest"

    assert run(item.delete()) is None
    assert recorder.last("DELETE", created.id)[0] == 204
    with pytest.raises(ODataError) as caught:
        run(item.get())
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"
    # The Principal grant stays until it is deleted itself.
    assert run(graph.oauth2_permission_grants.by_o_auth2_permission_grant_id(for_user.id).get()).id == for_user.id
    run(graph.oauth2_permission_grants.by_o_auth2_permission_grant_id(for_user.id).delete())


def test_oauth2_permission_grant_errors(graph, run, client_sp, graph_sp):
    user = run(graph.users.get()).value[0]
    bad = [
        # AllPrincipals with a principal, Principal without one, an unknown consent type.
        OAuth2PermissionGrant(
            client_id=client_sp.id, consent_type="AllPrincipals", principal_id=user.id,
            resource_id=graph_sp.id, scope="User.Read",
        ),
        OAuth2PermissionGrant(
            client_id=client_sp.id, consent_type="Principal", resource_id=graph_sp.id, scope="User.Read",
        ),
        OAuth2PermissionGrant(
            client_id=client_sp.id, consent_type="Everyone", resource_id=graph_sp.id, scope="User.Read",
        ),
    ]
    for grant in bad:
        with pytest.raises(ODataError) as caught:
            run(graph.oauth2_permission_grants.post(grant))
        assert caught.value.response_status_code == 400
        assert caught.value.error.code == "Request_BadRequest"
    with pytest.raises(ODataError) as caught:
        run(
            graph.oauth2_permission_grants.post(
                OAuth2PermissionGrant(
                    client_id=str(uuid.uuid4()), consent_type="AllPrincipals",
                    resource_id=graph_sp.id, scope="User.Read",
                )
            )
        )
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"


def test_deleting_the_client_removes_its_consent(graph, run, graph_sp):
    app = run(graph.applications.post(Application(display_name=unique("consent-cascade"))))
    sp = run(graph.service_principals.post(ServicePrincipal(app_id=app.app_id)))
    assigned_to = graph.service_principals.by_service_principal_id(graph_sp.id).app_role_assigned_to
    run(
        assigned_to.post(
            AppRoleAssignment(
                principal_id=uuid.UUID(sp.id),
                resource_id=uuid.UUID(graph_sp.id),
                app_role_id=uuid.UUID(USER_READ_ALL_ROLE),
            )
        )
    )
    run(
        graph.oauth2_permission_grants.post(
            OAuth2PermissionGrant(
                client_id=sp.id, consent_type="AllPrincipals", resource_id=graph_sp.id, scope="User.Read",
            )
        )
    )
    run(graph.service_principals.by_service_principal_id(sp.id).delete())
    assert run(assigned_to.get(request_configuration=assigned_to_filter(f"principalId eq {sp.id}"))).value == []
    assert run(
        graph.oauth2_permission_grants.get(request_configuration=grants_filter(f"clientId eq '{sp.id}'"))
    ).value == []
    run(graph.applications.by_application_id(app.id).delete())
