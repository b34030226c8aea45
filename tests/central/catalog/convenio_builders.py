"""A convenio's monthly factura as the hub receives it: the replicated ``invoice`` record and its
``convenio_invoice_order`` links (the covered part of each order)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.ids import new_id
from tests.central.reconciliation.builders import SedeDay, push_rows

NOW = dt.datetime(2027, 1, 15, 15, 0, tzinfo=dt.UTC)  # business date 15/01/2027
RUC = "20503123453"


def factura(
    day: SedeDay,
    orders: list[dict[str, Any]],
    *,
    convenio_id: str,
    number: int,
    ruc: str = RUC,
    state: str = "aceptado",
    series: str = "F001",
    credit_note_id: str | None = None,
) -> dict[str, Any]:
    """A convenio factura of ``orders`` (their covered parts) and its link records."""
    total = sum(o["covered_total"] for o in orders)
    inv = day.invoice(None, doc_type="01", series=series, number=number, state=state, total=total)
    inv |= {"customer_doc_type": "6", "customer_doc_number": ruc, "void_requested": False}
    links = [
        ("convenio_invoice_order", {
            "id": new_id(), "sede_id": day.sede_id, "convenio_id": convenio_id,
            "invoice_id": inv["id"], "order_id": o["id"], "order_number": o["number"],
            "month": o["business_date"][:7], "amount": o["covered_total"],
            "business_date": day.day.isoformat(), "created_at": NOW.isoformat(),
            "credit_note_id": credit_note_id,
        })
        for o in orders
    ]  # fmt: skip
    push_rows(day.engine, [("invoice", inv), *links], node_id=day.node_id)
    return inv


def two_months(engine: Any, convenio_id: str) -> tuple[SedeDay, dict[str, Any]]:
    """A convenio's two months at the hub: S01 November 80.00 covered, in F001-1 of 01/12; S01
    December 160.00, in F001-2 of 02/01; S02 December 24.00, not invoiced. Returns the day of
    F001-2 (for more facturas) and S01's December order."""
    nov = SedeDay(engine, "S01", dt.date(2026, 11, 20))
    o_nov = nov.order("100.00", covered="80.00", convenio_id=convenio_id)
    nov.push_day(seal=False)
    dec = SedeDay(engine, "S01", dt.date(2026, 12, 3))
    o_dec = dec.order("200.00", covered="160.00", convenio_id=convenio_id)
    dec.push_day(seal=False)
    dec2 = SedeDay(engine, "S02", dt.date(2026, 12, 28))
    dec2.order("30.00", covered="24.00", convenio_id=convenio_id)
    dec2.push_day(seal=False)
    factura(SedeDay(engine, "S01", dt.date(2026, 12, 1)), [o_nov],
            convenio_id=convenio_id, number=1)  # fmt: skip
    jan = SedeDay(engine, "S01", dt.date(2027, 1, 2))
    factura(jan, [o_dec], convenio_id=convenio_id, number=2)
    return jan, o_dec
