"""Examples of the laboratory link: the sale's HL7 job, an alert and a result."""

from __future__ import annotations

from edge.openapi_examples import common as c
from edge.openapi_examples.records import Example

PLACERS = [f"{c.ORDER_NUMBER}-1", f"{c.ORDER_NUMBER}-2"]

LAB_JOB: Example = {
    "id": c.JOB_ID,
    "order_id": c.ORDER_ID,
    "order_number": c.ORDER_NUMBER,
    "lab_system_id": c.LAB_SYSTEM_ID,
    "action": "new",
    "control_id": "S01202611290001-01",
    "state": "aceptado",
    "blocked_reason": None,
    "attempts": 1,
    "next_attempt_at": c.TAKEN_AT,
    "last_error": None,
    "placer_numbers": PLACERS,
    "filler_numbers": {PLACERS[0]: "LC-77001", PLACERS[1]: "LC-77002"},
    "created_at": c.TAKEN_AT,
    "acked_at": "2026-11-29T14:18:41Z",
}

UNMAPPED_TEST = {"item_id": c.ITEM_GLU_ID, "service_code": "BIO-010", "name": "Glucosa basal"}

LAB_ALERT: Example = {
    "id": c.ALERT_ID,
    "kind": "unmapped_tests",
    "message": "Exámenes sin código en Laboratorio Central: Glucosa basal. La orden no se "
    "envía hasta que se configure su código.",
    "details": {"lab_system_id": c.LAB_SYSTEM_ID, "tests": [UNMAPPED_TEST]},
    "created_at": c.TAKEN_AT,
    "resolved_at": None,
}

LAB_RESULT: Example = {
    "id": c.RESULT_ID,
    "placer_number": PLACERS[1],
    "filler_number": "LC-77002",
    "code": "GLU",
    "name": "Glucosa basal",
    "value": "112",
    "units": "mg/dL",
    "reference_range": "70-99",
    "flag": "H",
    "status": "F",
    "observed_at": "2026-11-29T17:35:00Z",
    "received_at": c.RESULTS_AT,
    "superseded_by": None,
    "pdf_path": None,
}

PENDING_JOB: Example = {
    **LAB_JOB,
    "state": "pendiente",
    "blocked_reason": "unmapped_tests",
    "attempts": 0,
    "placer_numbers": [],
    "filler_numbers": {},
    "acked_at": None,
    "unmapped_tests": [UNMAPPED_TEST],
}
PENDING_LIST: Example = {"total": 1, "items": [PENDING_JOB], "alerts": [LAB_ALERT]}

ATTEMPT: Example = {
    "id": c.ATTEMPT_ID,
    "job_id": c.JOB_ID,
    "order_id": c.ORDER_ID,
    "control_id": LAB_JOB["control_id"],
    "attempt": 1,
    "protocol": "mllp",
    "outcome": "aceptado",
    "ack_code": "AA",
    "detail": None,
    "duration_ms": 38,
    "started_at": c.TAKEN_AT,
    "finished_at": LAB_JOB["acked_at"],
}
ATTEMPT_LIST: Example = {"total": 1, "items": [ATTEMPT]}

SYNC_REPORT: Example = {"sent": 1, "accepted": 1, "failed": 0, "skipped": 0, "jobs": [LAB_JOB]}
WEBHOOK_OUT: Example = {"accepted": 2, "duplicate": False, "orders_ready": [c.ORDER_ID]}

HEMOGLOBIN: Example = {
    **LAB_RESULT,
    "id": "01a2276b-b0c4-7d1e-8f2a-3b4c5d6e7f81",
    "placer_number": PLACERS[0],
    "filler_number": "LC-77001",
    "code": "HGB",
    "name": "Hemoglobina",
    "value": "13.2",
    "units": "g/dL",
    "reference_range": "12.0-16.0",
    "flag": "N",
}
ORDER_RESULTS: Example = {
    "order_id": c.ORDER_ID,
    "order_number": c.ORDER_NUMBER,
    "order_status": "resultados_listos",
    "complete": True,
    "tests": [
        {
            "placer_number": result["placer_number"],
            "service_code": code,
            "service_name": name,
            "status": "F",
            "cancelled": False,
            "current": [result],
            "history": [],
        }
        for result, code, name in (
            (HEMOGLOBIN, "HEM-001", "Hemograma completo automatizado"),
            (LAB_RESULT, "BIO-010", "Glucosa basal"),
        )
    ],
}
