"""Examples of the patient area: lists, search, history, orders, recurring patients, consents."""

from __future__ import annotations

from edge.openapi_examples import common as c
from edge.openapi_examples.records import ORDER_SUMMARY, PATIENT, Example, page

__all__ = ["PATIENT"]


PATIENT_LIST = page([PATIENT])
PATIENT_HIT: Example = {**PATIENT, "match": "name_prefix"}
SEARCH_RESULT: Example = {
    "q": "nunez",
    "items": [PATIENT_HIT],
    "limit": 20,
    "offset": 0,
    "has_more": False,
}

HISTORY: Example = {
    "id": c.HISTORY_ID,
    "action": "update",
    "field": "phone",
    "old_value": "987654321",
    "new_value": "912345678",
    "user_id": c.CASHIER_ID,
    "username": c.CASHIER_USERNAME,
    "sede_id": c.SEDE_ID,
    "created_at": c.PAID_AT,
}
HISTORY_LIST = page([HISTORY], limit=100)

_ORDER_FIELDS = ("id", "number", "sede_id", "status", "total", "paid_total", "balance")
PATIENT_ORDER: Example = {
    **{key: ORDER_SUMMARY[key] for key in _ORDER_FIELDS},
    "business_date": c.BUSINESS_DATE,
    "created_at": c.ORDERED_AT,
}
PATIENT_ORDER_LIST = page([PATIENT_ORDER])

RECURRING: Example = {
    "patient": PATIENT,
    "order_count": 3,
    "total_amount": "142.50",
    "last_order_date": c.BUSINESS_DATE,
}
RECURRING_LIST: Example = {
    "date_from": "2026-08-31",
    "date_to": c.BUSINESS_DATE,
    "min_orders": 2,
    **page([RECURRING]),
}

CONSENT: Example = {
    "id": c.CONSENT_ID,
    "kind": "datos_salud",
    "granted": True,
    "version": "2026-01",
    "channel": "presencial",
    "user_id": c.CASHIER_ID,
    "username": c.CASHIER_USERNAME,
    "sede_id": c.SEDE_ID,
    "created_at": c.ORDERED_AT,
}
CONSENT_STATE: Example = {"kind": "datos_salud", "granted": True, "current": CONSENT}
PATIENT_CONSENTS: Example = {
    "patient_id": c.PATIENT_ID,
    "current": [
        CONSENT_STATE,
        {"kind": "contacto_email", "granted": False, "current": None},
        {"kind": "contacto_whatsapp", "granted": False, "current": None},
    ],
    "history": [CONSENT],
}
