"""The Azure CLI (`az`, the pinned `azure-cli` of requirements-az.txt) against the standalone local
tenant, as a user follows docs/emulator.md: `az cloud register` reads the emulator's cloud
metadata, `az login --service-principal` signs in with the seeded automation client and lists the
subscription, then the app-registration commands of the Azure docs run and their output is
checked. Last, Registrar plans over a manifest pinned to an application az made: "No changes."
once applied.

`tests/conformance/run` installs the CLI in its own virtualenv (azure-cli pins its own versions
of the SDKs this suite pins) and exports AZ_CLI, the `az` to run. Every az process gets its own
configuration folder (AZURE_CONFIG_DIR), trusts the emulator's CA (REQUESTS_CA_BUNDLE) and
reaches `*.vault.azure.net` through a local CONNECT proxy that forwards to the emulator, the
equivalent, for a separate process, of the SDK suite's in-process name resolution."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from conftest import is_guid, unique

SUBSCRIPTION = "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
USER_READ = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"  # Microsoft Graph delegated User.Read
APPLICATION_READ_ALL = "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"  # Application.Read.All (Role)
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


class VaultProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that tunnels `*.vault.azure.net:443` to the emulator
    and refuses every other host: az then reaches a vault at its real host name, the TLS
    certificate the emulator serves for it included."""

    def __init__(self, emulator_port: int) -> None:
        self.emulator_port = emulator_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.tunnels = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = request_line.split()
            host = parts[1].rsplit(":", 1)[0].lower() if len(parts) == 3 else ""
            if parts[:1] != ["CONNECT"] or not host.endswith(".vault.azure.net"):
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            with socket.create_connection(("127.0.0.1", self.emulator_port)) as upstream:
                self.tunnels += 1
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                sockets = [client, upstream]
                while True:
                    readable, _, _ = select.select(sockets, [], [], 60)
                    if not readable:
                        return
                    for source in readable:
                        data = source.recv(65536)
                        if not data:
                            return
                        (upstream if source is client else client).sendall(data)

    def close(self) -> None:
        self.server.close()


class Az:
    """Runs `az` with its own configuration folder; returns the parsed JSON output."""

    def __init__(self, binary: str, config_dir: Path, env: dict[str, str]) -> None:
        self.binary = binary
        self.env = dict(env, AZURE_CONFIG_DIR=str(config_dir))
        self.commands: list[str] = []

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        self.commands.append(" ".join(args[:3]))
        completed = subprocess.run(
            [self.binary, *args, "--only-show-errors"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if check and completed.returncode != 0:
            raise AssertionError(
                f"az {' '.join(args)} exited {completed.returncode}:\n{completed.stderr}"
            )
        return completed

    def __call__(self, *args: str) -> Any:
        out = self.run(*args, "--output", "json").stdout.strip()
        return json.loads(out) if out else None


@pytest.fixture(scope="module")
def vault_proxy(info):
    proxy = VaultProxy(int(info["port"]))
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def az(info, vault_proxy, tmp_path_factory) -> Az:
    """az signed in to the local tenant, following docs/emulator.md's recipe."""
    binary = os.environ.get("AZ_CLI")
    if not binary or not Path(binary).is_file():
        pytest.fail("AZ_CLI is not set to the az of the pinned azure-cli: run tests/conformance/run")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AZURE_", "REQUESTS_CA_BUNDLE", "ARM_"))
        and key.lower() not in ("https_proxy", "http_proxy", "no_proxy")
    }
    env.update(
        REQUESTS_CA_BUNDLE=info["ca_cert"],
        AZURE_CORE_COLLECT_TELEMETRY="false",
        AZURE_CORE_NO_COLOR="true",
        HTTPS_PROXY=f"http://127.0.0.1:{vault_proxy.port}",
        NO_PROXY="127.0.0.1,localhost",
    )
    cli = Az(binary, tmp_path_factory.mktemp("azure-config"), env)
    cli.run("config", "set", "core.instance_discovery=false")
    cli.run("cloud", "register", "--name", "RegistrarLocal",
            "--endpoint-resource-manager", f"{info['url']}/")
    cli.run("cloud", "set", "--name", "RegistrarLocal")
    cli.login = cli(
        "login", "--service-principal", "--username", info["client_id"],
        "--password", info["client_secret"], "--tenant", info["tenant_id"],
    )
    return cli


def test_cloud_register_reads_the_metadata_endpoint(az, info):
    cloud = az("cloud", "show", "--name", "RegistrarLocal")
    assert cloud["isActive"] is True
    endpoints = cloud["endpoints"]
    assert endpoints["activeDirectory"] == info["url"]
    assert endpoints["resourceManager"] == f"{info['url']}/"
    assert endpoints["microsoftGraphResourceId"] == f"{info['url']}/"
    assert endpoints["activeDirectoryResourceId"] == "https://management.core.windows.net/"
    assert cloud["suffixes"]["keyvaultDns"] == ".vault.azure.net"


def test_login_with_a_service_principal_lists_one_subscription(az, info):
    assert [entry["id"] for entry in az.login] == [SUBSCRIPTION]
    (entry,) = az.login
    assert entry["tenantId"] == info["tenant_id"]
    assert entry["homeTenantId"] == info["tenant_id"]
    assert entry["state"] == "Enabled"
    assert entry["isDefault"] is True
    assert entry["cloudName"] == "RegistrarLocal"
    assert entry["user"] == {"name": info["client_id"], "type": "servicePrincipal"}
    account = az("account", "show")
    assert account["id"] == SUBSCRIPTION
    assert account["name"] == "Local subscription"
    tenants = az("rest", "--method", "get", "--url", f"{info['url']}/tenants?api-version=2022-12-01")
    assert [tenant["tenantId"] for tenant in tenants["value"]] == [info["tenant_id"]]
    assert tenants["value"][0]["defaultDomain"] == "contoso.onmicrosoft.com"
    token = az("account", "get-access-token", "--resource-type", "ms-graph")
    assert token["tenant"] == info["tenant_id"]
    assert token["tokenType"] == "Bearer"


@pytest.fixture(scope="module")
def app(az, tmp_path_factory) -> dict[str, Any]:
    """An application made with every `az ad app create` option the issue names."""
    folder = tmp_path_factory.mktemp("az-app")
    resource_accesses = folder / "required-resource-accesses.json"
    resource_accesses.write_text(json.dumps([{
        "resourceAppId": GRAPH_APP_ID,
        "resourceAccess": [{"id": USER_READ, "type": "Scope"}],
    }]))
    app_roles = folder / "app-roles.json"
    app_roles.write_text(json.dumps([{
        "allowedMemberTypes": ["Application"],
        "description": "Reads every report",
        "displayName": "Read reports",
        "isEnabled": True,
        "value": "Reports.Read.All",
    }]))
    optional_claims = folder / "optional-claims.json"
    optional_claims.write_text(json.dumps({
        "idToken": [{"name": "email", "essential": False}],
        "accessToken": [],
        "saml2Token": [],
    }))
    name = unique("az-app")
    created = az(
        "ad", "app", "create", "--display-name", name,
        "--sign-in-audience", "AzureADMyOrg",
        "--web-redirect-uris", "https://reports.contoso.com/auth", "https://localhost:5001/auth",
        "--public-client-redirect-uris", "http://localhost:8400",
        "--required-resource-accesses", f"@{resource_accesses}",
        "--app-roles", f"@{app_roles}",
        "--optional-claims", f"@{optional_claims}",
    )
    return created


def test_app_create_with_the_documented_options(app):
    assert is_guid(app["id"]) and is_guid(app["appId"])
    assert app["signInAudience"] == "AzureADMyOrg"
    assert app["web"]["redirectUris"] == [
        "https://reports.contoso.com/auth",
        "https://localhost:5001/auth",
    ]
    assert app["publicClient"]["redirectUris"] == ["http://localhost:8400"]
    assert app["requiredResourceAccess"] == [{
        "resourceAppId": GRAPH_APP_ID,
        "resourceAccess": [{"id": USER_READ, "type": "Scope"}],
    }]
    (role,) = app["appRoles"]
    assert is_guid(role["id"])  # az fills in the id Graph requires
    assert role["value"] == "Reports.Read.All"
    assert role["allowedMemberTypes"] == ["Application"]
    assert app["optionalClaims"]["idToken"][0]["name"] == "email"
    assert app["passwordCredentials"] == []


def test_app_show_list_and_update(az, app):
    shown = az("ad", "app", "show", "--id", app["appId"])
    assert shown["id"] == app["id"]
    assert shown["displayName"] == app["displayName"]
    by_object_id = az("ad", "app", "show", "--id", app["id"])
    assert by_object_id["appId"] == app["appId"]
    listed = az("ad", "app", "list", "--display-name", app["displayName"])
    assert [item["appId"] for item in listed] == [app["appId"]]
    assert az("ad", "app", "list", "--display-name", unique("nobody")) == []

    az("ad", "app", "update", "--id", app["appId"],
       "--web-home-page-url", "https://reports.contoso.com",
       "--identifier-uris", f"api://{app['appId']}")
    updated = az("ad", "app", "show", "--id", app["appId"])
    assert updated["web"]["homePageUrl"] == "https://reports.contoso.com"
    assert updated["identifierUris"] == [f"api://{app['appId']}"]
    assert updated["web"]["redirectUris"] == app["web"]["redirectUris"]  # untouched
    az("ad", "app", "update", "--id", app["appId"], "--set", "notes=made with az")
    assert az("ad", "app", "show", "--id", app["appId"])["notes"] == "made with az"


def test_app_delete(az):
    made = az("ad", "app", "create", "--display-name", unique("az-delete"))
    az("ad", "app", "delete", "--id", made["appId"])
    failed = az.run("ad", "app", "show", "--id", made["appId"], check=False)
    assert failed.returncode != 0
    assert "does not exist" in failed.stderr or "Request_ResourceNotFound" in failed.stderr


def test_credential_reset_with_and_without_append(az, app):
    first = az("ad", "app", "credential", "reset", "--id", app["appId"],
               "--display-name", "first", "--years", "1")
    assert first["appId"] == app["appId"]
    assert first["password"]
    second = az("ad", "app", "credential", "reset", "--id", app["appId"],
                "--append", "--display-name", "second")
    assert second["password"] != first["password"]
    listed = az("ad", "app", "credential", "list", "--id", app["appId"])
    assert sorted(item["displayName"] for item in listed) == ["first", "second"]
    assert all(item["secretText"] is None for item in listed)
    assert all(is_guid(item["keyId"]) for item in listed)
    assert {item["hint"] for item in listed} == {first["password"][:3], second["password"][:3]}

    third = az("ad", "app", "credential", "reset", "--id", app["appId"], "--display-name", "third")
    listed = az("ad", "app", "credential", "list", "--id", app["appId"])
    assert [item["displayName"] for item in listed] == ["third"]
    assert listed[0]["hint"] == third["password"][:3]


def test_federated_credential_create_and_list(az, app, tmp_path):
    parameters = tmp_path / "federated.json"
    parameters.write_text(json.dumps({
        "name": "github-main",
        "issuer": GITHUB_ISSUER,
        "subject": "repo:contoso/reports:ref:refs/heads/main",
        "audiences": ["api://AzureADTokenExchange"],
        "description": "Deploys from main",
    }))
    created = az("ad", "app", "federated-credential", "create", "--id", app["appId"],
                 "--parameters", f"@{parameters}")
    assert is_guid(created["id"])
    assert created["name"] == "github-main"
    assert created["issuer"] == GITHUB_ISSUER
    listed = az("ad", "app", "federated-credential", "list", "--id", app["appId"])
    assert [(item["name"], item["subject"]) for item in listed] == [
        ("github-main", "repo:contoso/reports:ref:refs/heads/main")
    ]
    shown = az("ad", "app", "federated-credential", "show", "--id", app["appId"],
               "--federated-credential-id", "github-main")
    assert shown["id"] == created["id"]


@pytest.fixture(scope="module")
def service_principal(az, app) -> dict[str, Any]:
    return az("ad", "sp", "create", "--id", app["appId"])


def test_sp_create(az, app, service_principal):
    assert service_principal["appId"] == app["appId"]
    assert is_guid(service_principal["id"])
    assert app["appId"] in service_principal["servicePrincipalNames"]
    assert service_principal["appDisplayName"] == app["displayName"]
    assert az("ad", "sp", "show", "--id", app["appId"])["id"] == service_principal["id"]
    again = az.run("ad", "sp", "create", "--id", app["appId"], check=False)
    assert again.returncode != 0  # one service principal per application


def test_create_for_rbac_without_a_role(az, info):
    name = unique("az-rbac")
    created = az("ad", "sp", "create-for-rbac", "--name", name)
    assert set(created) == {"appId", "displayName", "password", "tenant"}
    assert created["displayName"] == name
    assert created["tenant"] == info["tenant_id"]
    assert az("ad", "sp", "show", "--id", created["appId"])["appId"] == created["appId"]
    assert az("role", "assignment", "list", "--assignee", created["appId"], "--all") == []


def test_create_for_rbac_with_a_role_and_scope(az, info):
    name = unique("az-rbac-reader")
    scope = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-reports"
    created = az("ad", "sp", "create-for-rbac", "--name", name, "--role", "Reader",
                 "--scopes", scope)
    assert created["displayName"] == name
    assignments = az("role", "assignment", "list", "--assignee", created["appId"], "--all")
    assert [(item["roleDefinitionName"], item["scope"]) for item in assignments] == [
        ("Reader", scope)
    ]
    assert assignments[0]["principalType"] == "ServicePrincipal"
    assert assignments[0]["principalName"] == created["appId"]
    # The new principal signs in (a second az, its own configuration).
    other = Az(az.binary, Path(az.env["AZURE_CONFIG_DIR"] + "-rbac"), az.env)
    other.run("config", "set", "core.instance_discovery=false")
    other.run("cloud", "register", "--name", "RegistrarLocal",
              "--endpoint-resource-manager", f"{info['url']}/")
    other.run("cloud", "set", "--name", "RegistrarLocal")
    login = other("login", "--service-principal", "--username", created["appId"],
                  "--password", created["password"], "--tenant", info["tenant_id"])
    assert [entry["id"] for entry in login] == [SUBSCRIPTION]  # it holds a role in it


def test_owner_add_and_list(az, app):
    alice = az("ad", "user", "show", "--id", "alice@contoso.com")
    az("ad", "app", "owner", "add", "--id", app["appId"], "--owner-object-id", alice["id"])
    owners = az("ad", "app", "owner", "list", "--id", app["appId"])
    assert [(owner["id"], owner["userPrincipalName"]) for owner in owners] == [
        (alice["id"], "alice@contoso.com")
    ]
    assert owners[0]["@odata.type"] == "#microsoft.graph.user"


def test_permission_add_list_and_grant(az, app, service_principal):
    az("ad", "app", "permission", "add", "--id", app["appId"], "--api", GRAPH_APP_ID,
       "--api-permissions", f"{APPLICATION_READ_ALL}=Role")
    permissions = az("ad", "app", "permission", "list", "--id", app["appId"])
    assert [entry["resourceAppId"] for entry in permissions] == [GRAPH_APP_ID]
    assert {(item["id"], item["type"]) for item in permissions[0]["resourceAccess"]} == {
        (USER_READ, "Scope"),
        (APPLICATION_READ_ALL, "Role"),
    }
    graph_sp = az("ad", "sp", "show", "--id", GRAPH_APP_ID)
    grant = az("ad", "app", "permission", "grant", "--id", app["appId"], "--api", GRAPH_APP_ID,
               "--scope", "User.Read")
    assert grant["clientId"] == service_principal["id"]
    assert grant["resourceId"] == graph_sp["id"]
    assert grant["consentType"] == "AllPrincipals"
    assert grant["scope"] == "User.Read"
    listed = az("ad", "app", "permission", "list-grants", "--id", app["appId"])
    assert [item["id"] for item in listed] == [grant["id"]]


@pytest.mark.parametrize("assignee_kind", ["appId", "objectId", "servicePrincipalName"])
def test_role_assignment_create_list_delete(az, assignee_kind):
    made = az("ad", "app", "create", "--display-name", unique("az-role"),
              "--identifier-uris", f"api://az-role-{uuid.uuid4().hex[:8]}")
    sp = az("ad", "sp", "create", "--id", made["appId"])
    assignee = {
        "appId": made["appId"],
        "objectId": sp["id"],
        "servicePrincipalName": made["identifierUris"][0],
    }[assignee_kind]
    scope = f"/subscriptions/{SUBSCRIPTION}"
    created = az("role", "assignment", "create", "--assignee", assignee, "--role", "Reader",
                 "--scope", scope)
    assert created["principalId"] == sp["id"]
    assert created["principalType"] == "ServicePrincipal"
    assert created["scope"] == scope
    assert created["roleDefinitionId"] == (
        f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    )
    az("role", "assignment", "create", "--assignee-object-id", sp["id"],
       "--assignee-principal-type", "ServicePrincipal", "--role", "Contributor",
       "--scope", f"{scope}/resourceGroups/rg-reports")
    listed = az("role", "assignment", "list", "--assignee", assignee, "--all")
    assert sorted((item["roleDefinitionName"], item["scope"]) for item in listed) == [
        ("Contributor", f"{scope}/resourceGroups/rg-reports"),
        ("Reader", scope),
    ]
    assert {item["principalName"] for item in listed} == {made["appId"]}
    at_scope = az("role", "assignment", "list", "--scope", scope, "--role", "Reader")
    assert sp["id"] in {item["principalId"] for item in at_scope}

    az("role", "assignment", "delete", "--assignee", assignee, "--role", "Reader",
       "--scope", scope)
    left = az("role", "assignment", "list", "--assignee", assignee, "--all")
    assert [item["roleDefinitionName"] for item in left] == ["Contributor"]


def test_role_definition_list_by_name(az):
    (reader,) = az("role", "definition", "list", "--name", "Reader")
    assert reader["name"] == READER
    assert reader["roleName"] == "Reader"
    assert reader["roleType"] == "BuiltInRole"
    assert reader["id"] == (
        f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    )
    assert az("role", "definition", "list", "--name", "No Such Role") == []


def test_keyvault_secret_set_and_show(az, vault_proxy):
    name = unique("az-secret")
    created = az("keyvault", "secret", "set", "--vault-name", "kv-az", "--name", name,
                 "--value", "s3cr3t from az", "--content-type", "text/plain")
    assert created["name"] == name
    assert created["value"] == "s3cr3t from az"
    assert created["id"].startswith(f"https://kv-az.vault.azure.net/secrets/{name}/")
    assert created["attributes"]["enabled"] is True
    assert created["contentType"] == "text/plain"
    shown = az("keyvault", "secret", "show", "--vault-name", "kv-az", "--name", name)
    assert shown["value"] == "s3cr3t from az"
    assert shown["id"] == created["id"]
    by_id = az("keyvault", "secret", "show", "--id", created["id"])
    assert by_id["value"] == "s3cr3t from az"
    assert vault_proxy.tunnels > 0


@pytest.fixture(scope="module")
def registrar(info, tmp_path_factory):
    """Runs the registrar binary against the suite's local tenant in a scratch folder."""
    binary = os.environ.get("REGISTRAR_BIN")
    if not binary or not Path(binary).is_file():
        pytest.fail("REGISTRAR_BIN is not set to the registrar binary: run tests/conformance/run")
    workdir = tmp_path_factory.mktemp("registrar-az")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REGISTRAR_", "AZURE_", "RUST_LOG"))
    }
    env.update(REGISTRAR_LOCAL_URL=info["url"], REGISTRAR_LOCAL_CA=info["ca_cert"], NO_COLOR="1")

    def run_registrar(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([binary, "--local", *args], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=120)

    run_registrar.workdir = workdir
    return run_registrar


def test_registrar_sees_what_az_created(az, registrar):
    """An application made with az alone, then a manifest pinned to its appId that declares
    what az set: Registrar adopts it, and after the apply plans "No changes."."""
    name = unique("az-adopted")
    made = az("ad", "app", "create", "--display-name", name,
              "--sign-in-audience", "AzureADMyOrg",
              "--web-redirect-uris", "https://adopted.contoso.com/auth",
              "--public-client-redirect-uris", "http://localhost:8400")
    az("ad", "sp", "create", "--id", made["appId"])
    alice = az("ad", "user", "show", "--id", "alice@contoso.com")
    az("ad", "app", "owner", "add", "--id", made["appId"], "--owner-object-id", alice["id"])
    scope = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-adopted"
    az("role", "assignment", "create", "--assignee", made["appId"], "--role", "Reader",
       "--scope", scope)
    manifest = registrar.workdir / "adopted.yaml"
    manifest.write_text(f"""version: 1
namespace: az-cli
applications:
  adopted:
    appId: {made["appId"]}
    displayName: {name}
    signInAudience: AzureADMyOrg
    owners: [alice@contoso.com]
    web:
      redirectUris: [https://adopted.contoso.com/auth]
    publicClient:
      redirectUris: [http://localhost:8400]
    roleAssignments:
      - role: Reader
        scope: {scope}
""")
    validated = registrar("validate", "adopted.yaml")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    applied = registrar("apply", "--auto-approve", "adopted.yaml")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    plan = registrar("plan", "--detailed-exitcode", "adopted.yaml")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout, plan.stdout
    # What Registrar left is still what az shows.
    shown = az("ad", "app", "show", "--id", made["appId"])
    assert shown["web"]["redirectUris"] == ["https://adopted.contoso.com/auth"]
    assert shown["publicClient"]["redirectUris"] == ["http://localhost:8400"]
    listed = az("role", "assignment", "list", "--assignee", made["appId"], "--all")
    assert [(item["roleDefinitionName"], item["scope"]) for item in listed] == [("Reader", scope)]
