"""Cash sessions over HTTP: open, movements, blind count, close with approval, reopen, adjust."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from domain.errors import RuleViolation
from domain.permissions import Role
from edge.audit.models import AuditEvent
from edge.cash import service as cash_service
from edge.cash.models import CashSession
from edge.db import read_session, unit_of_work
from edge.runtime import EdgeRuntime
from tests.edge.cash.rows import Actor, add_order, add_payment, fixed_clock
from tests.edge.factories import SEDE_S01

BASE = "/api/cash/sessions"


def _error(r: Any) -> str:
    return str(r.json()["detail"][0]["type"])


@pytest.fixture
def cashier(edge_runtime: EdgeRuntime) -> Actor:
    fixed_clock(edge_runtime)
    return Actor(edge_runtime, Role.RECEPCIONISTA)


@pytest.fixture
def supervisor(edge_runtime: EdgeRuntime) -> Actor:
    return Actor(edge_runtime, Role.SUPERVISOR)


def _open(client: TestClient, actor: Actor, amount: str = "100.00") -> dict[str, Any]:
    r = client.post(BASE, json={"opening_float": amount}, headers=actor.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _audits(rt: EdgeRuntime, action: str) -> list[AuditEvent]:
    """Detached copies of the audit events of ``action``."""
    with read_session(rt.engine) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()
        return [AuditEvent.model_validate(r.model_dump()) for r in rows]


def test_open_one_per_cashier_and_current(edge_client: TestClient, cashier: Actor) -> None:
    opened = _open(edge_client, cashier)
    assert opened["status"] == "abierta" and opened["opening_float"] == "100.00"
    again = edge_client.post(BASE, json={"opening_float": "5.00"}, headers=cashier.headers)
    assert again.status_code == 409 and _error(again) == "cash_session_already_open"
    current = edge_client.get(f"{BASE}/current", headers=cashier.headers)
    assert current.status_code == 200 and current.json()["id"] == opened["id"]


def test_open_by_denominations_must_match_the_float(
    edge_client: TestClient, cashier: Actor
) -> None:
    bad = edge_client.post(
        BASE,
        json={"opening_float": "100.00", "denominations": {"50": 1, "20": 2}},
        headers=cashier.headers,
    )
    assert bad.status_code == 422 and _error(bad) == "opening_float_mismatch"
    unknown = edge_client.post(BASE, json={"denominations": {"3": 1}}, headers=cashier.headers)
    assert unknown.status_code == 422 and _error(unknown) == "denomination_unknown"
    floaty = edge_client.post(BASE, json={"opening_float": 100.5}, headers=cashier.headers)
    assert floaty.status_code == 422
    ok = edge_client.post(
        BASE, json={"denominations": {"50": 1, "20": 2, "0.5": 3}}, headers=cashier.headers
    )
    assert ok.status_code == 201
    assert ok.json()["opening_float"] == "91.50"
    assert ok.json()["opening_denominations"] == {"50.00": 1, "20.00": 2, "0.50": 3}


def test_no_session_without_permission_and_current_404(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor
) -> None:
    lab = Actor(edge_runtime, Role.LABORATORISTA)
    r = edge_client.post(BASE, json={"opening_float": "10.00"}, headers=lab.headers)
    assert r.status_code == 403 and _error(r) == "permission_denied"
    none = edge_client.get(f"{BASE}/current", headers=cashier.headers)
    assert none.status_code == 404 and _error(none) == "cash_session_none"


def test_open_session_for_refuses_without_an_open_session(
    edge_runtime: EdgeRuntime, edge_client: TestClient, cashier: Actor
) -> None:
    with unit_of_work(edge_runtime.engine) as session:
        with pytest.raises(RuleViolation) as err:
            cash_service.open_session_for(session, sede_id=SEDE_S01, cashier_id=cashier.id)
    assert err.value.code == "cash_session_closed"
    assert err.value.msg == "Abra la caja antes de cobrar en efectivo."
    opened = _open(edge_client, cashier)
    with unit_of_work(edge_runtime.engine) as session:
        found = cash_service.open_session_for(session, sede_id=SEDE_S01, cashier_id=cashier.id)
        assert found.id == opened["id"]
        assert cash_service.current_session(session, sede_id=SEDE_S01, cashier_id="x") is None


def test_movements_and_egreso_limited_to_cash_on_hand(
    edge_client: TestClient, cashier: Actor
) -> None:
    sid = _open(edge_client, cashier)["id"]
    url = f"{BASE}/{sid}/movements"
    r = edge_client.post(
        url,
        json={"kind": "ingreso", "amount": "50.00", "reason": "Sencillo"},
        headers=cashier.headers,
    )
    assert r.status_code == 201 and r.json()["kind"] == "ingreso"
    too_much = edge_client.post(
        url, json={"kind": "egreso", "amount": "150.01", "reason": "Pago"}, headers=cashier.headers
    )
    assert too_much.status_code == 422 and _error(too_much) == "cash_insufficient"
    assert "150" not in too_much.json()["detail"][0]["msg"]  # the figure stays blind
    exact = edge_client.post(
        url,
        json={"kind": "egreso", "amount": "150.00", "reason": "Depósito"},
        headers=cashier.headers,
    )
    assert exact.status_code == 201
    no_reason = edge_client.post(
        url, json={"kind": "ingreso", "amount": "1.00", "reason": ""}, headers=cashier.headers
    )
    assert no_reason.status_code == 422


def _sell(rt: EdgeRuntime, cashier: Actor, sid: str) -> None:
    """Cash 80 and card 120 in the session, a Yape 30 not linked, a cash refund of 20."""
    o1 = add_order(rt, cashier_id=cashier.id)
    add_payment(rt, order=o1, method="efectivo", amount="80.00", cashier_id=cashier.id,
                cash_session_id=sid)  # fmt: skip
    add_payment(rt, order=o1, method="tarjeta", amount="120.00", cashier_id=cashier.id,
                cash_session_id=sid)  # fmt: skip
    o2 = add_order(rt, cashier_id=cashier.id, status="anulada")
    add_payment(rt, order=o2, method="yape", amount="30.00", cashier_id=cashier.id)
    add_payment(rt, order=o2, method="efectivo", amount="20.00", cashier_id=cashier.id,
                cash_session_id=sid)  # fmt: skip
    add_payment(rt, order=o2, method="efectivo", amount="-20.00", cashier_id=cashier.id,
                cash_session_id=sid)  # fmt: skip


COUNT_OK = {
    # 100 float + 80 + 20 - 20 = 180 in cash
    "denominations": {"100": 1, "50": 1, "20": 1, "5": 1, "2": 2, "0.50": 2},
    "declared": {"tarjeta": "120.00", "yape": "30.00"},
}


def test_blind_count_then_close_with_summary(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor
) -> None:
    sid = _open(edge_client, cashier)["id"]
    _sell(edge_runtime, cashier, sid)
    before = edge_client.get(f"{BASE}/{sid}", headers=cashier.headers).json()
    assert before["summary"] is None and before["counts"] == []
    assert before["session"]["difference"] is None
    assert "expected" not in str(before)  # nothing expected is revealed before the count

    r = edge_client.post(f"{BASE}/{sid}/count", json=COUNT_OK, headers=cashier.headers)
    assert r.status_code == 201, r.text
    count = r.json()
    assert count["cash_total"] == "180.00"
    lines = {line["method"]: line for line in count["lines"]}
    assert lines["efectivo"] == {
        "method": "efectivo", "expected": "180.00", "counted": "180.00", "difference": "0.00"
    }  # fmt: skip
    assert lines["tarjeta"]["expected"] == "120.00" and lines["yape"]["expected"] == "30.00"
    assert count["difference"] == "0.00" and count["needs_approval"] is False

    closed = edge_client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers)
    assert closed.status_code == 200, closed.text
    summary = closed.json()
    assert summary["session"]["status"] == "cerrada"
    assert summary["session"]["difference"] == "0.00"
    sales = {s["method"]: (s["count"], s["total"]) for s in summary["sales"]}
    assert sales == {"efectivo": (2, "100.00"), "tarjeta": (1, "120.00"), "yape": (1, "30.00")}
    assert summary["refunds"] == [{"method": "efectivo", "count": 1, "total": "-20.00"}]
    assert [c["reason"] for c in summary["cancellations"]] == ["Paciente desistió"]
    assert summary["credit_notes"] == []
    assert len(_audits(edge_runtime, "cash.close")) == 1
    detail = edge_client.get(f"{BASE}/{sid}", headers=cashier.headers).json()
    assert detail["summary"]["expected_total"] == "330.00"
    again = edge_client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers)
    assert again.status_code == 409 and _error(again) == "cash_session_not_open"


def test_close_needs_a_fresh_count(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor
) -> None:
    sid = _open(edge_client, cashier)["id"]
    r = edge_client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers)
    assert r.status_code == 422 and _error(r) == "cash_count_required"
    edge_client.post(f"{BASE}/{sid}/count", json={"denominations": {"100": 1}},
                     headers=cashier.headers)  # fmt: skip
    order = add_order(edge_runtime, cashier_id=cashier.id)
    add_payment(edge_runtime, order=order, method="efectivo", amount="15.00",
                cashier_id=cashier.id, cash_session_id=sid)  # fmt: skip
    stale = edge_client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers)
    assert stale.status_code == 422 and _error(stale) == "cash_count_stale"


def _short_by(edge_client: TestClient, cashier: Actor, shortage: str) -> str:
    sid = _open(edge_client, cashier)["id"]
    cash = Decimal("100.00") - Decimal(shortage)
    tenths = int(cash * 10)
    r = edge_client.post(
        f"{BASE}/{sid}/count", json={"denominations": {"0.10": tenths}}, headers=cashier.headers
    )
    assert Decimal(r.json()["difference"]) == -Decimal(shortage)
    return str(sid)


def test_difference_at_the_threshold_needs_no_approval(
    edge_client: TestClient, cashier: Actor
) -> None:
    sid = _short_by(edge_client, cashier, "10.00")  # the sede's threshold is S/ 10.00
    r = edge_client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers)
    assert r.status_code == 200 and r.json()["session"]["difference_approved_by"] is None


def test_difference_above_threshold_needs_a_supervisor(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor, supervisor: Actor
) -> None:
    sid = _short_by(edge_client, cashier, "10.10")
    url = f"{BASE}/{sid}/close"
    r = edge_client.post(url, json={}, headers=cashier.headers)
    assert r.status_code == 422 and _error(r) == "cash_difference_needs_approval"
    other = Actor(edge_runtime, Role.RECEPCIONISTA)
    for creds in (
        {"username": supervisor.user.username, "password": "incorrecta"},
        {"username": other.user.username, "password": other.password},
        {"username": "nadie", "password": "x"},
    ):
        r = edge_client.post(
            url, json={"note": "Vuelto", "approval": creds}, headers=cashier.headers
        )
        assert r.status_code == 403 and _error(r) == "approval_invalid", creds
    good = {"username": supervisor.user.username, "password": supervisor.password}
    no_note = edge_client.post(url, json={"approval": good}, headers=cashier.headers)
    assert no_note.status_code == 422 and _error(no_note) == "cash_difference_reason_required"
    ok = edge_client.post(url, json={"note": "Vuelto mal dado", "approval": good},
                          headers=cashier.headers)  # fmt: skip
    assert ok.status_code == 200, ok.text
    assert ok.json()["session"]["difference_approved_by"] == supervisor.id
    assert ok.json()["difference"] == "-10.10"
    approved = _audits(edge_runtime, "cash.difference_approved")
    assert [a.user_id for a in approved] == [supervisor.id]


def _count_cash(edge_client: TestClient, cashier: Actor, sid: str, cash: str) -> Any:
    tenths = int(Decimal(cash) * 10)
    r = edge_client.post(
        f"{BASE}/{sid}/count", json={"denominations": {"0.10": tenths}}, headers=cashier.headers
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_a_recount_does_not_erase_the_first_counts_difference(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor, supervisor: Actor
) -> None:
    # the first count shows the expected figure; counting again to match it needs a supervisor
    sid = _short_by(edge_client, cashier, "52.00")
    recount = _count_cash(edge_client, cashier, sid, "100.00")
    assert (recount["difference"], recount["needs_approval"]) == ("0.00", True)
    url = f"{BASE}/{sid}/close"
    r = edge_client.post(url, json={}, headers=cashier.headers)
    assert r.status_code == 422 and _error(r) == "cash_difference_needs_approval"
    assert "primer arqueo tuvo un faltante de S/ 52.00" in r.json()["detail"][0]["msg"]
    good = {"username": supervisor.user.username, "password": supervisor.password}
    ok = edge_client.post(
        url,
        json={"note": "Un billete de 50 estaba en el sobre de vueltos", "approval": good},
        headers=cashier.headers,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["difference"] == "0.00"
    assert ok.json()["session"]["difference_approved_by"] == supervisor.id
    (closed,) = _audits(edge_runtime, "cash.close")
    assert closed.details["counts"] == 2
    assert closed.details["first_count_difference_cents"] == -5200
    (approved,) = _audits(edge_runtime, "cash.difference_approved")
    assert approved.details["first_count_difference_cents"] == -5200


def test_a_recount_within_the_threshold_or_after_new_sales_needs_no_supervisor(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor
) -> None:
    sid = _short_by(edge_client, cashier, "0.50")  # within the S/ 10.00 threshold
    _count_cash(edge_client, cashier, sid, "100.00")
    assert (
        edge_client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers).status_code == 200
    )
    # a count made stale by a later sale: the figures changed, the new count is the first of them
    sid = _short_by(edge_client, cashier, "40.00")
    order = add_order(edge_runtime, cashier_id=cashier.id)
    add_payment(edge_runtime, order=order, method="efectivo", amount="15.00",
                cashier_id=cashier.id, cash_session_id=sid)  # fmt: skip
    _count_cash(edge_client, cashier, sid, "115.00")
    r = edge_client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers)
    assert r.status_code == 200, r.text


def test_reopen_is_for_supervisors_with_a_reason_and_needs_a_new_count(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor, supervisor: Actor
) -> None:
    sid = _short_by(edge_client, cashier, "0.00")
    assert (
        edge_client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers).status_code == 200
    )
    url = f"{BASE}/{sid}/reopen"
    denied = edge_client.post(url, json={"reason": "Me equivoqué"}, headers=cashier.headers)
    assert denied.status_code == 403 and _error(denied) == "permission_denied"
    short = edge_client.post(url, json={"reason": "x"}, headers=supervisor.headers)
    assert short.status_code == 422
    r = edge_client.post(url, json={"reason": "Se omitió un egreso"}, headers=supervisor.headers)
    assert r.status_code == 200 and r.json()["status"] == "abierta"
    assert r.json()["reopened_count"] == 1 and r.json()["difference"] is None
    events = _audits(edge_runtime, "cash.reopen")
    assert len(events) == 1 and events[0].details["reason"] == "Se omitió un egreso"
    assert events[0].details["previous"]["difference_cents"] == 0
    edge_runtime.clock.advance(seconds=60)  # type: ignore[attr-defined]
    again = edge_client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers)
    assert again.status_code == 422 and _error(again) == "cash_count_required"


def test_adjustments_only_after_close_and_never_edit_the_session(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor, supervisor: Actor
) -> None:
    sid = _short_by(edge_client, cashier, "5.00")
    url = f"{BASE}/{sid}/adjustments"
    body = {"amount": "5.00", "reason": "Billete hallado bajo la gaveta"}
    early = edge_client.post(url, json=body, headers=supervisor.headers)
    assert early.status_code == 409 and _error(early) == "cash_session_not_closed"
    assert (
        edge_client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers).status_code == 200
    )
    with read_session(edge_runtime.engine) as session:
        before = session.get(CashSession, sid)
        assert before is not None
        frozen = before.model_dump()
    denied = edge_client.post(url, json=body, headers=cashier.headers)
    assert denied.status_code == 403
    r = edge_client.post(url, json=body, headers=supervisor.headers)
    assert r.status_code == 201 and r.json()["kind"] == "ajuste" and r.json()["amount"] == "5.00"
    with read_session(edge_runtime.engine) as session:
        after = session.get(CashSession, sid)
        assert after is not None and after.model_dump() == frozen
    summary = edge_client.get(f"{BASE}/{sid}", headers=supervisor.headers).json()["summary"]
    assert summary["difference"] == "-5.00"
    assert summary["adjustments_total"] == "5.00" and summary["adjusted_difference"] == "0.00"
    assert len(_audits(edge_runtime, "cash.adjust")) == 1


def test_cashiers_see_only_their_sessions(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor, supervisor: Actor
) -> None:
    mine = _open(edge_client, cashier)["id"]
    other = Actor(edge_runtime, Role.RECEPCIONISTA)
    theirs = _open(edge_client, other)["id"]
    foreign = edge_client.get(f"{BASE}/{theirs}", headers=cashier.headers)
    assert foreign.status_code == 403 and _error(foreign) == "cash_session_foreign"
    listed = edge_client.get(BASE, headers=cashier.headers).json()
    assert [s["id"] for s in listed["items"]] == [mine] and listed["total"] == 1
    all_ = edge_client.get(BASE, params={"status": "abierta"}, headers=supervisor.headers).json()
    assert {s["id"] for s in all_["items"]} == {mine, theirs}
    by_day = edge_client.get(BASE, params={"date": "2020-01-01"}, headers=supervisor.headers)
    assert by_day.json()["total"] == 0
    missing = edge_client.get(f"{BASE}/no-such-id", headers=supervisor.headers)
    assert missing.status_code == 404 and _error(missing) == "cash_session_not_found"
    bad_status = edge_client.get(BASE, params={"status": "rota"}, headers=supervisor.headers)
    assert bad_status.status_code == 422


def test_payments_after_the_close_belong_to_no_closed_session(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor
) -> None:
    sid = _short_by(edge_client, cashier, "0.00")
    edge_client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers)
    edge_runtime.clock.advance(dt.timedelta(minutes=5))  # type: ignore[attr-defined]
    order = add_order(edge_runtime, cashier_id=cashier.id)
    add_payment(edge_runtime, order=order, method="tarjeta", amount="40.00",
                cashier_id=cashier.id, now=edge_runtime.clock.now())  # fmt: skip
    summary = edge_client.get(f"{BASE}/{sid}", headers=cashier.headers).json()["summary"]
    assert summary["sales"] == []


def test_absurd_amounts_are_refused_not_500(edge_client: TestClient, cashier: Actor) -> None:
    huge = "99999999999999999999.00"
    r = edge_client.post(BASE, json={"opening_float": huge}, headers=cashier.headers)
    assert r.status_code == 422 and _error(r) == "amount_too_large"
    sid = _open(edge_client, cashier)["id"]
    r = edge_client.post(
        f"{BASE}/{sid}/movements",
        json={"kind": "ingreso", "amount": huge, "reason": "Error"},
        headers=cashier.headers,
    )
    assert r.status_code == 422 and _error(r) == "amount_too_large"
    r = edge_client.post(
        f"{BASE}/{sid}/count",
        json={"denominations": {"200": 1}, "declared": {"tarjeta": huge}},
        headers=cashier.headers,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "declared", "tarjeta"]
