"""Business rules found broken by adversarial testing of the edge API (in-process).

Each test names the rule; each failed on the code before its fix:

- bancarización counts every cash payment of one order, not only those of one request;
- a sealed day admits no sale, payment or refund dated it, and is not sealed while a cash
  session opened earlier (across midnight) is still open;
- an order with a standing boleta/factura does not take a new discount (the document's
  amounts would no longer match what was collected);
- login attempts that were checked in parallel with the failure that locked the pair are
  refused too;
- a supervisor's password typed at the counter (discount, cash difference) is throttled like a
  sign-in;
- a sale sent again with the same ``Idempotency-Key`` returns the first order;
- a bad denomination is located in the body; a cash refund with no open drawer says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from domain.clock import FixedClock
from domain.permissions import Role
from edge.auth import service as auth_service
from edge.billing.models import Invoice
from edge.db import read_session, unit_of_work
from edge.runtime import EdgeRuntime
from tests.edge.factories import PASSWORD, make_user, token_for
from tests.edge.orders.helpers import count_rows, load_catalog, make_patient, seller, sid

# 10:00 in Lima on 2026-11-30 (UTC-5).
MORNING = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def demo_catalog(edge_runtime: EdgeRuntime) -> None:
    load_catalog(edge_runtime)


def _error(r: Any) -> tuple[str, list[Any]]:
    first = r.json()["detail"][0]
    return first["type"], first["loc"]


def _big_order(patient_id: str, price: str, **extra: Any) -> dict[str, Any]:
    """An order of one test sold at ``price`` (price override: supervisors may)."""
    item = {"service_id": sid("HEM-001"), "unit_price": price, "override_reason": "Prueba QA"}
    return {"patient_id": patient_id, "items": [item], **extra}


def _headers(rt: EdgeRuntime, role: Role) -> dict[str, str]:
    """Bearer headers of a new user of ``role``, token issued on ``rt.clock``."""
    return {"Authorization": f"Bearer {token_for(rt, make_user(rt, role))}"}


# ------------------------------------------------------------------------- bancarización
def test_cash_split_over_later_payments_of_one_order_is_refused(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime, Role.SUPERVISOR)
    patient = make_patient(edge_runtime)
    body = _big_order(patient.id, "3000.00", payments=[{"method": "efectivo", "amount": "1500.00"}])
    r = edge_client.post("/api/orders", json=body, headers=h)
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    payments_before = count_rows(edge_runtime, "payment")

    again = {"payments": [{"method": "efectivo", "amount": "500.00"}]}
    r = edge_client.post(f"/api/orders/{order_id}/payments", json=again, headers=h)
    assert r.status_code == 422, r.text
    assert _error(r) == ("bancarizacion", ["body", "payments", 0, "amount"])
    assert "S/ 1,500.00" in r.json()["detail"][0]["msg"]
    assert count_rows(edge_runtime, "payment") == payments_before
    order = edge_client.get(f"/api/orders/{order_id}", headers=h).json()
    assert (order["paid_total"], order["balance"]) == ("1500.00", "1500.00")

    # The rest by card is fine.
    card = {"payments": [{"method": "tarjeta", "amount": "1500.00", "reference": "V-1"}]}
    r = edge_client.post(f"/api/orders/{order_id}/payments", json=card, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["balance"] == "0.00"


def test_cash_reaching_the_threshold_exactly_across_payments_is_refused(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime, Role.SUPERVISOR)
    patient = make_patient(edge_runtime)
    body = _big_order(patient.id, "2500.00", payments=[{"method": "efectivo", "amount": "1999.99"}])
    r = edge_client.post("/api/orders", json=body, headers=h)
    assert r.status_code == 201, r.text  # below S/ 2,000.00: allowed
    order_id = r.json()["id"]
    cent = {"payments": [{"method": "efectivo", "amount": "0.01"}]}
    r = edge_client.post(f"/api/orders/{order_id}/payments", json=cent, headers=h)
    assert r.status_code == 422, r.text
    assert _error(r)[0] == "bancarizacion"


# ------------------------------------------------------------------------- the day seal
def test_a_sealed_day_takes_no_sale_payment_or_refund(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    rt = edge_runtime
    rt.clock = FixedClock(MORNING)
    h = _headers(rt, Role.SUPERVISOR)
    patient = make_patient(rt)
    card = [{"method": "tarjeta", "amount": "10.00", "reference": "V-1"}]
    r = edge_client.post(
        "/api/orders", json=_big_order(patient.id, "35.00", payments=card), headers=h
    )
    assert r.status_code == 201, r.text
    paid_id = r.json()["id"]
    r = edge_client.post("/api/cash/day/close", json={"date": "2026-11-30"}, headers=h)
    assert r.status_code == 201, r.text
    sealed = r.json()["figures"]
    orders, payments = count_rows(rt, "lab_order"), count_rows(rt, "payment")

    r = edge_client.post("/api/orders", json=_big_order(patient.id, "35.00"), headers=h)
    assert r.status_code == 409, r.text
    assert _error(r)[0] == "day_already_sealed"
    r = edge_client.post(f"/api/orders/{paid_id}/payments", json={"payments": card}, headers=h)
    assert r.status_code == 409, r.text
    assert _error(r)[0] == "day_already_sealed"
    r = edge_client.post(f"/api/orders/{paid_id}/cancel", json={"reason": "Prueba QA"}, headers=h)
    assert r.status_code == 409, r.text  # its refund would be dated the sealed day
    assert _error(r)[0] == "day_already_sealed"

    assert (count_rows(rt, "lab_order"), count_rows(rt, "payment")) == (orders, payments)
    live = edge_client.get("/api/cash/day/2026-11-30", headers=h).json()["figures"]
    assert live == sealed
    rt.clock.set(MORNING + dt.timedelta(days=1))  # the next day sells again
    h = _headers(rt, Role.SUPERVISOR)
    r = edge_client.post("/api/orders", json=_big_order(patient.id, "35.00"), headers=h)
    assert r.status_code == 201, r.text


def test_a_drawer_open_across_midnight_keeps_the_new_day_unsealed(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    rt = edge_runtime
    rt.clock = FixedClock(dt.datetime(2026, 11, 30, 4, 59, 59, tzinfo=dt.UTC))  # 23:59:59 Lima
    user = make_user(rt, Role.SUPERVISOR)
    h = {"Authorization": f"Bearer {token_for(rt, user)}"}
    r = edge_client.post("/api/cash/sessions", json={"opening_float": "100.00"}, headers=h)
    assert r.status_code == 201, r.text
    session_id = r.json()["id"]
    patient = make_patient(rt)
    cash = [{"method": "efectivo", "amount": "35.00"}]
    body = _big_order(patient.id, "35.00", payments=cash)
    first = edge_client.post("/api/orders", json=body, headers=h).json()
    rt.clock.set(dt.datetime(2026, 11, 30, 5, 0, 1, tzinfo=dt.UTC))  # 00:00:01 Lima
    second = edge_client.post("/api/orders", json=body, headers=h).json()
    assert (first["business_date"], second["business_date"]) == ("2026-11-29", "2026-11-30")
    assert first["number"].split("-")[1] == "20261129"
    assert second["number"] == "S01-20261130-0001"
    assert {p["cash_session_id"] for p in (*first["payments"], *second["payments"])} == {session_id}
    r = edge_client.post("/api/cash/day/close", json={"date": "2026-11-30"}, headers=h)
    assert r.status_code == 422, r.text
    assert _error(r) == ("cash_sessions_open", [])


# ------------------------------------------------------------------------- discounts
def test_a_billed_order_takes_no_new_discount(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime, Role.SUPERVISOR)
    patient = make_patient(edge_runtime)
    body = {
        "patient_id": patient.id,
        "items": [sid("HEM-001")],
        "discount": {"kind": "amount", "value": "5.00", "reason": "Campaña"},
        "payments": [{"method": "tarjeta", "amount": "30.00", "reference": "V-1"}],
    }
    r = edge_client.post("/api/orders", json=body, headers=h)
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    with read_session(edge_runtime.engine) as session:
        doc = session.exec(select(Invoice).where(Invoice.order_id == order_id)).one()
        total, name = str(doc.total), f"{doc.series}-{doc.number}"
    assert total == "30.00"

    smaller = {"kind": "amount", "value": "2.00", "reason": "Otro descuento"}
    r = edge_client.post(f"/api/orders/{order_id}/discount", json=smaller, headers=h)
    assert r.status_code == 409, r.text
    assert _error(r) == ("order_billed", ["path", "order_id"])
    assert name in r.json()["detail"][0]["msg"]
    order = edge_client.get(f"/api/orders/{order_id}", headers=h).json()
    assert (order["total"], order["balance"], order["discount_value"]) == ("30.00", "0.00", "5.00")


def test_an_unbilled_order_still_takes_a_discount(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime, Role.SUPERVISOR)
    patient = make_patient(edge_runtime)
    part = [{"method": "tarjeta", "amount": "10.00", "reference": "V-1"}]
    body = {"patient_id": patient.id, "items": [sid("HEM-001")], "payments": part}
    order_id = edge_client.post("/api/orders", json=body, headers=h).json()["id"]
    d = {"kind": "amount", "value": "5.00", "reason": "Campaña"}
    r = edge_client.post(f"/api/orders/{order_id}/discount", json=d, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["total"], r.json()["balance"]) == ("30.00", "20.00")


# ------------------------------------------------------------------------- login throttle
def test_attempts_checked_before_the_lock_are_refused_once_it_is_set(
    edge_runtime: EdgeRuntime,
) -> None:
    """Step 1 of twelve sign-ins (one with the right password) runs before any step 2, as
    when they arrive at once: at most five passwords count; the rest, right one included, get
    429 ``login_throttled``."""
    rt = edge_runtime
    user = make_user(rt, Role.RECEPCIONISTA)

    def check(password: str) -> auth_service.CredentialCheck:
        with read_session(rt.engine) as session:
            return auth_service.check_credentials(
                session=session, clock=rt.clock, username=user.username, password=password,
                ip="10.0.0.9",
            )  # fmt: skip

    checks = [check(f"mala-{n}") for n in range(11)] + [check(PASSWORD)]
    codes = []
    for c in checks:
        with unit_of_work(rt.engine) as session:
            outcome = auth_service.complete_login(
                session=session, clock=rt.clock, check=c, secret="s" * 40, sede_id=rt.sede_id
            )
        codes.append(outcome.error.code if outcome.error else "ok")
    assert codes[:5] == ["invalid_credentials"] * 5
    assert codes[5:] == ["login_throttled"] * 7


# ------------------------------------------------------------------------- counter approvals
def test_supervisor_password_at_the_counter_is_throttled_like_a_sign_in(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    """A receptionist cannot guess a supervisor's password through the discount approval
    fields: after five wrong ones even the right one gets 429 and nothing is sold."""
    rt = edge_runtime
    boss = make_user(rt, Role.SUPERVISOR)
    _, h = seller(rt, Role.RECEPCIONISTA)
    patient = make_patient(rt)

    def sell_with(password: str) -> Any:
        discount = {
            "kind": "percent",
            "value": "50",
            "reason": "Campaña",
            "approver_username": boss.username,
            "approver_password": password,
        }
        body = {"patient_id": patient.id, "items": [sid("HEM-001")], "discount": discount}
        return edge_client.post("/api/orders", json=body, headers=h)

    codes = [_error(sell_with(f"adivina-{n}"))[0] for n in range(5)]
    assert codes == ["approval_invalid"] * 5
    r = sell_with(PASSWORD)
    assert r.status_code == 429, r.text
    assert _error(r) == ("approval_throttled", ["body", "discount", "approver_password"])
    assert int(r.headers["Retry-After"]) > 0
    assert count_rows(rt, "lab_order") == 0
    # Another receptionist is not locked out by the first one's guesses.
    _, other = seller(rt, Role.RECEPCIONISTA)
    discount = {
        "kind": "percent",
        "value": "50",
        "reason": "Campaña",
        "approver_username": boss.username,
        "approver_password": PASSWORD,
    }
    body = {"patient_id": patient.id, "items": [sid("HEM-001")], "discount": discount}
    r = edge_client.post("/api/orders", json=body, headers=other)
    assert r.status_code == 201, r.text
    assert r.json()["discount_approved_by"] == boss.id


def test_supervisor_password_for_a_cash_difference_is_throttled(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    rt = edge_runtime
    boss = make_user(rt, Role.SUPERVISOR)
    h = _headers(rt, Role.RECEPCIONISTA)
    r = edge_client.post("/api/cash/sessions", json={"opening_float": "100.00"}, headers=h)
    assert r.status_code == 201, r.text
    url = f"/api/cash/sessions/{r.json()['id']}"
    r = edge_client.post(f"{url}/count", json={"denominations": {"200.00": 1}}, headers=h)
    assert r.status_code == 201, r.text

    def close(password: str) -> Any:
        approval = {"username": boss.username, "password": password}
        body = {"note": "Sobrante sin explicar", "approval": approval}
        return edge_client.post(f"{url}/close", json=body, headers=h)

    assert [_error(close(f"adivina-{n}"))[0] for n in range(5)] == ["approval_invalid"] * 5
    r = close(PASSWORD)
    assert r.status_code == 429, r.text
    assert _error(r) == ("approval_throttled", ["body", "approval"])
    assert edge_client.get(url, headers=h).json()["session"]["status"] == "abierta"


# ------------------------------------------------------------------------- idempotent sales
def test_a_sale_sent_twice_with_one_idempotency_key_is_sold_once(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    rt = edge_runtime
    _, h = seller(rt, Role.RECEPCIONISTA)
    patient = make_patient(rt)
    cash = [{"method": "efectivo", "amount": "35.00", "tendered": "50.00"}]
    body = {"patient_id": patient.id, "items": [sid("HEM-001")], "payments": cash}
    keyed = {**h, "Idempotency-Key": "venta-0001-a1b2c3"}
    first = edge_client.post("/api/orders", json=body, headers=keyed)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = edge_client.post("/api/orders", json=body, headers=keyed)
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (count_rows(rt, "lab_order"), count_rows(rt, "payment")) == (1, 1)

    other = {**body, "items": [sid("HEM-002")]}
    r = edge_client.post("/api/orders", json=other, headers=keyed)
    assert r.status_code == 409, r.text
    assert _error(r) == ("idempotency_key_reused", ["header", "Idempotency-Key"])
    # The key belongs to its user; another cashier's identical key is another sale.
    _, h2 = seller(rt, Role.RECEPCIONISTA)
    r = edge_client.post(
        "/api/orders", json=body, headers={**h2, "Idempotency-Key": "venta-0001-a1b2c3"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["id"] != first.json()["id"]
    r = edge_client.post("/api/orders", json=body, headers={**h, "Idempotency-Key": "a b"})
    assert r.status_code == 422, r.text
    assert _error(r)[1] == ["header", "Idempotency-Key"]
    assert count_rows(rt, "lab_order") == 2


# ------------------------------------------------------------------------- error locations
@pytest.mark.parametrize(
    ("path", "denominations", "code"),
    [
        ("sessions", {"3.00": 1}, "denomination_unknown"),
        ("sessions", {"200.00": -1}, "pieces_negative"),
        ("count", {"0.10": 1, "0.1": 2}, "denomination_repeated"),
    ],
)
def test_a_bad_denomination_is_located_in_the_body(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    path: str,
    denominations: dict[str, int],
    code: str,
) -> None:
    h = _headers(edge_runtime, Role.RECEPCIONISTA)
    url = "/api/cash/sessions"
    if path == "count":
        r = edge_client.post(url, json={"opening_float": "10.00"}, headers=h)
        assert r.status_code == 201, r.text
        url = f"{url}/{r.json()['id']}/count"
    r = edge_client.post(url, json={"denominations": denominations}, headers=h)
    assert r.status_code == 422, r.text
    found, loc = _error(r)
    assert found == code
    assert loc[:2] == ["body", "denominations"] and len(loc) == 3


def test_a_cash_refund_without_an_open_drawer_says_so(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    """The cancellation has no ``payments`` field: the error speaks of the refund, not of
    charging, and points at no body field."""
    rt = edge_runtime
    h = _headers(rt, Role.SUPERVISOR)
    r = edge_client.post("/api/cash/sessions", json={"opening_float": "10.00"}, headers=h)
    drawer = f"/api/cash/sessions/{r.json()['id']}"
    patient = make_patient(rt)
    cash = [{"method": "efectivo", "amount": "35.00"}]
    body = {"patient_id": patient.id, "items": [sid("HEM-001")], "payments": cash}
    order_id = edge_client.post("/api/orders", json=body, headers=h).json()["id"]
    count = {"denominations": {"20.00": 2, "5.00": 1}}
    assert edge_client.post(f"{drawer}/count", json=count, headers=h).status_code == 201
    assert edge_client.post(f"{drawer}/close", json={}, headers=h).status_code == 200
    r = edge_client.post(f"/api/orders/{order_id}/cancel", json={"reason": "Desistió"}, headers=h)
    assert r.status_code == 422, r.text
    assert _error(r) == ("cash_session_closed", [])
    assert "devolver los S/ 35.00" in r.json()["detail"][0]["msg"]
    assert edge_client.get(f"/api/orders/{order_id}", headers=h).json()["status"] == "registrada"
