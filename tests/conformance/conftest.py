"""Fixtures shared by the conformance suite.

The `run` script starts the emulator standalone and exports EMULATOR_INFO, the path of the JSON
line the emulator printed: url, port, tenant_id, client_id, client_secret, ca_cert. Every test
talks to that one emulator through the official Microsoft clients.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import ssl
import uuid
from typing import Any

import httpx
import pytest
from azure.identity import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
VAULT_SCOPE = "https://vault.azure.net/.default"
VAULT_NAME = "kv-conformance"
VAULT_SUFFIX = ".vault.azure.net"

# Graph's timestamp format (Edm.DateTimeOffset in UTC, up to 7 fraction digits, 'Z').
GRAPH_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$")


def is_guid(value: Any) -> bool:
    """Whether `value` is a GUID in Graph's lower-case hyphenated form."""
    try:
        return str(uuid.UUID(str(value))) == str(value)
    except ValueError:
        return False


@pytest.fixture(scope="session")
def info() -> dict[str, Any]:
    path = os.environ.get("EMULATOR_INFO")
    if not path:
        pytest.exit("EMULATOR_INFO is not set: run the suite with tests/conformance/run", 2)
    with open(path, encoding="utf-8") as handle:
        return json.loads(handle.readline())


@pytest.fixture(scope="session")
def loop():
    """One event loop for the whole session (the Graph client's httpx pool is bound to it)."""
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.close()


@pytest.fixture(scope="session")
def run(loop):
    """Runs a coroutine to completion on the session loop."""
    return loop.run_until_complete


def make_credential(info: dict[str, Any], secret: str | None = None, client_id: str | None = None):
    """azure-identity's ClientSecretCredential pointed at the emulator's token endpoint."""
    return ClientSecretCredential(
        info["tenant_id"],
        client_id or info["client_id"],
        secret or info["client_secret"],
        authority=info["url"],
        disable_instance_discovery=True,
        connection_verify=info["ca_cert"],
    )


@pytest.fixture(scope="session")
def credential(info):
    cred = make_credential(info)
    yield cred
    cred.close()


class Recorder:
    """Keeps the raw Graph responses (an httpx event hook) so tests can check the wire format
    (timestamps, @odata annotations) that the SDK's models parse away."""

    def __init__(self) -> None:
        self.responses: list[tuple[str, str, int, Any]] = []

    async def hook(self, response: httpx.Response) -> None:
        await response.aread()
        try:
            body = response.json()
        except ValueError:
            body = response.text or None
        self.responses.append(
            (response.request.method, str(response.request.url), response.status_code, body)
        )

    def last(self, method: str, contains: str = "") -> tuple[int, Any]:
        for rec_method, url, status, body in reversed(self.responses):
            if rec_method == method and contains in url:
                return status, body
        raise AssertionError(f"no {method} response recorded for {contains!r}")


@pytest.fixture(scope="session")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="session")
def graph(info, credential, recorder, run) -> GraphServiceClient:
    """msgraph-sdk's GraphServiceClient on the emulator: an httpx client that trusts the
    emulator's CA with base URL {url}/v1.0, wrapped with the SDK's default middleware
    (retry, redirect, telemetry...) by GraphClientFactory."""
    http_client = httpx.AsyncClient(
        verify=ssl.create_default_context(cafile=info["ca_cert"]),
        event_hooks={"response": [recorder.hook]},
        timeout=30,
    )
    http_client = GraphClientFactory.create_with_default_middleware(client=http_client)
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_SCOPE])
    adapter = GraphRequestAdapter(auth, client=http_client)
    adapter.base_url = f"{info['url']}/v1.0"
    client = GraphServiceClient(request_adapter=adapter)
    assert client.request_adapter.base_url == f"{info['url']}/v1.0"
    yield client
    run(http_client.aclose())


@pytest.fixture(scope="session")
def vault_dns(info):
    """Makes `*.vault.azure.net` on port 443 resolve to the emulator (127.0.0.1:PORT) inside this
    process only: a hosts-file entry plus a port forward, without touching the machine.

    The Key Vault SDK parses secret ids strictly and checks that the host it talks to ends with
    `.` + the challenge's resource host (`vault.azure.net`), port included, so the vault URL must
    be a real vault host on the default port: `https://kv-conformance.vault.azure.net`."""
    original = socket.getaddrinfo
    port = int(info["port"])

    def getaddrinfo(host, service, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str) and name.lower().endswith(VAULT_SUFFIX):
            if service in (443, "443", "https", None):
                service = port
            return original("127.0.0.1", service, *args, **kwargs)
        return original(host, service, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    yield
    socket.getaddrinfo = original


@pytest.fixture(scope="session")
def vault_url(vault_dns) -> str:
    return f"https://{VAULT_NAME}{VAULT_SUFFIX}"


@pytest.fixture(scope="session")
def secret_client(info, credential, vault_url):
    from azure.keyvault.secrets import SecretClient

    client = SecretClient(vault_url, credential, connection_verify=info["ca_cert"])
    yield client
    client.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


