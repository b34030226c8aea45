"""``GET /api/sync/closures/{sede_id}/{day}``: the hub tells a sede's node whether it has closed
a day (node credentials, own sede only), and an enrolled edge asks it before reopening a day
whose closure it has not pulled yet (the hub app in process; the real-process version is
tests/central/test_reopen_hub_check_process.py)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from central.db import unit_of_work as hub_uow
from central.reconciliation.models import Closure
from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.ids import sede_id_for
from domain.permissions import Role
from edge.cash import hub_check
from edge.closures.service import find as mirrored_closure
from edge.db import read_session
from edge.runtime import EdgeRuntime
from edge.sync.enroll import enroll, load_credentials
from tests.edge.cash.rows import Actor
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code, node_client

MORNING = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)  # 10:00 in Lima
DAY = dt.date(2026, 11, 30)
S01 = sede_id_for("S01")


def _enrol(hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime) -> str:
    """Enrol the edge with the hub; returns its Basic authorization header."""
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    info = enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://testserver",
        code=new_code(hub_client, sede),
        clock=edge_runtime.clock,
        client=node_client(hub_client),
    )
    creds = load_credentials(edge_runtime.settings.data_dir)
    assert creds is not None and info["sede_id"] == S01
    token = base64.b64encode(f"{creds['node_id']}:{creds['secret']}".encode()).decode()
    return f"Basic {token}"


def _close(rt: HubRuntime, status: str, day: dt.date = DAY) -> None:
    """The hub's closure of ``day`` for S01 (what the reconciliation run writes)."""
    now = rt.clock.now()
    with hub_uow(rt.engine) as session:
        session.add(
            Closure(
                sede_id=S01,
                business_date=day,
                status=status,
                closed_at=now if status != "pending_data" else None,
                executed_at=now,
                created_at=now,
                updated_at=now,
            )
        )


def _get(client: TestClient, path: str, auth: str | None) -> httpx.Response:
    return client.get(path, headers={"Authorization": auth} if auth else {})


def test_the_node_reads_its_own_days_closure(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    auth = _enrol(hub_client, hub_runtime, edge_runtime)
    path = f"/api/sync/closures/{S01}/{DAY.isoformat()}"
    none = _get(hub_client, path, auth)
    assert none.status_code == 200, none.text
    assert none.json() == {
        "sede_id": S01,
        "business_date": DAY.isoformat(),
        "status": None,
        "status_label": "sin cierre",
        "closed": False,
        "closed_at": None,
        "reopen_count": 0,
    }
    _close(hub_runtime, "with_discrepancies")
    closed = _get(hub_client, path, auth).json()
    assert (closed["status"], closed["status_label"], closed["closed"]) == (
        "with_discrepancies",
        "con discrepancias",
        True,
    )
    assert closed["closed_at"] is not None
    before = DAY - dt.timedelta(days=1)
    _close(hub_runtime, "pending_data", before)
    pending = _get(hub_client, f"/api/sync/closures/{S01}/{before.isoformat()}", auth).json()
    assert (pending["status"], pending["closed"]) == ("pending_data", False)


def test_only_an_authenticated_node_of_that_sede_may_ask(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    auth = _enrol(hub_client, hub_runtime, edge_runtime)
    path = f"/api/sync/closures/{S01}/{DAY.isoformat()}"
    anonymous = _get(hub_client, path, None)
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"][0]["type"] == "node_not_authenticated"
    wrong = "Basic " + base64.b64encode(b"nadie:mal").decode()
    assert _get(hub_client, path, wrong).status_code in (401, 403)
    other = _get(hub_client, f"/api/sync/closures/{sede_id_for('S02')}/{DAY.isoformat()}", auth)
    assert other.status_code == 403
    assert other.json()["detail"][0] == {
        "type": "sede_not_assigned",
        "msg": "Este nodo no pertenece a esa sede.",
        "loc": ["path", "sede_id"],
    }
    bad_day = _get(hub_client, f"/api/sync/closures/{S01}/2026-02-30", auth)
    assert bad_day.status_code == 422
    assert bad_day.json()["detail"][0]["loc"] == ["path", "day"]


@pytest.mark.parametrize(("status", "reopens"), [("reconciled", False), ("reopened", True)])
def test_the_edge_asks_the_hub_before_reopening(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    edge_client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    status: str,
    reopens: bool,
) -> None:
    _enrol(hub_client, hub_runtime, edge_runtime)
    edge_runtime.clock = FixedClock(MORNING)
    supervisor = Actor(edge_runtime, Role.SUPERVISOR)
    sealed = edge_client.post("/api/cash/day/close", json={}, headers=supervisor.headers)
    assert sealed.status_code == 201, sealed.text
    _close(hub_runtime, status)  # the hub closed the day; the edge has not pulled it
    with read_session(edge_runtime.engine) as session:
        assert mirrored_closure(session, sede_id=S01, day=DAY) is None

    def hub_app(_hub_url: str, _timeout: float) -> httpx.Client:
        return TestClient(hub_client.app)

    monkeypatch.setattr(hub_check, "CLIENT_FACTORY", hub_app)
    r = edge_client.post(
        f"/api/cash/day/{DAY.isoformat()}/reopen",
        json={"reason": "Paciente llegó tarde"},
        headers=supervisor.headers,
    )
    body: dict[str, Any] = r.json()
    if reopens:
        assert r.status_code == 200, r.text
        assert (body["hub_checked"], body["hub_status"]) == (True, "reopened")
    else:
        assert r.status_code == 409, r.text
        assert body["detail"][0]["type"] == "day_closed_by_hub"
        assert "Pida a un supervisor que reabra el cierre en la central" in body["detail"][0]["msg"]
