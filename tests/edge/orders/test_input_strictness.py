"""QA input gaps closed at the edge API: one amount format everywhere, a reference on every
non-cash payment, a bounded price override, and validation messages that name their field.
Every refusal is a 422 with a stable code, the field's loc and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.permissions import Role
from edge.config.models import Setting
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from tests.edge.orders.helpers import count_rows, make_patient, sell, seller, sid
from tests.strict_schemas import lax_number_schemas, request_schemas

TABLES = ("lab_order", "order_item", "payment", "order_status_event", "sync_outbox", "audit_event")
BAD_AMOUNTS = ["1e3", "1E2", "٣٥.٠٠", "\t35.00", "+35", "35.", ".5", "NaN", "Infinity", "35,00"]


def snapshot(rt: EdgeRuntime) -> dict[str, int]:
    return {t: count_rows(rt, t) for t in TABLES}


def first(r: Any) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    return dict(r.json()["detail"][0])


# ---------------------------------------------------------------------------- amounts
@pytest.mark.parametrize("bad", BAD_AMOUNTS)
def test_bad_amount_anywhere_in_a_sale_is_refused_with_the_format(
    edge_client: TestClient, edge_runtime: EdgeRuntime, bad: str
) -> None:
    _, h = seller(edge_runtime, Role.SUPERVISOR)
    p = make_patient(edge_runtime)
    before = snapshot(edge_runtime)
    item = {"service_id": sid("HEM-001"), "unit_price": "30.00", "override_reason": "Campaña"}
    base: dict[str, Any] = {"patient_id": p.id, "items": [item]}
    cases: list[tuple[dict[str, Any], list[Any], str]] = [
        (
            {"payments": [{"method": "efectivo", "amount": bad}]},
            ["body", "payments", 0, "amount"],
            "Pago 1, monto: ",
        ),
        (
            {"payments": [{"method": "efectivo", "amount": "30.00", "tendered": bad}]},
            ["body", "payments", 0, "tendered"],
            "Pago 1, monto entregado: ",
        ),
        (
            {"discount": {"kind": "amount", "value": bad, "reason": "Campaña"}},
            ["body", "discount", "value"],
            "",
        ),
        (
            {"items": [{**item, "unit_price": bad}]},
            ["body", "items", 0, "unit_price"],
            "Ítem 1, precio: ",
        ),
    ]
    for patch, loc, prefix in cases:
        err = first(edge_client.post("/api/orders", json={**base, **patch}, headers=h))
        assert (err["type"], err["loc"]) == ("amount_invalid", loc), patch
        assert err["msg"].startswith(prefix) and "Use un monto como 35.00" in err["msg"], err
    assert snapshot(edge_runtime) == before


def test_spaces_around_an_amount_are_fine_other_whitespace_is_not(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    body = sell(
        edge_client,
        h,
        patient_id=p.id,
        items=[sid("HEM-001")],
        payments=[{"method": "efectivo", "amount": "  35.00 ", "tendered": " 50 "}],
    )
    assert body["paid_total"] == "35.00" and body["change"] == "15.00"
    for bad in ("35.00\n", "\u00a035.00", "35.00\u2003"):
        pay = [{"method": "efectivo", "amount": bad}]
        r = edge_client.post(
            "/api/orders", json={"patient_id": p.id, "items": [sid("HEM-001")], "payments": pay},
            headers=h,
        )  # fmt: skip
        assert first(r)["type"] == "amount_invalid"


def test_amount_codes_are_stable(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    cases = [
        ("35.001", "amount_precision"),
        ("1234567890.00", "amount_too_large"),
        ("-35.00", "amount_negative"),
        (35.0, "amount_not_decimal"),
    ]
    for amount, code in cases:
        pay = [{"method": "efectivo", "amount": amount}]
        body = {"patient_id": p.id, "items": [sid("HEM-001")], "payments": pay}
        err = first(edge_client.post("/api/orders", json=body, headers=h))
        assert (err["type"], err["loc"]) == (code, ["body", "payments", 0, "amount"]), amount


def test_cash_session_amounts_use_the_same_rule(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime, cash=False)
    base = "/api/cash/sessions"
    err = first(edge_client.post(base, json={"opening_float": "1e2"}, headers=h))
    assert (err["type"], err["loc"]) == ("amount_invalid", ["body", "opening_float"])
    assert count_rows(edge_runtime, "cash_session") == 0
    r = edge_client.post(base, json={"opening_float": "100.00"}, headers=h)
    assert r.status_code == 201, r.text
    sid_ = r.json()["id"]
    moves = count_rows(edge_runtime, "cash_movement")
    for bad in ("٢٠", "20,00", "Infinity"):
        r = edge_client.post(
            f"{base}/{sid_}/movements",
            json={"kind": "egreso", "amount": bad, "reason": "Compra de útiles"},
            headers=h,
        )
        assert (first(r)["type"], first(r)["loc"]) == ("amount_invalid", ["body", "amount"])
    assert count_rows(edge_runtime, "cash_movement") == moves
    counts = count_rows(edge_runtime, "cash_count")
    r = edge_client.post(
        f"{base}/{sid_}/count",
        json={"denominations": {"1e2": 1}, "declared": {"yape": "1E1"}},
        headers=h,
    )
    locs = {(d["type"], tuple(d["loc"])) for d in r.json()["detail"]}
    assert r.status_code == 422 and ("amount_invalid", ("body", "declared", "yape")) in locs
    r = edge_client.post(f"{base}/{sid_}/count", json={"denominations": {"1e2": 1}}, headers=h)
    assert first(r)["type"] == "denomination_unknown"
    assert count_rows(edge_runtime, "cash_count") == counts


# ------------------------------------------------------------------------- references
@pytest.mark.parametrize("method", ["tarjeta", "yape", "plin", "transferencia"])
def test_non_cash_payment_without_reference_is_refused(
    edge_client: TestClient, edge_runtime: EdgeRuntime, method: str
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    before = snapshot(edge_runtime)
    cash = {"method": "efectivo", "amount": "5.00"}
    for ref in ({}, {"reference": None}, {"reference": "   "}):
        pay = [cash, {"method": method, "amount": "30.00", **ref}]
        body = {"patient_id": p.id, "items": [sid("HEM-001")], "payments": pay}
        err = first(edge_client.post("/api/orders", json=body, headers=h))
        assert (err["type"], err["loc"]) == (
            "payment_reference_required",
            ["body", "payments", 1, "reference"],
        )
        assert err["msg"].startswith("Pago 2, referencia: Indique el número de")
    assert snapshot(edge_runtime) == before
    ok = sell(
        edge_client,
        h,
        patient_id=p.id,
        items=[sid("HEM-001")],
        payments=[cash, {"method": method, "amount": "30.00", "reference": "  OP 778899 "}],
    )
    assert [pay["reference"] for pay in ok["payments"]] == [None, "OP 778899"]


def test_reference_format_and_later_payments(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    order = sell(edge_client, h, patient_id=p.id, items=[sid("HEM-001")])
    url = f"/api/orders/{order['id']}/payments"
    before = snapshot(edge_runtime)
    for ref, code in [
        (None, "payment_reference_required"),
        ("OP", "payment_reference_invalid"),
        ("9" * 41, "payment_reference_invalid"),
        ("OP\u0007123", "payment_reference_invalid"),
    ]:
        pay = {"method": "yape", "amount": "35.00", "reference": ref}
        err = first(edge_client.post(url, json={"payments": [pay]}, headers=h))
        assert (err["type"], err["loc"]) == (code, ["body", "payments", 0, "reference"]), ref
    assert snapshot(edge_runtime) == before
    pay = {"method": "yape", "amount": "35.00", "reference": "OP-12345"}
    r = edge_client.post(url, json={"payments": [pay]}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["balance"] == "0.00"


# --------------------------------------------------------------------- price override
def test_price_override_is_bounded_and_not_zero(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime, Role.SUPERVISOR)
    p = make_patient(edge_runtime)
    before = snapshot(edge_runtime)

    def order_at(price: str) -> Any:
        item = {"service_id": sid("HEM-001"), "unit_price": price, "override_reason": "Campaña"}
        other = sid("BIO-010")
        return edge_client.post(
            "/api/orders", json={"patient_id": p.id, "items": [other, item]}, headers=h
        )

    err = first(order_at("9999999.00"))
    assert (err["type"], err["loc"]) == (
        "price_override_too_high",
        ["body", "items", 1, "unit_price"],
    )
    assert "S/ 50,000.00" in err["msg"] and err["ctx"] == {"max": "50000.00"}
    err = first(order_at("50000.01"))
    assert err["type"] == "price_override_too_high"
    err = first(order_at("0.00"))
    assert (err["type"], err["loc"]) == ("price_override_zero", ["body", "items", 1, "unit_price"])
    assert "descuento" in err["msg"]
    assert first(order_at("-1.00"))["type"] == "amount_negative"
    assert snapshot(edge_runtime) == before
    r = order_at("50000.00")
    assert r.status_code == 201, r.text
    # the hub may replicate another cap
    with unit_of_work(edge_runtime.engine) as session:
        session.add(Setting(id="price-cap", key="price_override_max", value="200.00"))
    assert first(order_at("200.01"))["ctx"] == {"max": "200.00"}
    assert order_at("200.00").status_code == 201


def test_list_price_sent_back_is_not_an_override(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    """A receptionist (no price.override) echoing the catalog price is no override at all."""
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    item = {"service_id": sid("HEM-001"), "unit_price": "35.00"}
    body = sell(edge_client, h, patient_id=p.id, items=[item])
    assert body["items"][0]["price_overridden"] is False


# ------------------------------------------------------------------- field in messages
def test_generic_validation_messages_name_their_field(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    body = {
        "patient_id": p.id,
        "items": [sid("HEM-001")],
        "payments": [{"method": "efectivo"}, {"method": "bitcoin", "amount": "1.00"}],
        "document_type": "99",
        "sobra": 1,
    }
    r = edge_client.post("/api/orders", json=body, headers=h)
    assert r.status_code == 422
    got = {tuple(d["loc"]): (d["type"], d["msg"]) for d in r.json()["detail"]}
    assert got[("body", "payments", 0, "amount")] == (
        "missing",
        "Pago 1, monto: este campo es obligatorio.",
    )
    assert got[("body", "payments", 1, "method")] == (
        "enum",
        "Pago 2, medio de pago: valor no permitido.",
    )
    assert got[("body", "document_type")] == ("literal_error", "Comprobante: valor no permitido.")
    assert got[("body", "sobra")] == ("extra_forbidden", "Sobra: campo no permitido.")
    r = edge_client.post(
        "/api/orders", content=b"{no json", headers={**h, "Content-Type": "application/json"}
    )
    detail = r.json()["detail"][0]
    assert (r.status_code, detail["type"]) == (422, "json_invalid")
    assert detail["msg"] == "El cuerpo no es JSON válido."


# ---------------------------------------------------------------------- the contract
def test_no_request_schema_takes_a_lax_number(edge_client: TestClient) -> None:
    spec = edge_client.get("/openapi.json").json()
    inputs = request_schemas(spec)
    assert "PaymentIn" in inputs and "CountCreate" in inputs
    assert lax_number_schemas(inputs) == []
    money = inputs["PaymentIn"]["properties"]["amount"]
    assert money["pattern"] == r"^[0-9]{1,9}(\.[0-9]{1,2})?$"
