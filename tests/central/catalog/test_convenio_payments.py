"""Payments received from a convenio, its facturas (replicated ``invoice`` records covering
orders through ``convenio_invoice_order`` records) and the balance: invoiced vs not invoiced,
overdue vs not due by credit days from the factura date, and the monthly statement."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.ids import new_id, sede_id_for
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.catalog.convenio_builders import NOW, RUC, factura, two_months
from tests.central.reconciliation.builders import SedeDay, cents, push_rows

OTHER_RUC = "20100070970"
S01, S02 = sede_id_for("S01"), sede_id_for("S02")


@pytest.fixture
def book(hub_runtime: HubRuntime, hub_client: TestClient) -> dict[str, Any]:
    hub_runtime.clock = FixedClock(NOW)
    make_sede(hub_runtime, "S01")
    make_sede(hub_runtime, "S02")
    admin = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.post(
        "/api/convenios",
        json={"ruc": RUC, "name": "SALUD PLUS EPS S.A.", "coverage_pct": "80", "credit_days": 30},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    conv = r.json()["id"]
    # F001-1 of 01/12 for November: due 31/12, overdue on 15/01;
    # F001-2 of 02/01 for December: due 01/02, not due yet
    jan, o_dec = two_months(hub_runtime.engine, conv)
    # a factura of another customer, and a voided factura of the convenio
    factura(jan, [], convenio_id=conv, number=3, ruc=OTHER_RUC)
    factura(jan, [o_dec], convenio_id=conv, number=4, state="anulado")
    return {"conv": conv, "admin": admin, "url": f"/api/convenios/{conv}/payments"}


def _pay(client: TestClient, b: dict[str, Any], **body: Any) -> Any:
    payload = {"amount": "10.00", "date": "2027-01-10", "method": "transferencia"}
    payload |= {"reference": "OP 000123"} | body
    return client.post(b["url"], json=payload, headers=b["admin"])


def _err(r: Any) -> tuple[int, str, list[Any]]:
    d = r.json()["detail"][0]
    return r.status_code, d["type"], d["loc"]


def test_balance_splits_invoiced_and_overdue_then_payments_reduce_it(
    hub_client: TestClient, hub_runtime: HubRuntime, book: dict[str, Any]
) -> None:
    conv, admin = book["conv"], book["admin"]
    bal = hub_client.get(f"/api/convenios/{conv}/balance", headers=admin).json()
    assert (bal["covered"], bal["invoiced"], bal["not_invoiced"]) == ("264.00", "240.00", "24.00")
    assert (bal["overdue"], bal["not_due"], bal["balance"]) == ("80.00", "160.00", "264.00")
    assert [(f["invoice"], f["due_date"], f["overdue"]) for f in bal["facturas"]] == [
        ("F001-1", "2026-12-31", True), ("F001-2", "2027-02-01", False),
    ]  # fmt: skip

    r = _pay(hub_client, book, amount="50.00", invoice="F001-00000001", reference="OP 1")
    assert r.status_code == 201, r.text
    assert (r.json()["invoice"], r.json()["sede_id"], r.json()["amount"]) == (
        "F001-1", S01, "50.00",
    )  # fmt: skip
    bal = hub_client.get(f"/api/convenios/{conv}/balance", headers=admin).json()
    s01 = next(s for s in bal["sedes"] if s["sede_code"] == "S01")
    assert (s01["paid"], s01["overdue"], s01["not_due"], s01["balance"]) == (
        "50.00", "30.00", "160.00", "190.00",
    )  # fmt: skip
    assert bal["balance"] == "214.00"

    # on account: pays the oldest factura first, then the next
    r = _pay(hub_client, book, amount="100.00", date="2027-01-12", method="deposito")
    assert r.status_code == 201 and r.json()["invoice"] is None
    bal = hub_client.get(f"/api/convenios/{conv}/balance", headers=admin).json()
    assert (bal["paid"], bal["overdue"], bal["not_due"]) == ("150.00", "0.00", "90.00")
    assert (bal["balance"], bal["unapplied"]) == ("114.00", "0.00")  # 264 - 150
    assert [f["outstanding"] for f in bal["facturas"]] == ["0.00", "90.00"]

    # more than everything owed: the surplus is a credit of the convenio
    assert _pay(hub_client, book, amount="200.00").status_code == 201
    bal = hub_client.get(f"/api/convenios/{conv}/balance", headers=admin).json()
    assert (bal["balance"], bal["unapplied"]) == ("-86.00", "110.00")

    listed = hub_client.get(book["url"], headers=admin).json()
    # by date received: 10/01, 10/01, 12/01
    assert [p["amount"] for p in listed["items"]] == ["50.00", "200.00", "100.00"]
    assert listed["total"] == "350.00"
    with hub_runtime.engine.connect() as conn:
        audits = conn.execute(
            text("SELECT count(*) FROM hub_audit_event WHERE action = 'convenio.payment'")
        ).scalar_one()
    assert audits == 3


def test_bad_payments_are_refused_in_spanish_and_leave_nothing(
    hub_client: TestClient, hub_runtime: HubRuntime, book: dict[str, Any]
) -> None:
    assert _pay(hub_client, book, amount="70.00", invoice="F001-1").status_code == 201
    cases = [
        ({"amount": "0.00"}, "amount_not_positive", "amount"),
        ({"amount": "12.345"}, "amount_precision", "amount"),
        ({"amount": "doce"}, "amount_invalid", "amount"),
        ({"amount": "-5.00"}, "amount_negative", "amount"),
        ({"invoice": "F009-99"}, "invoice_not_found", "invoice"),
        ({"invoice": "F001-3"}, "invoice_other_customer", "invoice"),
        ({"invoice": "F001-4"}, "invoice_not_standing", "invoice"),
        ({"invoice": "factura uno"}, "invoice_ref_invalid", "invoice"),
        ({"amount": "10.01", "invoice": "F001-1"}, "payment_exceeds_invoice", "amount"),
        ({"date": "2027-01-16"}, "payment_date_future", "date"),
        ({"reference": ""}, "payment_reference_required", "reference"),
        ({"reference": "   "}, "payment_reference_required", "reference"),
        ({"reference": "OP"}, "payment_reference_invalid", "reference"),
        ({"reference": "OP 1\t2"}, "payment_reference_invalid", "reference"),
        ({"reference": "9" * 41}, "payment_reference_invalid", "reference"),
        ({"method": "cheque", "reference": "Nº"}, "payment_reference_invalid", "reference"),
        ({"reference": "", "invoice": "F001-1"}, "payment_reference_required", "reference"),
        ({"method": "deposito", "reference": ""}, "payment_reference_required", "reference"),
        ({"method": "cheque", "reference": " "}, "payment_reference_required", "reference"),
    ]
    for body, code, field in cases:
        status, got, loc = _err(_pay(hub_client, book, **body))
        assert (status, got, loc[-1]) == (422, code, field), body
    r = _pay(hub_client, book, amount=12.5)
    assert r.status_code == 422
    r = _pay(hub_client, book, method="trueque")
    assert r.status_code == 422
    msg = _pay(hub_client, book, amount="10.01", invoice="F001-1").json()["detail"][0]["msg"]
    assert "excede el saldo de la factura F001-1" in msg and "10.00" in msg
    # exactly the rest is fine
    assert _pay(hub_client, book, amount="10.00", invoice="F001-1").status_code == 201
    missing = hub_client.post(
        "/api/convenios/nada/payments",
        json={"amount": "1.00", "date": "2027-01-10", "method": "efectivo"},
        headers=book["admin"],
    )
    assert missing.status_code == 404
    with hub_runtime.engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM hub_convenio_payment")).scalar_one()
    assert n == 2


def test_permissions_and_sede_scope(
    hub_client: TestClient, hub_runtime: HubRuntime, book: dict[str, Any]
) -> None:
    assert _pay(hub_client, book, amount="5.00", invoice="F001-1").status_code == 201
    supervisor = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[S02])
    body = {"amount": "1.00", "date": "2027-01-10", "method": "efectivo"}
    assert hub_client.post(book["url"], json=body, headers=supervisor).status_code == 403
    cashier = auth_headers(hub_runtime, Role.RECEPCIONISTA)
    assert hub_client.get(book["url"], headers=cashier).status_code == 403
    assert hub_client.get(book["url"], headers=supervisor).json()["items"] == []
    mine = hub_client.get(f"/api/convenios/{book['conv']}/balance", headers=supervisor).json()
    assert [s["sede_code"] for s in mine["sedes"]] == ["S02"] and mine["facturas"] == []
    assert mine["balance"] == "24.00"


def test_credit_note_lowers_what_a_factura_asks_for(
    hub_client: TestClient, hub_runtime: HubRuntime, book: dict[str, Any]
) -> None:
    bal = hub_client.get(f"/api/convenios/{book['conv']}/balance", headers=book["admin"]).json()
    f2 = next(f for f in bal["facturas"] if f["invoice"] == "F001-2")
    jan = SedeDay(hub_runtime.engine, "S01", dt.date(2027, 1, 5))
    nc = jan.invoice(None, doc_type="07", series="FC01", number=1, total=cents("60.00"))
    nc |= {"reference_invoice_id": f2["id"], "customer_doc_number": RUC}
    push_rows(hub_runtime.engine, [("invoice", nc)])
    bal = hub_client.get(f"/api/convenios/{book['conv']}/balance", headers=book["admin"]).json()
    f2 = next(f for f in bal["facturas"] if f["invoice"] == "F001-2")
    assert f2["payable"] == "100.00"
    status, code, _ = _err(_pay(hub_client, book, amount="100.01", invoice="F001-2"))
    assert (status, code) == (422, "payment_exceeds_invoice")


def test_monthly_statement_lists_facturas_payments_and_closing_balance(
    hub_client: TestClient, hub_runtime: HubRuntime, book: dict[str, Any]
) -> None:
    assert _pay(hub_client, book, amount="50.00", invoice="F001-1", reference="OP 7").status_code
    assert _pay(hub_client, book, amount="30.00", date="2026-12-20").status_code == 201
    url = f"/api/convenios/{book['conv']}/statement"
    r = hub_client.get(url, params={"month": "2027-01"}, headers=book["admin"])
    assert r.status_code == 200, r.text
    wb = load_workbook(io.BytesIO(r.content))
    facturas = [[c.value for c in row] for row in wb["Facturas"].iter_rows()]
    assert [row[2] for row in facturas if str(row[2]).startswith("F0")] == ["F001-2"]
    pagos = [[c.value for c in row] for row in wb["Pagos"].iter_rows()]
    numeric = [(row[3], row[4]) for row in pagos if isinstance(row[4], int | float)]
    assert numeric == [("F001-1", 50)]  # the December payment is not in January
    summary = [[c.value for c in row] for row in wb["Resumen"].iter_rows()]
    total = next(row for row in summary if row[0] == "Total")
    # opening 264 - 30 (December payment) = 234; closing 234 - 50 = 184
    assert (total[2], total[7]) == (234, 184)
    pdf = hub_client.get(url, params={"month": "2026-12", "format": "pdf"}, headers=book["admin"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_an_order_whose_line_was_credited_is_not_invoiced_any_more(
    hub_client: TestClient, hub_runtime: HubRuntime, book: dict[str, Any]
) -> None:
    s02 = SedeDay(hub_runtime.engine, "S02", dt.date(2027, 1, 3))
    o1 = s02.order("50.00", covered="40.00", convenio_id=book["conv"])
    o2 = s02.order("25.00", covered="20.00", convenio_id=book["conv"])
    s02.push_day(seal=False)
    factura(s02, [o1], convenio_id=book["conv"], number=1, series="F002")
    factura(s02, [o2], convenio_id=book["conv"], number=2, series="F002",
            credit_note_id=new_id())  # fmt: skip
    bal = hub_client.get(f"/api/convenios/{book['conv']}/balance", headers=book["admin"]).json()
    s = next(s for s in bal["sedes"] if s["sede_code"] == "S02")
    # 24 (December, no factura) + 20 (its line credited) are not invoiced; 40 is
    assert (s["covered"], s["not_invoiced"]) == ("84.00", "44.00")
