"""Examples of the cash drawer: one session opened with S/ 100.00 and closed S/ 5.00 short."""

from __future__ import annotations

from edge.openapi_examples import common as c
from edge.openapi_examples.records import Example, page

SESSION_OPEN: Example = {
    "id": c.SESSION_ID,
    "sede_id": c.SEDE_ID,
    "cashier_id": c.CASHIER_ID,
    "status": "abierta",
    "opening_float": "100.00",
    "opening_denominations": {"50.00": 1, "20.00": 2, "10.00": 1},
    "opened_at": c.OPENED_AT,
    "business_date": c.BUSINESS_DATE,
    "closed_at": None,
    "closed_by": None,
    "difference": None,
    "difference_approved_by": None,
    "closing_note": None,
    "reopened_count": 0,
    "reopen_reason": None,
}

SESSION_CLOSED: Example = {
    **SESSION_OPEN,
    "status": "cerrada",
    "closed_at": c.CLOSED_AT,
    "closed_by": c.CASHIER_ID,
    "difference": "-5.00",
    "closing_note": "Faltan S/ 5: vuelto mal entregado",
}

MOVEMENT: Example = {
    "id": c.MOVEMENT_ID,
    "session_id": c.SESSION_ID,
    "kind": "egreso",
    "amount": "10.00",
    "reason": "Compra de útiles de oficina",
    "user_id": c.CASHIER_ID,
    "business_date": c.BUSINESS_DATE,
    "created_at": c.PAID_AT,
}

# Expected cash: 100.00 float + 20.00 sales - 10.00 egreso = 110.00; counted 105.00.
METHOD_LINES: list[Example] = [
    {"method": method, "expected": expected, "counted": counted, "difference": difference}
    for method, expected, counted, difference in (
        ("efectivo", "110.00", "105.00", "-5.00"),
        ("tarjeta", "0.00", "0.00", "0.00"),
        ("yape", "27.50", "27.50", "0.00"),
        ("plin", "0.00", "0.00", "0.00"),
        ("transferencia", "0.00", "0.00", "0.00"),
    )
]

COUNT: Example = {
    "id": c.COUNT_ID,
    "session_id": c.SESSION_ID,
    "denominations": {"100.00": 1, "5.00": 1},
    "cash_total": "105.00",
    "declared": {"tarjeta": "0.00", "yape": "27.50", "plin": "0.00", "transferencia": "0.00"},
    "lines": METHOD_LINES,
    "expected_total": "137.50",
    "counted_total": "132.50",
    "difference": "-5.00",
    "needs_approval": False,
    "threshold": "10.00",
    "created_at": c.CLOSED_AT,
}

SESSION_SUMMARY: Example = {
    "session": SESSION_CLOSED,
    "lines": METHOD_LINES,
    "expected_total": "137.50",
    "counted_total": "132.50",
    "difference": "-5.00",
    "threshold": "10.00",
    "sales": [
        {"method": "efectivo", "count": 1, "total": "20.00"},
        {"method": "yape", "count": 1, "total": "27.50"},
    ],
    "refunds": [],
    "ingresos": "0.00",
    "egresos": "10.00",
    "movements": [MOVEMENT],
    "adjustments_total": "0.00",
    "adjusted_difference": "-5.00",
    "cancellations": [],
    "credit_notes": [],
}

SESSION_LIST: Example = page([SESSION_CLOSED])
SESSION_DETAIL: Example = {"session": SESSION_CLOSED, "counts": [COUNT], "summary": SESSION_SUMMARY}

# The day seal of the example day (edge.cash.seal_schemas.DaySealRead): sealed at 18:00 Lima,
# reopened by the supervisor to take a late sale, then sealed again.
SEAL_ID = "01a2276b-8f00-7a3c-9b1d-2e3f4a5b6c7d"
DAY_FIGURES: Example = {
    "orders": {"count": 98, "total_cents": 1254300, "by_status": {}},
    "payments": {"count": 120, "total_cents": 1254300, "by_method": {}},
    "invoices": {"available": False},
    "cash_sessions": {"count": 2, "open": 0, "expected_cents": 1404300,
                      "counted_cents": 1403800, "difference_cents": -500},
    "samples": {"count": 211},
}  # fmt: skip
DAY_SEALED_VIEW: Example = {
    "business_date": c.BUSINESS_DATE,
    "sealed": True,
    "status": "sellado",
    "seal_id": SEAL_ID,
    "last_seq": 1832,
    "closed_by": c.SUPERVISOR_ID,
    "created_at": "2026-11-29T23:00:00Z",
    "sealed_at": "2026-11-29T23:00:00Z",
    "reopen_count": 0,
    "reopened_at": None,
    "reopened_by": None,
    "reopen_reason": None,
    "figures": DAY_FIGURES,
}
DAY_REOPEN: Example = {"reason": "Paciente que llegó tarde: venta pendiente del día"}
DAY_REOPENED_VIEW: Example = {
    **DAY_SEALED_VIEW,
    "sealed": False,
    "status": "reabierto",
    "reopen_count": 1,
    "reopened_at": "2026-11-29T23:20:00Z",
    "reopened_by": c.SUPERVISOR_NAME,
    "reopen_reason": DAY_REOPEN["reason"],
}
DAY_REOPENED_CHECKED: Example = {
    **DAY_REOPENED_VIEW,
    "hub_checked": True,
    "hub_check": "consultada",
    "hub_status": "pending_data",
    "warning": None,
}
DAY_REOPENED_HUB_OFFLINE: Example = {
    **DAY_REOPENED_VIEW,
    "hub_checked": False,
    "hub_check": "no_disponible",
    "hub_status": None,
    "warning": "No se pudo consultar a la central: no respondió a tiempo. El día se reabrió "
    "igual; si la central ya lo había cerrado, lo que se registre ahora figurará allí como "
    "ajuste tardío.",
}
DAY_OPEN_VIEW: Example = {
    **dict.fromkeys(DAY_SEALED_VIEW),
    "business_date": c.BUSINESS_DATE,
    "sealed": False,
    "status": "abierto",
    "reopen_count": 0,
    "figures": DAY_FIGURES,
}
