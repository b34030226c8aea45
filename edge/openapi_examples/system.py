"""Examples of the node's own state: audit log, hub sync, reception header, hub closures."""

from __future__ import annotations

from edge.openapi_examples import common as c
from edge.openapi_examples.records import Example, page

AUDIT_EVENT: Example = {
    "id": c.AUDIT_ID,
    "sede_id": c.SEDE_ID,
    "action": "order.cancel",
    "user_id": c.SUPERVISOR_ID,
    "username": c.SUPERVISOR_USERNAME,
    "record_type": "order",
    "record_id": c.ORDER_ID,
    "ip": c.CLIENT_IP,
    "details": {
        "number": c.ORDER_NUMBER,
        "reason": "El paciente desistió antes de la toma",
        "previous_status": "registrada",
        "refunds": {"efectivo": "20.00", "yape": "27.50"},
    },
    "business_date": c.BUSINESS_DATE,
    "created_at": c.PAID_AT,
}
FAILED_LOGIN: Example = {
    **AUDIT_EVENT,
    "id": "01a2276b-8c20-7b3c-8e2f-3a5b6c7d8e90",
    "action": "login_failed",
    "user_id": c.CASHIER_ID,
    "username": c.CASHIER_USERNAME,
    "record_type": "user",
    "record_id": c.CASHIER_ID,
    "details": {"reason": "bad_password", "locked": False},
    "created_at": c.OPENED_AT,
}
AUDIT_LIST = page([AUDIT_EVENT, FAILED_LOGIN])

SYNC_STATUS: Example = {
    "enrolled": True,
    "node_id": c.NODE_ID,
    "sede_id": c.SEDE_ID,
    "epoch": 1,
    "hub_url": c.HUB_URL,
    "backlog": 3,
    "last_seq": 1832,
    "acked_seq": 1829,
    "oldest_unacked_at": c.PAID_AT,
    "lag_seconds": 2.4,
    "pull_cursor": 5521,
    "hub_offset_ms": -12,
    "last_push_at": "2026-11-29T14:07:43Z",
    "last_pull_at": "2026-11-29T14:07:40Z",
    "last_error": None,
    "last_error_code": None,
    "last_error_at": None,
    "consecutive_failures": 0,
    "blocked": None,
    "deferred": 0,
    "digest_repairs": 0,
    "last_digest_at": "2026-11-29T14:02:40Z",
    "last_digest_result": "ok",
    "last_digest_repaired": [],
    "fence_pending": False,
    "use_contingency": False,
}

WEB_STATUS: Example = {
    "sede_code": c.SEDE_CODE,
    "sede_name": c.SEDE_NAME,
    "hub_url": c.HUB_URL,
    "hub": "en_linea",
    "hub_checked_at": "2026-11-29T14:07:41Z",
    "sunat_pending": 1,
    "sunat_overdue": 0,
    "sunat_unreachable": 0,
    "sync_backlog": 3,
    "sync_last_push_at": "2026-11-29T14:07:43Z",
    "sync_last_error": None,
    "sync_failures": 0,
    "lab_pending": 1,
    "lab_alerts": 1,
    "disk": "ok",
    "disk_free_mb": 41234,
    "now": "2026-11-29T14:07:45Z",
}

CLOSURE: Example = {
    "id": c.CLOSURE_ID,
    "business_date": "2026-11-28",
    "status": "with_discrepancies",
    "status_label": "con discrepancias",
    "closed": True,
    "closed_at": "2026-11-29T06:00:12Z",
    "discrepancy_count": 1,
    "critical_count": 0,
    "has_late_adjustments": False,
    "late_adjustment_count": 0,
    "discrepancies": [
        {
            "kind": "cash_short",
            "severity": "warning",
            "message": "Caja con faltante de S/ 5.00 (umbral S/ 10.00).",
            "records": 1,
        }
    ],
    "reopen_count": 0,
    "reopened_at": None,
    "reopened_by": None,
    "reopen_reason": None,
}
CLOSURE_LIST: Example = {"items": [CLOSURE], "total": 1}
