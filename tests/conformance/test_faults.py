"""The emulator's fault switches (PUT /_emulator/faults) and request counters, seen through the
official clients: throttling surfaces after the SDK's own retries as ODataError TooManyRequests,
replication lag as a 404, a denied vault as the Key Vault SDK's 403."""

from __future__ import annotations

import time

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from msgraph.generated.models.application import Application
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from conftest import VAULT_NAME, unique


@pytest.fixture()
def control(info):
    """A client for the emulator's control surface; faults are cleared after each test."""
    client = httpx.Client(base_url=info["url"], verify=info["ca_cert"])
    yield client
    assert client.put("/_emulator/faults", json={}).status_code == 200
    client.close()


def test_faults_round_trip(control):
    faults = {"latency_ms": 5, "retry_after_seconds": 2.5, "deny_vaults": ["x"]}
    assert control.put("/_emulator/faults", json=faults).status_code == 200
    current = control.get("/_emulator/faults").json()
    assert current["latency_ms"] == 5
    assert current["retry_after_seconds"] == 2.5
    assert current["deny_vaults"] == ["x"]
    assert current["throttle_rate"] == 0
    assert control.put("/_emulator/faults", json={"latency_ms": "slow"}).status_code == 400


def test_throttling_reaches_the_sdk_as_too_many_requests(graph, run, control):
    control.post("/_emulator/requests/reset")
    control.put("/_emulator/faults", json={"throttle_rate": 1.0, "retry_after_seconds": 1})
    started = time.monotonic()
    with pytest.raises(ODataError) as caught:
        run(graph.applications.get())
    elapsed = time.monotonic() - started
    assert caught.value.response_status_code == 429
    assert caught.value.error.code == "TooManyRequests"
    assert caught.value.response_headers.get("retry-after") == "1"
    counts = control.get("/_emulator/requests").json()
    # msgraph-core's RetryHandler honoured Retry-After and retried before giving up.
    assert counts["counts"]["GET /v1.0/applications"] >= 2
    assert elapsed >= 1.0


def test_replication_lag_hides_a_new_application(graph, run, control):
    # Long enough that the GET right after the create lands inside the window even on a
    # loaded CI machine.
    control.put("/_emulator/faults", json={"replication_lag_ms": 4000})
    app = run(graph.applications.post(Application(display_name=unique("lag"))))
    with pytest.raises(ODataError) as caught:
        run(graph.applications.by_application_id(app.id).get())
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"
    time.sleep(4.1)
    assert run(graph.applications.by_application_id(app.id).get()).id == app.id
    control.put("/_emulator/faults", json={})
    run(graph.applications.by_application_id(app.id).delete())


def test_denied_vault_is_forbidden(secret_client, control):
    control.put("/_emulator/faults", json={"deny_vaults": [VAULT_NAME]})
    with pytest.raises(HttpResponseError) as caught:
        secret_client.set_secret(unique("conf-denied"), "no")
    assert caught.value.status_code == 403
    assert caught.value.error.code == "Forbidden"


def test_request_counters_count_sdk_calls(graph, run, control):
    control.post("/_emulator/requests/reset")
    app = run(graph.applications.post(Application(display_name=unique("count"))))
    run(graph.applications.by_application_id(app.id).get())
    run(graph.applications.by_application_id(app.id).delete())
    counts = control.get("/_emulator/requests").json()
    assert counts["total"] == 3
    assert counts["counts"] == {
        "POST /v1.0/applications": 1,
        "GET /v1.0/applications/{id}": 1,
        "DELETE /v1.0/applications/{id}": 1,
    }
