"""Which rows arriving after a day was closed are late adjustments (domain.reconciliation)."""

from __future__ import annotations

from typing import Any

import pytest

from domain import reconciliation as r

INVOICE = {"sede_id": "s", "business_date": "2026-11-29", "doc_type": "03", "series": "B001",
           "number": 7, "order_id": "o1", "total": 5000, "state": "enviado"}  # fmt: skip


@pytest.mark.parametrize(
    ("record_type", "op", "payload", "known", "before_op", "before", "expected"),
    [
        # SUNAT answers: state only
        ("invoice", "upsert", INVOICE | {"state": "aceptado"}, True, "upsert", INVOICE, False),
        ("invoice", "upsert", INVOICE | {"state": "rechazado"}, True, "upsert", INVOICE, False),
        # an amount that changed, a new row, a deleted row, a row restored
        ("invoice", "upsert", INVOICE | {"total": 4000}, True, "upsert", INVOICE, True),
        ("invoice", "upsert", INVOICE, True, None, None, True),
        ("invoice", "delete", INVOICE, True, "upsert", INVOICE, True),
        ("invoice", "upsert", INVOICE, True, "delete", INVOICE, True),
        # no record of what the closure counted: assume it changes the figures
        ("invoice", "upsert", INVOICE, False, None, None, True),
        # records the figures are not made of never count
        ("sunat_submission", "upsert", {"status": "aceptado"}, False, None, None, False),
        ("order_status_event", "upsert", {}, False, None, None, False),
        ("audit_event", "delete", {}, True, "upsert", {}, False),
        # an order's status or balance moves after the day; its total does not
        ("order", "upsert", {"total": 100, "status": "resultados_listos", "balance": 0}, True,
         "upsert", {"total": 100, "status": "pagada", "balance": 50}, False),
        ("order", "upsert", {"total": 90}, True, "upsert", {"total": 100}, True),
        ("payment", "upsert", {"amount": 100, "method": "yape"}, True, "upsert",
         {"amount": 100, "method": "efectivo"}, True),
    ],
)  # fmt: skip
def test_changes_figures(
    record_type: str,
    op: str,
    payload: dict[str, Any],
    known: bool,
    before_op: str | None,
    before: dict[str, Any] | None,
    expected: bool,
) -> None:
    assert (
        r.changes_figures(
            record_type,
            op=op,
            payload=payload,
            before_known=known,
            before_op=before_op,
            before=before,
        )  # fmt: skip
        is expected
    )
