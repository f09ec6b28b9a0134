"""azure-mgmt-authorization (ARM Microsoft.Authorization, api-version 2022-04-01): built-in role
definitions (list with $filter, get, get_by_id) and role assignments (create, idempotent create,
get, get_by_id, list_for_scope with $filter, delete) for a service principal created through
msgraph-sdk, the typed errors (ResourceExistsError RoleAssignmentExists, HttpResponseError
PrincipalNotFound / RoleAssignmentUpdateNotPermitted, ResourceNotFoundError,
ClientAuthenticationError for a Graph token) and ARM throttling as the SDK sees it."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from msgraph.generated.models.application import Application
from msgraph.generated.models.service_principal import ServicePrincipal

from conftest import GRAPH_SCOPE, is_guid, unique

ARM_SCOPE = "https://management.azure.com/.default"
SUBSCRIPTION = "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
SUB_SCOPE = f"/subscriptions/{SUBSCRIPTION}"
RG_SCOPE = f"{SUB_SCOPE}/resourceGroups/rg-conformance"
PROVIDER = "/providers/Microsoft.Authorization"


def role_definition_id(guid: str) -> str:
    return f"{SUB_SCOPE}{PROVIDER}/roleDefinitions/{guid}"


def trailing_guid(resource_id: str) -> str:
    return resource_id.rsplit("/", 1)[-1]


def make_client(info, credential, scopes=None) -> AuthorizationManagementClient:
    return AuthorizationManagementClient(
        credential,
        SUBSCRIPTION,
        base_url=info["url"],
        connection_verify=info["ca_cert"],
        credential_scopes=scopes or [ARM_SCOPE],
    )


@pytest.fixture(scope="module")
def arm(info, credential):
    client = make_client(info, credential)
    yield client
    client.close()


@pytest.fixture(scope="module")
def principal(graph, run):
    """A service principal created through msgraph-sdk (an application, then its SP)."""
    app = run(
        graph.applications.post(
            Application(display_name=unique("rbac"), sign_in_audience="AzureADMyOrg")
        )
    )
    sp = run(graph.service_principals.post(ServicePrincipal(app_id=app.app_id)))
    yield sp.id
    run(graph.applications.by_application_id(app.id).delete())


@pytest.fixture()
def control(info):
    client = httpx.Client(base_url=info["url"], verify=info["ca_cert"])
    yield client
    assert client.put("/_emulator/faults", json={}).status_code == 200
    client.close()


def test_role_definitions_list_with_filter_and_get(arm):
    found = list(arm.role_definitions.list(SUB_SCOPE, filter="roleName eq 'Reader'"))
    assert len(found) == 1
    reader = found[0]
    assert reader.name == READER
    assert reader.id == role_definition_id(READER)
    assert reader.type == "Microsoft.Authorization/roleDefinitions"
    assert reader.role_name == "Reader"
    assert reader.role_type == "BuiltInRole"
    assert reader.assignable_scopes == ["/"]
    assert reader.permissions and reader.permissions[0].actions == []
    # Case-insensitive, and `type eq` combines with it.
    lower = list(
        arm.role_definitions.list(
            f"{RG_SCOPE}", filter="roleName eq 'reader' and type eq 'BuiltInRole'"
        )
    )
    assert [item.name for item in lower] == [READER]
    assert list(arm.role_definitions.list(SUB_SCOPE, filter="roleName eq 'No such role'")) == []

    got = arm.role_definitions.get(SUB_SCOPE, READER)
    assert got.id == reader.id and got.role_name == "Reader"
    by_id = arm.role_definitions.get_by_id(role_definition_id(READER))
    assert by_id.name == READER
    tenant_level = arm.role_definitions.get_by_id(f"{PROVIDER}/roleDefinitions/{READER}")
    assert tenant_level.id == f"{PROVIDER}/roleDefinitions/{READER}"
    with pytest.raises(ResourceNotFoundError) as caught:
        arm.role_definitions.get(SUB_SCOPE, str(uuid.uuid4()))
    assert caught.value.error.code == "RoleDefinitionDoesNotExist"


def test_role_definitions_list_pages(arm):
    every = list(arm.role_definitions.list(SUB_SCOPE))
    # The SDK followed nextLink across pages; every built-in role assignable at "/" is there.
    assert len(every) > 900
    assert len({item.name for item in every}) == len(every)
    assert READER in {item.name for item in every}


def test_role_assignment_round_trip(arm, principal):
    name = str(uuid.uuid4())
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=role_definition_id(READER),
        principal_id=principal,
        principal_type="ServicePrincipal",
    )
    created = arm.role_assignments.create(RG_SCOPE, name, parameters)
    assert created.name == name
    assert created.id == f"{RG_SCOPE}{PROVIDER}/roleAssignments/{name}"
    assert created.type == "Microsoft.Authorization/roleAssignments"
    assert created.scope == RG_SCOPE
    assert created.principal_id == principal
    assert created.principal_type == "ServicePrincipal"
    assert trailing_guid(created.role_definition_id) == READER
    assert created.created_on is not None and created.created_by is not None

    # The identical create again: 200 with the same assignment.
    again = arm.role_assignments.create(RG_SCOPE, name, parameters)
    assert again.id == created.id

    got = arm.role_assignments.get(RG_SCOPE, name)
    assert got.id == created.id and got.principal_id == principal
    assert arm.role_assignments.get_by_id(created.id).name == name

    mine = list(
        arm.role_assignments.list_for_scope(SUB_SCOPE, filter=f"principalId eq '{principal}'")
    )
    assert [item.name for item in mine] == [name], "below the subscription"
    at_scope = list(arm.role_assignments.list_for_scope(RG_SCOPE, filter="atScope()"))
    assert name in {item.name for item in at_scope}
    other_rg = list(
        arm.role_assignments.list_for_scope(f"{SUB_SCOPE}/resourceGroups/other", filter="atScope()")
    )
    assert name not in {item.name for item in other_rg}

    deleted = arm.role_assignments.delete(RG_SCOPE, name)
    assert deleted is not None and deleted.name == name
    assert arm.role_assignments.delete(RG_SCOPE, name) is None  # 204: already gone
    with pytest.raises(ResourceNotFoundError) as caught:
        arm.role_assignments.get(RG_SCOPE, name)
    assert caught.value.error.code == "RoleAssignmentNotFound"


def test_role_assignment_errors_are_typed(arm, principal):
    name = str(uuid.uuid4())
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=role_definition_id(READER),
        principal_id=principal,
        principal_type="ServicePrincipal",
    )
    arm.role_assignments.create(SUB_SCOPE, name, parameters)
    try:
        # The same (scope, principal, role) under another name: 409.
        with pytest.raises(ResourceExistsError) as caught:
            arm.role_assignments.create(SUB_SCOPE, str(uuid.uuid4()), parameters)
        assert caught.value.status_code == 409
        assert caught.value.error.code == "RoleAssignmentExists"
        assert name.replace("-", "") in caught.value.error.message

        # The name reused for another role.
        with pytest.raises(HttpResponseError) as caught:
            arm.role_assignments.create(
                SUB_SCOPE,
                name,
                RoleAssignmentCreateParameters(
                    role_definition_id=role_definition_id(CONTRIBUTOR),
                    principal_id=principal,
                    principal_type="ServicePrincipal",
                ),
            )
        assert caught.value.status_code == 400
        assert caught.value.error.code == "RoleAssignmentUpdateNotPermitted"

        # A principal the directory does not know.
        with pytest.raises(HttpResponseError) as caught:
            arm.role_assignments.create(
                SUB_SCOPE,
                str(uuid.uuid4()),
                RoleAssignmentCreateParameters(
                    role_definition_id=role_definition_id(CONTRIBUTOR),
                    principal_id=str(uuid.uuid4()),
                    principal_type="ServicePrincipal",
                ),
            )
        assert caught.value.status_code == 400
        assert caught.value.error.code == "PrincipalNotFound"
        assert "https://aka.ms/docs-principaltype" in caught.value.error.message

        with pytest.raises(HttpResponseError) as caught:
            arm.role_assignments.create(
                SUB_SCOPE,
                str(uuid.uuid4()),
                RoleAssignmentCreateParameters(
                    role_definition_id=role_definition_id(str(uuid.uuid4())),
                    principal_id=principal,
                    principal_type="ServicePrincipal",
                ),
            )
        assert caught.value.error.code == "RoleDefinitionDoesNotExist"
    finally:
        arm.role_assignments.delete(SUB_SCOPE, name)


def test_principal_not_found_during_replication_lag(arm, graph, run, control):
    app = run(
        graph.applications.post(
            Application(display_name=unique("rbac-lag"), sign_in_audience="AzureADMyOrg")
        )
    )
    control.put("/_emulator/faults", json={"replication_lag_ms": 3000})
    sp = run(graph.service_principals.post(ServicePrincipal(app_id=app.app_id)))
    name = str(uuid.uuid4())
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=role_definition_id(READER),
        principal_id=sp.id,
        principal_type="ServicePrincipal",
    )
    with pytest.raises(HttpResponseError) as caught:
        arm.role_assignments.create(RG_SCOPE, name, parameters)
    assert caught.value.error.code == "PrincipalNotFound"
    time.sleep(3.1)
    created = arm.role_assignments.create(RG_SCOPE, name, parameters)
    assert created.principal_id == sp.id
    arm.role_assignments.delete(RG_SCOPE, name)
    control.put("/_emulator/faults", json={})
    run(graph.applications.by_application_id(app.id).delete())


def test_graph_token_is_refused(info, credential):
    client = make_client(info, credential, scopes=[GRAPH_SCOPE])
    try:
        with pytest.raises(ClientAuthenticationError) as caught:
            list(client.role_assignments.list_for_scope(SUB_SCOPE))
        assert caught.value.status_code == 401
        assert caught.value.error.code == "InvalidAuthenticationTokenAudience"
    finally:
        client.close()


def test_arm_headers_and_throttling(arm, control):
    seen = {}

    def keep_headers(pipeline_response, deserialized, headers):
        seen.update(pipeline_response.http_response.headers)
        return deserialized

    arm.role_definitions.get(SUB_SCOPE, READER, cls=keep_headers)
    assert is_guid(seen["x-ms-request-id"])
    assert seen["x-ms-correlation-request-id"]
    assert int(seen["x-ms-ratelimit-remaining-subscription-reads"]) >= 0

    control.post("/_emulator/requests/reset")
    control.put("/_emulator/faults", json={"throttle_rate": 1.0, "retry_after_seconds": 1})
    started = time.monotonic()
    with pytest.raises(HttpResponseError) as caught:
        arm.role_definitions.get(SUB_SCOPE, READER, retry_total=1)
    assert caught.value.status_code == 429
    assert caught.value.error.code == "TooManyRequests"
    assert caught.value.response.headers["Retry-After"] == "1"
    assert time.monotonic() - started >= 1.0, "the SDK honoured Retry-After"
    counts = control.get("/_emulator/requests").json()["counts"]
    assert counts["GET /{scope}/providers/Microsoft.Authorization/roleDefinitions/{name}"] == 2
