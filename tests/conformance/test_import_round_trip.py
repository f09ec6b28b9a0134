"""`registrar import` over an application made with the official SDKs only (msgraph-sdk for Graph,
azure-mgmt-authorization for ARM), not by Registrar: every property Registrar manages, its service
principal, an owner, a client secret, a certificate, a federated credential, admin consent for a
delegated and an application permission, and a role assignment. The imported manifest, once the
secret's store is filled in, plans "No changes." — apart from the secret while its store has no
value, which the plan shows as such.

The `registrar` binary is the one tests/conformance/run builds (REGISTRAR_BIN); it talks to the
same standalone local tenant (REGISTRAR_LOCAL_URL, REGISTRAR_LOCAL_CA)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from msgraph.generated.applications.item.add_password.add_password_post_request_body import (
    AddPasswordPostRequestBody,
)
from msgraph.generated.models.api_application import ApiApplication
from msgraph.generated.models.app_role import AppRole
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.application import Application
from msgraph.generated.models.federated_identity_credential import FederatedIdentityCredential
from msgraph.generated.models.implicit_grant_settings import ImplicitGrantSettings
from msgraph.generated.models.informational_url import InformationalUrl
from msgraph.generated.models.key_credential import KeyCredential
from msgraph.generated.models.o_auth2_permission_grant import OAuth2PermissionGrant
from msgraph.generated.models.optional_claim import OptionalClaim
from msgraph.generated.models.optional_claims import OptionalClaims
from msgraph.generated.models.password_credential import PasswordCredential
from msgraph.generated.models.permission_scope import PermissionScope
from msgraph.generated.models.pre_authorized_application import PreAuthorizedApplication
from msgraph.generated.models.public_client_application import PublicClientApplication
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.required_resource_access import RequiredResourceAccess
from msgraph.generated.models.resource_access import ResourceAccess
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.models.spa_application import SpaApplication
from msgraph.generated.models.web_application import WebApplication

from conftest import unique

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
# A first-party client (Azure CLI) that the API pre-authorizes and knows.
AZURE_CLI_APP_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
ARM_SCOPE = "https://management.azure.com/.default"
SUBSCRIPTION = "6f0b4a8e-2c1d-4e3f-9a5b-7c8d9e0f1a2b"
SUB_SCOPE = f"/subscriptions/{SUBSCRIPTION}"
RG_SCOPE = f"{SUB_SCOPE}/resourceGroups/rg-import"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
OWNER_UPN = "megan@contoso.onmicrosoft.com"
DELEGATED = ["User.Read", "offline_access"]
APPLICATION = "Application.Read.All"


class Secret:
    """A client secret's value, kept out of reprs (pytest prints a failing test's arguments)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret(***)"


def self_signed_certificate(common_name: str) -> bytes:
    """A fresh self-signed certificate, DER."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def registrar(info, tmp_path_factory):
    """Runs the registrar binary against the suite's local tenant in a scratch folder."""
    binary = os.environ.get("REGISTRAR_BIN")
    if not binary or not Path(binary).is_file():
        pytest.fail("REGISTRAR_BIN is not set to the registrar binary: run tests/conformance/run")
    workdir = tmp_path_factory.mktemp("registrar")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REGISTRAR_", "AZURE_", "RUST_LOG"))
    }
    env.update(
        REGISTRAR_LOCAL_URL=info["url"],
        REGISTRAR_LOCAL_CA=info["ca_cert"],
        NO_COLOR="1",
    )

    def run_registrar(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [binary, "--local", *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    run_registrar.workdir = workdir
    return run_registrar


@pytest.fixture(scope="module")
def arm(info, credential):
    client = AuthorizationManagementClient(
        credential,
        SUBSCRIPTION,
        base_url=info["url"],
        connection_verify=info["ca_cert"],
        credential_scopes=[ARM_SCOPE],
    )
    yield client
    client.close()


@pytest.fixture(scope="module")
def sdk_app(graph, run, arm):
    """The application, made with the SDKs only. Returns what the test checks against."""
    graph_sp = run(graph.service_principals_with_app_id(GRAPH_APP_ID).get())
    roles = {role.value: role.id for role in graph_sp.app_roles}
    scopes = {scope.value: scope.id for scope in graph_sp.oauth2_permission_scopes}
    own_scope = uuid.uuid4()
    own_role = uuid.uuid4()
    display_name = unique("SDK Imaging API")
    permission_scope = PermissionScope(
        id=own_scope,
        value="Imaging.Read",
        type="User",
        is_enabled=True,
        admin_consent_display_name="Read imaging data",
        admin_consent_description="Allows the app to read imaging data.",
        user_consent_display_name="Read your imaging data",
        user_consent_description="Allows the app to read your imaging data.",
    )

    def exposed_api(*pre_authorized: PreAuthorizedApplication) -> ApiApplication:
        # Graph replaces `api` whole, so the PATCH that adds the pre-authorized client repeats it.
        return ApiApplication(
            requested_access_token_version=2,
            known_client_applications=[uuid.UUID(AZURE_CLI_APP_ID)],
            oauth2_permission_scopes=[permission_scope],
            pre_authorized_applications=list(pre_authorized),
        )

    created = run(
        graph.applications.post(
            Application(
                display_name=display_name,
                description="Made with msgraph-sdk, not by Registrar",
                notes="Owned by the imaging team; costs ${NOT_A_VARIABLE}",
                sign_in_audience="AzureADMultipleOrgs",
                tags=["team:imaging", "HideApp"],
                group_membership_claims="SecurityGroup",
                service_management_reference="INC-4711",
                is_fallback_public_client=True,
                info=InformationalUrl(
                    marketing_url="https://imaging.contoso.com/about",
                    privacy_statement_url="https://imaging.contoso.com/privacy",
                    support_url="https://imaging.contoso.com/support",
                    terms_of_service_url="https://imaging.contoso.com/terms",
                ),
                web=WebApplication(
                    home_page_url="https://imaging.contoso.com",
                    logout_url="https://imaging.contoso.com/logout",
                    redirect_uris=[
                        "https://imaging.contoso.com/signin-oidc",
                        "https://imaging.contoso.com/auth",
                    ],
                    implicit_grant_settings=ImplicitGrantSettings(
                        enable_access_token_issuance=True,
                        enable_id_token_issuance=True,
                    ),
                ),
                spa=SpaApplication(redirect_uris=["https://imaging.contoso.com/spa"]),
                public_client=PublicClientApplication(
                    redirect_uris=["http://localhost", "ms-appx-web://imaging"]
                ),
                optional_claims=OptionalClaims(
                    id_token=[OptionalClaim(name="email", essential=False)],
                    access_token=[
                        OptionalClaim(
                            name="groups",
                            essential=True,
                            additional_properties=["sam_account_name"],
                        ),
                        OptionalClaim(name="extn.department", source="user"),
                    ],
                ),
                api=exposed_api(),
                app_roles=[
                    AppRole(
                        id=own_role,
                        value="Imaging.Read.All",
                        display_name="Read all imaging data",
                        description="Read every imaging record",
                        allowed_member_types=["Application", "User"],
                        is_enabled=True,
                    )
                ],
                required_resource_access=[
                    RequiredResourceAccess(
                        resource_app_id=GRAPH_APP_ID,
                        resource_access=[
                            *(ResourceAccess(id=scopes[name], type="Scope") for name in DELEGATED),
                            ResourceAccess(id=roles[APPLICATION], type="Role"),
                        ],
                    )
                ],
            )
        )
    )
    app = graph.applications.by_application_id(created.id)
    # What needs the appId or an existing scope: the identifier URI and the pre-authorized client.
    run(
        app.patch(
            Application(
                identifier_uris=[f"api://{created.app_id}"],
                api=exposed_api(
                    PreAuthorizedApplication(
                        app_id=AZURE_CLI_APP_ID, delegated_permission_ids=[str(own_scope)]
                    )
                ),
            )
        )
    )
    # Credentials: a certificate, a client secret, a federated credential.
    run(
        app.patch(
            Application(
                key_credentials=[
                    KeyCredential(
                        type="AsymmetricX509Cert",
                        usage="Verify",
                        key=self_signed_certificate("imaging-signing"),
                        display_name="signing",
                    )
                ]
            )
        )
    )
    secret = run(
        app.add_password.post(
            AddPasswordPostRequestBody(
                password_credential=PasswordCredential(
                    display_name="ci",
                    end_date_time=dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
                    + dt.timedelta(days=180),
                )
            )
        )
    )
    run(
        app.federated_identity_credentials.post(
            FederatedIdentityCredential(
                name="github-main",
                issuer="https://token.actions.githubusercontent.com",
                subject="repo:contoso/imaging:ref:refs/heads/main",
                audiences=["api://AzureADTokenExchange"],
                description="Deploys from main",
            )
        )
    )
    # An owner from the directory.
    owner = run(graph.users.by_user_id(OWNER_UPN).get())
    run(
        app.owners.ref.post(
            ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{owner.id}")
        )
    )
    # The service principal, admin consent, and an ARM role assignment.
    sp = run(
        graph.service_principals.post(
            ServicePrincipal(
                app_id=created.app_id,
                app_role_assignment_required=True,
                tags=["WindowsAzureActiveDirectoryIntegratedApp"],
                notes="Service principal made with msgraph-sdk",
            )
        )
    )
    run(
        graph.service_principals.by_service_principal_id(sp.id).app_role_assignments.post(
            AppRoleAssignment(
                principal_id=uuid.UUID(sp.id),
                resource_id=uuid.UUID(graph_sp.id),
                app_role_id=roles[APPLICATION],
            )
        )
    )
    run(
        graph.oauth2_permission_grants.post(
            OAuth2PermissionGrant(
                client_id=sp.id,
                consent_type="AllPrincipals",
                resource_id=graph_sp.id,
                scope=" ".join(DELEGATED),
            )
        )
    )
    arm.role_assignments.create(
        RG_SCOPE,
        str(uuid.uuid4()),
        RoleAssignmentCreateParameters(
            role_definition_id=f"{SUB_SCOPE}/providers/Microsoft.Authorization/roleDefinitions/{READER}",
            principal_id=sp.id,
            principal_type="ServicePrincipal",
        ),
    )
    yield {
        "app_id": created.app_id,
        "display_name": display_name,
        "secret_key_id": str(secret.key_id),
        "secret": Secret(secret.secret_text),
    }
    run(app.delete())


def changed_addresses(plan: str) -> list[str]:
    """The addresses the text plan lists as changing (`# <address> will be ...`)."""
    found = []
    for line in plan.splitlines():
        line = line.strip()
        if line.startswith("# ") and (" will be " in line or " must be " in line):
            found.append(line[2:].split(" ", 1)[0])
    return found


def fill_in_secret_store(manifest: str, store_path: str) -> str:
    """Uncomments the secret entries the import wrote commented out, with a file store."""
    lines = manifest.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "# secrets:")
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    out = lines[:start]
    out.append(f"{indent}secrets:")
    for line in lines[start + 1 :]:
        body = line[len(indent) :]
        if not line.startswith(indent + "#   "):
            out.append(line)
            continue
        text = body[2:]
        if "keyVault:" in text:
            out.append(f"{indent}      file: {{ path: {store_path}, format: json }}")
        elif "# file:" in text:
            continue
        else:
            out.append(indent + text)
    return "\n".join(out) + "\n"


def test_an_sdk_made_application_imports_back_to_no_changes(sdk_app, registrar):
    imported = registrar(
        "import",
        *("--app-id", sdk_app["app_id"]),
        *("--namespace", "sdk"),
        *("--scope", SUB_SCOPE),
        *("-o", "imported"),
    )
    assert imported.returncode == 0, imported.stderr
    out = registrar.workdir / "imported"
    manifests = sorted(out.glob("*.yaml"))
    assert len(manifests) == 1, manifests
    manifest = manifests[0].read_text()
    assert sdk_app["secret"].value not in manifest
    # Plan compares what the manifest declares; these are the parts whose absence it would not
    # notice (an undeclared owner list, role assignment scope or service principal is unmanaged).
    for expected in [
        f"appId: {sdk_app['app_id']}",
        'owners: ["megan@contoso.onmicrosoft.com"]',
        '"github-main":',
        "$${NOT_A_VARIABLE}",
        "# secrets:",
        '#   "ci":',
        '"signing": { file: "certs/',
        'scopes: ["User.Read", "offline_access"]',
        'roles: ["Application.Read.All"]',
        "adminConsent: true",
        f'knownClientApplications: ["{AZURE_CLI_APP_ID}"]',
        'scopes: ["Imaging.Read"]',
        'notes: "Service principal made with msgraph-sdk"',
        f'- role: "Reader"\n        scope: "{RG_SCOPE}"',
    ]:
        assert expected in manifest, f"{expected}:\n{manifest}"
    assert list((out / "certs").glob("*.pem")), "the certificate is written beside the manifest"

    # The secret's entry stays commented out until its store is filled in: plan removes it.
    plan = registrar("plan", "--detailed-exitcode", "imported")
    changes = changed_addresses(plan.stdout)
    assert all(".secret" in address for address in changes), plan.stdout + plan.stderr

    # Filled in with a file store that does not exist yet: the secret is the only change, and
    # the plan says why.
    store = "secrets/imaging.json"
    manifests[0].write_text(fill_in_secret_store(manifest, store))
    plan = registrar("plan", "--detailed-exitcode", "imported")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    changes = changed_addresses(plan.stdout)
    assert len(changes) == 1 and changes[0].endswith(".secret.ci"), plan.stdout
    assert "the store has no value" in plan.stdout, plan.stdout
    assert sdk_app["secret"].value not in plan.stdout + plan.stderr

    # The store holding the credential: no changes at all.
    store_file = out / store
    store_file.parent.mkdir(parents=True, exist_ok=True)
    store_file.write_text(
        json.dumps(
            {
                "tenantId": "",
                "clientId": sdk_app["app_id"],
                "clientSecret": sdk_app["secret"].value,
                "keyId": sdk_app["secret_key_id"],
            }
        )
    )
    store_file.chmod(0o600)
    plan = registrar("plan", "--detailed-exitcode", "imported")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout, plan.stdout
