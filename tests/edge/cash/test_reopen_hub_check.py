"""Reopening a sealed day asks the hub first (an enrolled node): refused when the hub says it has
closed the day though the closure has not been pulled yet; reopened when the hub says it has
not; reopened anyway, with ``hub_checked: false`` and a warning in the response and the audit
row, when the hub cannot answer within the timeout. The hub is a fake transport here (and respx
once, through the default client); tests/central/sync/test_closure_status.py asks a real one."""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlmodel import col, select

from domain.clock import FixedClock
from domain.permissions import Role
from edge.audit.models import AuditEvent
from edge.cash import hub_check
from edge.db import read_session
from edge.runtime import EdgeRuntime
from edge.sync.enroll import save_credentials
from tests.edge.cash.rows import Actor
from tests.edge.factories import SEDE_S01

# 10:00 in Lima on 2026-11-30 (UTC-5).
MORNING = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 30)
CLOSE = "/api/cash/day/close"
REOPEN = f"/api/cash/day/{DAY.isoformat()}/reopen"
REASON = "Paciente llegó tarde: venta pendiente"
HUB = "http://hub.example:8600"
NODE_ID, SECRET = "0193a1b2-0000-7000-8000-000000000001", "s3creto-del-nodo"
CLOSURE_PATH = f"/api/sync/closures/{SEDE_S01}/{DAY.isoformat()}"


class FakeHub:
    """A hub transport: records the requests and answers with ``respond``."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def handler(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        return self.respond(request)

    def factory(self, hub_url: str, timeout: float) -> httpx.Client:
        return httpx.Client(
            base_url=hub_url, timeout=timeout, transport=httpx.MockTransport(self.handler)
        )


def answer(status: str | None, *, closed: bool) -> Callable[[httpx.Request], httpx.Response]:
    body = {
        "sede_id": SEDE_S01,
        "business_date": DAY.isoformat(),
        "status": status,
        "status_label": status or "sin cierre",
        "closed": closed,
        "closed_at": "2026-11-30T23:05:00Z" if closed else None,
        "reopen_count": 0,
    }
    return lambda _request: httpx.Response(200, json=body)


@pytest.fixture(autouse=True)
def clock(edge_runtime: EdgeRuntime) -> FixedClock:
    fixed = FixedClock(MORNING)
    edge_runtime.clock = fixed
    return fixed


@pytest.fixture
def supervisor(edge_runtime: EdgeRuntime) -> Actor:
    return Actor(edge_runtime, Role.SUPERVISOR)


@pytest.fixture
def enrolled(edge_runtime: EdgeRuntime) -> None:
    save_credentials(
        edge_runtime.settings.data_dir,
        {"hub_url": HUB, "node_id": NODE_ID, "secret": SECRET, "sede_id": SEDE_S01, "epoch": 1},
    )


@pytest.fixture
def sealed(edge_client: TestClient, supervisor: Actor) -> dict[str, Any]:
    r = edge_client.post(CLOSE, json={}, headers=supervisor.headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def use(monkeypatch: pytest.MonkeyPatch, hub: FakeHub, *, timeout: float = 2.0) -> FakeHub:
    monkeypatch.setattr(hub_check, "CLIENT_FACTORY", hub.factory)
    monkeypatch.setattr(hub_check, "TIMEOUT", timeout)
    return hub


def reopen_events(rt: EdgeRuntime) -> list[dict[str, Any]]:
    """The details of every ``day.reopen`` audit row."""
    with read_session(rt.engine) as session:
        stmt = select(AuditEvent).where(col(AuditEvent.action) == "day.reopen")
        return [dict(event.details) for event in session.exec(stmt).all()]


def seal_status(client: TestClient, headers: dict[str, str]) -> str:
    r = client.get(f"/api/cash/day/{DAY.isoformat()}", headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


def first_error(r: httpx.Response) -> dict[str, Any]:
    item: dict[str, Any] = r.json()["detail"][0]
    return item


@pytest.mark.usefixtures("enrolled", "sealed")
def test_the_hub_closed_the_day_so_the_reopening_is_refused(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    supervisor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub = use(monkeypatch, FakeHub(answer("with_discrepancies", closed=True)))
    r = edge_client.post(REOPEN, json={"reason": REASON}, headers=supervisor.headers)
    assert r.status_code == 409, r.text
    error = first_error(r)
    assert error["type"] == "day_closed_by_hub" and error["loc"] == ["path", "day"]
    assert "central ya concilió y cerró el día 30/11/2026" in error["msg"]
    # one request, to this sede's day, with the node's own credentials
    [request] = hub.requests
    assert request.url == httpx.URL(HUB + CLOSURE_PATH)
    token = base64.b64encode(f"{NODE_ID}:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {token}"
    assert seal_status(edge_client, supervisor.headers) == "sellado"
    assert reopen_events(edge_runtime) == []


@pytest.mark.usefixtures("enrolled", "sealed")
@pytest.mark.parametrize("status", [None, "pending_data", "reopened"])
def test_the_hub_has_not_closed_the_day_so_it_reopens(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    supervisor: Actor,
    monkeypatch: pytest.MonkeyPatch,
    status: str | None,
) -> None:
    hub = use(monkeypatch, FakeHub(answer(status, closed=False)))
    r = edge_client.post(REOPEN, json={"reason": REASON}, headers=supervisor.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["hub_checked"], body["hub_check"]) == (
        "reabierto",
        True,
        "consultada",
    )
    assert body["hub_status"] == status and body["warning"] is None
    assert len(hub.requests) == 1
    [event] = reopen_events(edge_runtime)
    assert event["hub_checked"] is True and event["hub_check"] == "consultada"
    assert event["hub_status"] == status and event["hub_error"] is None


def _refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


@pytest.mark.usefixtures("enrolled", "sealed")
@pytest.mark.parametrize(
    ("respond", "code"),
    [
        (_refuse_connection, "hub_unavailable"),
        (lambda _r: httpx.Response(503, json={"detail": "x"}), "hub_unavailable"),
        (
            lambda _r: httpx.Response(
                403, json={"detail": [{"type": "node_revoked", "msg": "Nodo revocado.", "loc": []}]}
            ),
            "node_revoked",
        ),
        (lambda _r: httpx.Response(404, json={"detail": "Not Found"}), "hub_error"),
        (lambda _r: httpx.Response(200, text="<html>portal cautivo</html>"), "hub_answer_invalid"),
    ],
    ids=["offline", "hub-503", "node-revoked", "old-hub-404", "captive-portal"],
)
def test_the_hub_cannot_answer_so_it_reopens_with_a_warning(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    supervisor: Actor,
    monkeypatch: pytest.MonkeyPatch,
    respond: Callable[[httpx.Request], httpx.Response],
    code: str,
) -> None:
    hub = use(monkeypatch, FakeHub(respond))
    r = edge_client.post(REOPEN, json={"reason": REASON}, headers=supervisor.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "reabierto"
    assert (body["hub_checked"], body["hub_check"], body["hub_status"]) == (
        False,
        "no_disponible",
        None,
    )
    assert body["warning"].startswith("No se pudo consultar a la central")
    assert len(hub.requests) == 1  # one attempt: no retries while the supervisor waits
    [event] = reopen_events(edge_runtime)
    assert event["hub_checked"] is False and event["hub_error"] == code
    assert event["reason"] == REASON


@pytest.mark.usefixtures("enrolled", "sealed")
def test_a_slow_hub_never_holds_the_reopening_past_the_timeout(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    supervisor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    def stuck(_request: httpx.Request) -> httpx.Response:
        release.wait(10)  # like a name lookup that hangs: no httpx timeout covers it
        return answer("reconciled", closed=True)(_request)

    use(monkeypatch, FakeHub(stuck), timeout=0.3)
    started = time.monotonic()
    r = edge_client.post(REOPEN, json={"reason": REASON}, headers=supervisor.headers)
    elapsed = time.monotonic() - started
    release.set()
    assert r.status_code == 200, r.text
    assert elapsed < 1.5, elapsed
    body = r.json()
    assert body["hub_checked"] is False and "no respondió a tiempo" in body["warning"]
    [event] = reopen_events(edge_runtime)
    assert event["hub_error"] == "hub_timeout"
    assert 300 <= event["hub_elapsed_ms"] < 1500


@pytest.mark.usefixtures("sealed")
def test_a_node_without_a_hub_is_not_asked(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    supervisor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub = use(monkeypatch, FakeHub(answer("reconciled", closed=True)))
    r = edge_client.post(REOPEN, json={"reason": REASON}, headers=supervisor.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["hub_checked"], body["hub_check"], body["warning"]) == (
        False,
        "sin_central",
        None,
    )
    assert hub.requests == []
    [event] = reopen_events(edge_runtime)
    assert event["hub_check"] == "sin_central"


@pytest.mark.usefixtures("enrolled")
def test_local_refusals_do_not_wait_for_the_hub(
    edge_client: TestClient,
    supervisor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub = use(monkeypatch, FakeHub(answer(None, closed=False)))
    never = edge_client.post(REOPEN, json={"reason": REASON}, headers=supervisor.headers)
    assert never.status_code == 409 and first_error(never)["type"] == "day_not_sealed"
    assert edge_client.post(CLOSE, json={}, headers=supervisor.headers).status_code == 201
    short = edge_client.post(REOPEN, json={"reason": "x"}, headers=supervisor.headers)
    assert short.status_code == 422 and first_error(short)["type"] == "reason_required"
    assert hub.requests == []


@pytest.mark.usefixtures("enrolled", "sealed")
def test_the_default_client_asks_the_enrolled_hub(
    edge_client: TestClient, edge_runtime: EdgeRuntime, supervisor: Actor
) -> None:
    """The production client (no test double) with respx in front of the network."""
    assert hub_check.CLIENT_FACTORY is hub_check._default_client
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(HUB + CLOSURE_PATH).mock(side_effect=answer("reconciled", closed=True))
        r = edge_client.post(REOPEN, json={"reason": REASON}, headers=supervisor.headers)
    assert r.status_code == 409 and first_error(r)["type"] == "day_closed_by_hub"
    assert route.call_count == 1 and route.calls.last.request.headers["Authorization"]
    assert reopen_events(edge_runtime) == []
