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
