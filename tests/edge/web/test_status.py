"""``GET /api/web/status`` (the reception header) and the background hub probe."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from domain.permissions import Role
from edge.app import create_app
from edge.runtime import EdgeRuntime
from edge.web.status import HubProbe
from tests.edge.factories import auth_headers
from tests.procs import free_port


def test_needs_a_session(edge_client: TestClient) -> None:
    r = edge_client.get("/api/web/status")
    assert r.status_code == 401
    assert r.json()["detail"][0]["type"] == "not_authenticated"


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_header(
    edge_client: TestClient, edge_runtime: EdgeRuntime, role: Role
) -> None:
    r = edge_client.get("/api/web/status", headers=auth_headers(edge_runtime, role))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sede_code"] == "S01"
    assert body["hub"] == "sin_central" and body["hub_url"] is None
    assert (body["sunat_pending"], body["sunat_overdue"]) == (0, 0)
    assert body["sync_backlog"] >= 0 and body["sync_failures"] == 0
    assert body["lab_pending"] == 0 and body["lab_alerts"] == 0


@pytest.fixture
def dead_hub_client(edge_runtime: EdgeRuntime) -> Iterator[TestClient]:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: connection refused
    settings = edge_runtime.settings.model_copy(update={"hub_url": dead})
    rt = EdgeRuntime(settings=settings, engine=edge_runtime.engine)
    with TestClient(create_app(settings, runtime=rt)) as client:
        yield client


def test_an_unreachable_hub_reads_sin_conexion_without_blocking(
    dead_hub_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    headers = auth_headers(edge_runtime)
    dead_hub_client.get("/health")  # warm up
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        started = time.perf_counter()
        body = dead_hub_client.get("/api/web/status", headers=headers).json()
        assert time.perf_counter() - started < 1.0
        seen.append(body["hub"])
        if body["hub"] == "sin_conexion":
            break
        time.sleep(0.05)
    assert seen[-1] == "sin_conexion", seen
    assert set(seen) <= {"comprobando", "sin_conexion"}


def _probe(handler: httpx.MockTransport) -> HubProbe:
    return HubProbe(
        interval=60, client_factory=lambda timeout: httpx.Client(transport=handler, timeout=timeout)
    )


def test_probe_reports_a_healthy_hub_online() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, json={"status": "ok"})

    probe = _probe(httpx.MockTransport(handler))
    assert probe.probe_now("http://hub.example:8100/") is True
    import datetime as dt

    state, checked = probe.state("http://hub.example:8100/", now=dt.datetime.now(dt.UTC))
    assert state == "en_linea" and checked is not None
    assert calls == ["http://hub.example:8100/health"]  # not re-probed within the interval


@pytest.mark.parametrize("failure", ["refused", "500"])
def test_probe_reports_a_failing_hub_offline(failure: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if failure == "refused":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(500)

    probe = _probe(httpx.MockTransport(handler))
    assert probe.probe_now("http://hub.example:8100") is False


def test_a_slow_hub_never_blocks_the_caller() -> None:
    import datetime as dt

    def handler(request: httpx.Request) -> httpx.Response:
        time.sleep(0.5)
        return httpx.Response(200)

    probe = _probe(httpx.MockTransport(handler))
    started = time.perf_counter()
    state, _ = probe.state("http://slow.example", now=dt.datetime.now(dt.UTC))
    assert state == "comprobando"
    assert time.perf_counter() - started < 0.4  # the probe itself takes 0.5 s
    deadline = time.monotonic() + 5
    while state == "comprobando" and time.monotonic() < deadline:
        time.sleep(0.05)
        state, _ = probe.state("http://slow.example", now=dt.datetime.now(dt.UTC))
    assert state == "en_linea"


def test_no_hub_configured() -> None:
    import datetime as dt

    assert HubProbe().state(None, now=dt.datetime.now(dt.UTC)) == ("sin_central", None)
