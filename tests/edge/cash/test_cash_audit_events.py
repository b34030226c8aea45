"""Money in and out of the drawer is audited: opening a session with its float, and every
ingreso / egreso with its amount and reason (who, when, from where). Found by the business-day
walk (tests/e2e/test_business_day.py): the evening's expense left no audit event."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from domain.permissions import Role
from edge.audit.models import AuditEvent
from edge.db import read_session
from edge.runtime import EdgeRuntime
from tests.edge.cash.rows import Actor, fixed_clock

BASE = "/api/cash/sessions"


def _events(rt: EdgeRuntime) -> list[AuditEvent]:
    with read_session(rt.engine) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action.startswith("cash."))).all()  # type: ignore[attr-defined]
        return [AuditEvent.model_validate(r.model_dump()) for r in rows]


def test_opening_and_movements_leave_audit_events(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    fixed_clock(edge_runtime)
    cashier = Actor(edge_runtime, Role.RECEPCIONISTA)
    opened = edge_client.post(BASE, json={"opening_float": "150.00"}, headers=cashier.headers)
    assert opened.status_code == 201, opened.text
    sid = opened.json()["id"]
    for kind, amount, reason in (("ingreso", "30.00", "Sencillo"), ("egreso", "12.50", "Agua")):
        r = edge_client.post(
            f"{BASE}/{sid}/movements",
            json={"kind": kind, "amount": amount, "reason": reason},
            headers=cashier.headers,
        )
        assert r.status_code == 201, r.text
    events = sorted(_events(edge_runtime), key=lambda e: e.created_at)
    assert [e.action for e in events] == ["cash.open", "cash.ingreso", "cash.egreso"]
    assert {e.record_id for e in events} == {sid}
    assert {e.username for e in events} == {cashier.user.username}
    assert all(e.ip for e in events)
    assert events[0].details == {"opening_float": "150.00"}
    assert events[2].details is not None
    assert {k: events[2].details[k] for k in ("kind", "amount", "reason")} == {
        "kind": "egreso",
        "amount": "12.50",
        "reason": "Agua",
    }


def test_a_refused_egreso_leaves_no_event(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    fixed_clock(edge_runtime)
    cashier = Actor(edge_runtime, Role.RECEPCIONISTA)
    sid = edge_client.post(BASE, json={"opening_float": "10.00"}, headers=cashier.headers).json()[
        "id"
    ]
    r = edge_client.post(
        f"{BASE}/{sid}/movements",
        json={"kind": "egreso", "amount": "50.00", "reason": "Compra"},
        headers=cashier.headers,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "cash_insufficient"
    assert [e.action for e in _events(edge_runtime)] == ["cash.open"]
