"""Examples of the daily reconciliation, reports, dashboard and notifications."""

from __future__ import annotations

from pydantic.config import JsonDict

from central.openapi_examples.common import (
    ADMIN_USERNAME,
    AT,
    BOLETA,
    BUSINESS_DATE,
    CLOSURE_ID,
    DISCREPANCY_ID,
    LATER,
    MONTH_START,
    NEXT_DAY,
    NOTIFICATION_ID,
    ORDER_ID,
    ORDER_NUMBER,
    PATIENT_EMAIL,
    PATIENT_ID,
    PATIENT_NAME,
    SEAL_ID,
    SEDE_S01_ID,
    SEDE_S02_ID,
    SERVICE_ID,
    TEMPLATE_ID,
    USER_ID,
)

# ------------------------------------------------------------------------------- reconciliation
DISCREPANCY_READ: JsonDict = {
    "id": DISCREPANCY_ID,
    "closure_id": CLOSURE_ID,
    "sede_id": SEDE_S01_ID,
    "business_date": BUSINESS_DATE,
    "kind": "seal_mismatch",
    "severity": "critical",
    "key": "seal_mismatch:efectivo",
    "message": "El efectivo declarado en el sello (S/ 1,240.00) no coincide con los pagos "
    "recibidos (S/ 1,285.00).",
    "record_ids": [SEAL_ID],
    "amount": "-45.00",
    "expected": "1285.00",
    "actual": "1240.00",
    "details": {"method": "efectivo"},
    "created_at": NEXT_DAY,
}
DISCREPANCY_LIST: JsonDict = {"items": [DISCREPANCY_READ], "total": 1}

CLOSURE_SUMMARY: JsonDict = {
    "id": CLOSURE_ID,
    "sede_id": SEDE_S01_ID,
    "business_date": BUSINESS_DATE,
    "status": "with_discrepancies",
    "status_label": "con discrepancias",
    "discrepancy_count": 1,
    "critical_count": 1,
    "has_late_adjustments": False,
    "closed_at": None,
    "executed_at": NEXT_DAY,
    "executed_by": "scheduler",
    "runs": 1,
    "reopen_count": 0,
}
CLOSURE_LIST: JsonDict = {"items": [CLOSURE_SUMMARY], "total": 1}

_FIGURES: JsonDict = {"orders": {"count": 38, "total_cents": 284500}, "payments_cents": 261600}
CLOSURE_READ: JsonDict = {
    **CLOSURE_SUMMARY,
    "figures": _FIGURES,
    "seal_figures": {"orders": {"count": 38, "total_cents": 284500}, "payments_cents": 257100},
    "method_totals": {
        "efectivo": {"payments": 21, "expected": 128500, "declared": 124000, "difference": -4500}
    },
    "adjusted_figures": _FIGURES,
    "late_adjustments": [],
    "seal_id": SEAL_ID,
    "seal_received_at": "2026-11-30T03:10:00Z",
    "reopened_at": None,
    "reopened_by": None,
    "reopen_reason": None,
    "discrepancies": [DISCREPANCY_READ],
}

# ------------------------------------------------------------------------------- reports
METHOD_AMOUNT: JsonDict = {"method": "efectivo", "payments": 21, "amount": "1285.00"}
DOCUMENT_STATE: JsonDict = {
    "doc_type": "03",
    "state": "aceptado",
    "documents": 34,
    "total": "2260.00",
}
TOP_SERVICE: JsonDict = {
    "service_id": SERVICE_ID,
    "code": "HEM001",
    "name": "Hemograma completo",
    "quantity": 18,
    "amount": "810.00",
}
SEDE_SALES: JsonDict = {
    "sede_id": SEDE_S01_ID,
    "sede_code": "S01",
    "orders": 38,
    "sales": "2845.00",
}

DASHBOARD: JsonDict = {
    "date_from": BUSINESS_DATE,
    "date_to": BUSINESS_DATE,
    "sede_ids": None,
    "orders": 38,
    "registered_orders": 39,
    "sales": "2845.00",
    "discounts": "55.00",
    "cancelled_orders": 1,
    "cancelled_amount": "45.00",
    "covered": "229.00",
    "average_ticket": "74.87",
    "payments_total": "2616.00",
    "refunds_total": "0.00",
    "new_patients": 12,
    "payment_methods": [METHOD_AMOUNT],
    "documents": [DOCUMENT_STATE],
    "top_services": [TOP_SERVICE],
    "by_sede": [SEDE_SALES],
}

COLUMN_READ: JsonDict = {"key": "total", "label": "Total", "kind": "money"}
REPORT_READ: JsonDict = {
    "report": "orders",
    "title": "Órdenes por día",
    "date_from": MONTH_START,
    "date_to": BUSINESS_DATE,
    "sede_ids": [SEDE_S01_ID, SEDE_S02_ID],
    "columns": [
        {"key": "date", "label": "Fecha", "kind": "date"},
        {"key": "orders", "label": "Órdenes", "kind": "int"},
        {"key": "subtotal", "label": "Subtotal", "kind": "money"},
        {"key": "discounts", "label": "Descuentos", "kind": "money"},
        COLUMN_READ,
        {"key": "cancelled", "label": "Anuladas", "kind": "int"},
    ],
    "rows": [
        {
            "date": BUSINESS_DATE,
            "orders": 38,
            "subtotal": "2900.00",
            "discounts": "55.00",
            "total": "2845.00",
            "cancelled": 1,
        }
    ],
}

# ------------------------------------------------------------------------------- notifications
TEMPLATE_READ: JsonDict = {
    "id": TEMPLATE_ID,
    "event": "results_ready",
    "channel": "email",
    "name": "Resultados (correo)",
    "subject": "Resultados de {{ order_number }}",
    "body": "Hola {{ patient_name }}, sus resultados están listos.",
    "active": True,
    "updated_by": USER_ID,
    "updated_at": AT,
}
TEMPLATE_LIST: JsonDict = {"items": [TEMPLATE_READ]}

NOTIFICATION_READ: JsonDict = {
    "id": NOTIFICATION_ID,
    "event_key": f"results_ready:{ORDER_ID}",
    "event": "results_ready",
    "channel": "email",
    "recipient": PATIENT_EMAIL,
    "patient_id": PATIENT_ID,
    "sede_id": SEDE_S01_ID,
    "subject": f"Resultados de {ORDER_NUMBER}",
    "body": f"Hola {PATIENT_NAME}, sus resultados están listos.",
    "attachments": [{"file_name": f"{BOLETA}.pdf", "content_type": "application/pdf"}],
    "status": "sent",
    "attempts": 1,
    "next_attempt_at": None,
    "last_error": None,
    "provider_id": "smtp-250-2.0.0",
    "resend_of": None,
    "created_by": ADMIN_USERNAME,
    "created_at": AT,
    "sent_at": LATER,
}
NOTIFICATION_LIST: JsonDict = {"items": [NOTIFICATION_READ], "total": 1}
