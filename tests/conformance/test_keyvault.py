"""azure-keyvault-secrets: SecretClient against the emulator's Key Vault, addressed as a real
vault host (`https://kv-conformance.vault.azure.net:PORT`, resolved to 127.0.0.1 inside this
process only). The SDK does the real challenge flow (401 + WWW-Authenticate, resource check,
token for https://vault.azure.net) and parses secret ids strictly."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.keyvault.secrets import KeyVaultSecretIdentifier

from conftest import VAULT_NAME, unique

VERSION = re.compile(r"^[0-9a-f]{32}$")


def test_set_and_get_secret_round_trip(secret_client, vault_url):
    name = unique("conf-secret")
    created = secret_client.set_secret(
        name, "s3cr3t value", content_type="text/plain", tags={"owner": "conformance"}
    )
    assert created.name == name
    assert created.value == "s3cr3t value"
    assert created.properties.vault_url == vault_url
    assert created.id.startswith(f"{vault_url}/secrets/{name}/")
    assert VERSION.match(created.properties.version)
    assert created.properties.content_type == "text/plain"
    assert created.properties.tags == {"owner": "conformance"}
    assert created.properties.enabled is True
    assert created.properties.recovery_level == "Recoverable+Purgeable"
    assert isinstance(created.properties.created_on, dt.datetime)
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - created.properties.created_on).total_seconds()) < 120
    assert created.properties.updated_on == created.properties.created_on

    identifier = KeyVaultSecretIdentifier(created.id)
    assert identifier.vault_url == vault_url
    assert identifier.name == name
    assert identifier.version == created.properties.version
    assert identifier.vault_url.startswith(f"https://{VAULT_NAME}.vault.azure.net")

    fetched = secret_client.get_secret(name)
    assert fetched.value == "s3cr3t value"
    assert fetched.id == created.id
    assert fetched.properties.tags == {"owner": "conformance"}
    by_version = secret_client.get_secret(name, created.properties.version)
    assert by_version.value == "s3cr3t value"


def test_new_value_makes_new_version_and_versions_list(secret_client, vault_url):
    name = unique("conf-versions")
    first = secret_client.set_secret(name, "one")
    second = secret_client.set_secret(name, "two")
    assert first.properties.version != second.properties.version
    assert secret_client.get_secret(name).value == "two"
    assert secret_client.get_secret(name, first.properties.version).value == "one"

    versions = list(secret_client.list_properties_of_secret_versions(name))
    assert {item.version for item in versions} == {
        first.properties.version,
        second.properties.version,
    }
    for item in versions:
        assert item.name == name
        assert item.vault_url == vault_url
        assert item.id == f"{vault_url}/secrets/{name}/{item.version}"
        assert item.enabled is True


def test_versions_page_with_next_link(secret_client):
    name = unique("conf-paging")
    made = {secret_client.set_secret(name, f"v{index}").properties.version for index in range(30)}
    versions = list(secret_client.list_properties_of_secret_versions(name))
    assert len(versions) == 30  # more than one page of 25: the SDK followed nextLink
    assert {item.version for item in versions} == made


def test_list_secrets_shows_names_without_versions(secret_client, vault_url):
    name = unique("conf-list")
    secret_client.set_secret(name, "listed")
    found = [item for item in secret_client.list_properties_of_secrets() if item.name == name]
    assert len(found) == 1
    assert found[0].id == f"{vault_url}/secrets/{name}"
    assert found[0].version is None


def test_missing_secret_is_resource_not_found(secret_client):
    with pytest.raises(ResourceNotFoundError) as caught:
        secret_client.get_secret(unique("conf-missing"))
    assert caught.value.status_code == 404
    assert caught.value.error.code == "SecretNotFound"


def test_update_properties_keeps_value(secret_client):
    name = unique("conf-update")
    created = secret_client.set_secret(name, "keep me")
    updated = secret_client.update_secret_properties(
        name, created.properties.version, content_type="application/json", tags={"a": "b"}
    )
    assert updated.content_type == "application/json"
    assert updated.tags == {"a": "b"}
    fetched = secret_client.get_secret(name)
    assert fetched.value == "keep me"
    assert fetched.properties.content_type == "application/json"


def test_delete_recover_and_purge(secret_client):
    name = unique("conf-delete")
    secret_client.set_secret(name, "deleted soon")
    deleted = secret_client.begin_delete_secret(name).result()
    assert deleted.name == name
    assert deleted.recovery_id.endswith(f"/deletedsecrets/{name}")
    assert deleted.deleted_date is not None and deleted.scheduled_purge_date is not None
    with pytest.raises(ResourceNotFoundError):
        secret_client.get_secret(name)
    with pytest.raises(HttpResponseError) as conflict:
        secret_client.set_secret(name, "again")
    assert conflict.value.status_code == 409

    recovered = secret_client.begin_recover_deleted_secret(name).result()
    assert recovered.name == name
    assert secret_client.get_secret(name).value == "deleted soon"

    secret_client.begin_delete_secret(name).result()
    assert secret_client.get_deleted_secret(name).name == name
    secret_client.purge_deleted_secret(name)
    with pytest.raises(ResourceNotFoundError):
        secret_client.get_deleted_secret(name)


def test_vault_url_with_port_gets_ids_with_that_port(info, credential, vault_dns):
    """The same vault addressed with the emulator's port in the URL: ids carry host and port as
    the client used them. The SDK's challenge-resource check cannot pass with a non-default
    port (it compares `host:port` with `vault.azure.net`), so it is turned off for this client."""
    from azure.keyvault.secrets import SecretClient

    url = f"https://{VAULT_NAME}.vault.azure.net:{info['port']}"
    client = SecretClient(
        url, credential, connection_verify=info["ca_cert"], verify_challenge_resource=False
    )
    try:
        name = unique("conf-port")
        created = client.set_secret(name, "ported")
        assert created.properties.vault_url == url
        assert created.id.startswith(f"{url}/secrets/{name}/")
        assert client.get_secret(name).value == "ported"
    finally:
        client.close()


def test_challenge_names_the_vault_resource(info, run, vault_dns):
    """Key Vault's first answer to an unauthenticated request: 401 with the challenge the SDK
    reads (authorization URI with the tenant, resource https://vault.azure.net)."""
    import httpx

    async def call():
        async with httpx.AsyncClient(verify=info["ca_cert"]) as client:
            return await client.get(
                f"{info['url']}/vaults/{VAULT_NAME}/secrets/anything?api-version=7.4"
            )

    response = run(call())
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'authorization="{info["url"]}/{info["tenant_id"]}"' in challenge
    assert 'resource="https://vault.azure.net"' in challenge
    assert response.json()["error"]["code"] == "Unauthorized"


def test_registrar_path_addressing_shares_the_vault(info, credential, secret_client, run):
    """Registrar addresses a vault as {base}/vaults/{vault}; the SDK's host form reaches the
    same vault, and ids follow the address each client used."""
    import httpx

    name = unique("conf-shared")
    secret_client.set_secret(name, "same vault")
    token = credential.get_token("https://vault.azure.net/.default").token

    async def call():
        async with httpx.AsyncClient(verify=info["ca_cert"]) as client:
            return await client.get(
                f"{info['url']}/vaults/{VAULT_NAME}/secrets/{name}?api-version=7.4",
                headers={"Authorization": f"Bearer {token}"},
            )

    response = run(call())
    assert response.status_code == 200
    body = response.json()
    assert body["value"] == "same vault"
    assert body["id"].startswith(f"{info['url']}/vaults/{VAULT_NAME}/secrets/{name}/")
