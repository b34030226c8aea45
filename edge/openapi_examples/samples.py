"""Examples of the samples area: the sale's two tubes (``records.SAMPLES``), the EDTA tube
rejected as hemolysed and its recollection ("retoma") waiting to be drawn."""

from __future__ import annotations

from edge.openapi_examples import common as c
from edge.openapi_examples import records
from edge.openapi_examples.records import Example

REPLACEMENT_ID = "01a2276b-9c40-7a15-8e2d-6f1b3c5d7e90"
REJECTED_AT = "2026-11-29T15:02:11Z"

_NOT_REJECTED: Example = {
    "reject_reason": None,
    "reject_reason_label": None,
    "reject_note": None,
    "rejected_at": None,
    "rejected_by": None,
    "replaces_id": None,
    "replaced_by_id": None,
}

SAMPLE: Example = {**records.SAMPLES[0], **_NOT_REJECTED}

REJECTED: Example = {
    **records.SAMPLES[0],
    "status": "rechazada",
    "reject_reason": "hemolizada",
    "reject_reason_label": "Muestra hemolizada",
    "reject_note": "Suero rosado al centrifugar",
    "rejected_at": REJECTED_AT,
    "rejected_by": c.CASHIER_ID,
    "replaces_id": None,
    "replaced_by_id": REPLACEMENT_ID,
}

REPLACEMENT: Example = {
    **records.SAMPLES[0],
    **_NOT_REJECTED,
    "id": REPLACEMENT_ID,
    "barcode": "S012611290003",
    "barcode_text": "S01 261129 0003",
    "status": "pendiente",
    "taken_at": None,
    "taken_by": None,
    "label_prints": 0,
    "replaces_id": c.SAMPLE_HEM_ID,
}

SAMPLE_LIST: Example = {
    "order_id": c.ORDER_ID,
    "recollection_pending": True,
    "items": [REJECTED, {**records.SAMPLES[1], **_NOT_REJECTED}, REPLACEMENT],
}

REJECT_IN: Example = {"reason": "hemolizada", "note": "Suero rosado al centrifugar"}
REJECT_OTHER_IN: Example = {"reason": "otra", "note": "El paciente se retiró el algodón antes"}

REJECTION: Example = {"rejected": REJECTED, "replacement": REPLACEMENT}
