"""azure-identity: ClientSecretCredential gets its tokens from the emulator's token endpoint
through the real MSAL flow (OpenID configuration, then the v2.0 token endpoint)."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
from azure.core.exceptions import ClientAuthenticationError

from conftest import GRAPH_SCOPE, VAULT_SCOPE, make_credential


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


@pytest.mark.parametrize(
    ("scope", "audience"),
    [(GRAPH_SCOPE, "https://graph.microsoft.com"), (VAULT_SCOPE, "https://vault.azure.net")],
)
def test_client_secret_credential_gets_token(info, scope, audience):
    credential = make_credential(info)
    try:
        token = credential.get_token(scope)
    finally:
        credential.close()
    assert token.token.count(".") == 2
    assert token.expires_on > time.time() + 3000
    body = claims(token.token)
    assert body["aud"].rstrip("/") == audience
    assert body["tid"] == info["tenant_id"]
    assert body["appid"] == info["client_id"]
    assert body["iss"] == f"https://sts.windows.net/{info['tenant_id']}/"
    assert body["idtyp"] == "app"
    assert "Application.ReadWrite.All" in body["roles"]


def test_get_token_info_reports_bearer(info):
    credential = make_credential(info)
    try:
        token = credential.get_token_info(GRAPH_SCOPE)
    finally:
        credential.close()
    assert token.token_type.lower() == "bearer"
    assert token.expires_on > time.time()


def test_wrong_secret_is_aadsts7000215(info):
    credential = make_credential(info, secret="not-the-secret")
    try:
        with pytest.raises(ClientAuthenticationError) as caught:
            credential.get_token(GRAPH_SCOPE)
    finally:
        credential.close()
    assert "AADSTS7000215" in str(caught.value)
    assert "Invalid client secret provided" in str(caught.value)


def test_unknown_client_is_aadsts700016(info):
    credential = make_credential(info, client_id=str(uuid.uuid4()))
    try:
        with pytest.raises(ClientAuthenticationError) as caught:
            credential.get_token(GRAPH_SCOPE)
    finally:
        credential.close()
    assert "AADSTS700016" in str(caught.value)


def test_unknown_resource_is_aadsts500011(info):
    credential = make_credential(info)
    try:
        with pytest.raises(ClientAuthenticationError) as caught:
            credential.get_token("https://unknown.example.com/.default")
    finally:
        credential.close()
    assert "AADSTS500011" in str(caught.value)
