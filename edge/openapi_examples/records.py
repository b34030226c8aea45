"""Records several edge responses embed, written once: one sale of the day at sede S01.

ROSA NÚÑEZ QUISPE (DNI 45871236) buys a hemograma (S/ 35.00) and a glucosa (S/ 12.50): S/ 47.50,
paid S/ 20.00 in cash (tendered S/ 50.00) and S/ 27.50 by Yape; boleta B001-1234 (``billing``).
Her cashier's drawer is in ``cash``.
"""

from __future__ import annotations

from typing import Any

from domain.permissions import MATRIX, Role
from edge.openapi_examples import common as c

Example = dict[str, Any]


def page(items: list[Example], *, limit: int = 50) -> Example:
    """A ``limit``/``offset`` page holding ``items``."""
    return {"items": items, "total": len(items), "limit": limit, "offset": 0}


# ------------------------------------------------------------------------------ people
USER_PROFILE: Example = {
    "id": c.CASHIER_ID,
    "username": c.CASHIER_USERNAME,
    "full_name": c.CASHIER_NAME,
    "email": "maria.rojas@labred.pe",
    "role": "recepcionista",
    "role_label": "Recepcionista",
    "sede_ids": [c.SEDE_ID],
    "permissions": sorted(MATRIX[Role.RECEPCIONISTA]),
}

PATIENT: Example = {
    "id": c.PATIENT_ID,
    "doc_type": "1",
    "doc_type_label": "DNI",
    "doc_number": c.PATIENT_DNI,
    "first_names": c.PATIENT_FIRST_NAMES,
    "last_names": c.PATIENT_LAST_NAMES,
    "full_name": c.PATIENT_FULL_NAME,
    "birth_date": "1987-03-14",
    "sex": "F",
    "phone": "987654321",
    "email": "rosa.nunez@example.pe",
    "address": "Av. Larco 1150, Miraflores",
    "home_sede_id": c.SEDE_ID,
    "canonical_id": None,
    "created_at": c.ORDERED_AT,
    "updated_at": c.ORDERED_AT,
}

# ------------------------------------------------------------------------------ the sale
ITEMS: list[Example] = [
    {
        "id": item_id,
        "service_id": service_id,
        "service_code": code,
        "service_name": name,
        "parent_item_id": None,
        "quantity": 1,
        "unit_price": price,
        "list_price": price,
        "discount": "0.00",
        "line_total": price,
        "catalog_version": 1,
        "price_overridden": False,
        "coverage_eligible": True,
        "sample_type": sample_type,
        "tube": tube,
    }
    for item_id, service_id, code, name, price, sample_type, tube in (
        (c.ITEM_HEM_ID, c.HEM_ID, "HEM-001", "Hemograma completo automatizado", "35.00",
         "Sangre total", "Lila (EDTA)"),
        (c.ITEM_GLU_ID, c.GLU_ID, "BIO-010", "Glucosa basal", "12.50", "Suero",
         "Rojo (sin aditivo)"),
    )
]  # fmt: skip

PAYMENTS: list[Example] = [
    {
        "id": c.PAYMENT_CASH_ID,
        "method": "efectivo",
        "amount": "20.00",
        "tendered": "50.00",
        "change": "30.00",
        "reference": None,
        "cash_session_id": c.SESSION_ID,
        "cashier_id": c.CASHIER_ID,
        "business_date": c.BUSINESS_DATE,
        "created_at": c.ORDERED_AT,
    },
    {
        "id": c.PAYMENT_YAPE_ID,
        "method": "yape",
        "amount": "27.50",
        "tendered": None,
        "change": None,
        "reference": "OP 99887766",
        "cash_session_id": c.SESSION_ID,
        "cashier_id": c.CASHIER_ID,
        "business_date": c.BUSINESS_DATE,
        "created_at": c.PAID_AT,
    },
]

STATUS_HISTORY: list[Example] = [
    {
        "from_status": None,
        "to_status": "registrada",
        "reason": None,
        "user_id": c.CASHIER_ID,
        "created_at": c.ORDERED_AT,
    },
    {
        "from_status": "registrada",
        "to_status": "muestra_tomada",
        "reason": None,
        "user_id": c.CASHIER_ID,
        "created_at": c.TAKEN_AT,
    },
]

ORDER_SUMMARY: Example = {
    "id": c.ORDER_ID,
    "number": c.ORDER_NUMBER,
    "sede_id": c.SEDE_ID,
    "patient_id": c.PATIENT_ID,
    "convenio_id": None,
    "status": "muestra_tomada",
    "document_type": "03",
    "subtotal": "47.50",
    "discount_total": "0.00",
    "total": "47.50",
    "covered_total": "0.00",
    "paid_total": "47.50",
    "balance": "0.00",
    "cashier_id": c.CASHIER_ID,
    "business_date": c.BUSINESS_DATE,
    "created_at": c.ORDERED_AT,
    "results_promised_at": "2026-11-30T15:00:00Z",  # Sunday's sale + 24 h: Monday 10:00 Lima
    "priority": "rutina",
    "physician_cmp": "45123",
    "physician_name": "PÉREZ ROJAS JUAN CARLOS",
}

ORDER: Example = {
    **ORDER_SUMMARY,
    "coverage_pct": "0.00",
    "discount_kind": None,
    "discount_value": None,
    "discount_reason": None,
    "discount_approved_by": None,
    "customer_doc_type": "1",
    "customer_doc_number": c.PATIENT_DNI,
    "customer_name": f"{c.PATIENT_LAST_NAMES} {c.PATIENT_FIRST_NAMES}",
    "customer_address": None,
    "cancel_reason": None,
    "updated_at": c.TAKEN_AT,
    "items": ITEMS,
    "payments": PAYMENTS,
    "status_history": STATUS_HISTORY,
    "change": "30.00",
}

SAMPLES: list[Example] = [
    {
        "id": sample_id,
        "order_id": c.ORDER_ID,
        "barcode": f"S01261129{seq}",
        "barcode_text": f"S01 261129 {seq}",
        "sample_type": item["sample_type"],
        "tube": item["tube"],
        "item_ids": [item["id"]],
        "status": "tomada",
        "taken_at": c.TAKEN_AT,
        "taken_by": c.CASHIER_ID,
        "label_prints": 1,
        "business_date": c.BUSINESS_DATE,
    }
    for sample_id, seq, item in (
        (c.SAMPLE_HEM_ID, "0001", ITEMS[0]),
        (c.SAMPLE_GLU_ID, "0002", ITEMS[1]),
    )
]

DISCOUNT_REQUEST: Example = {
    "id": c.DISCOUNT_REQUEST_ID,
    "order_id": c.ORDER_ID,
    "order_number": c.ORDER_NUMBER,
    "status": "pendiente",
    "kind": "percent",
    "value": "20",
    "amount": "9.50",
    "pct": "20.00",
    "reason": "Paciente oncológico, campaña",
    "requested_by": c.CASHIER_ID,
    "requested_by_name": c.CASHIER_NAME,
    "decided_by": None,
    "decided_by_name": None,
    "decision_reason": None,
    "decided_at": None,
    "business_date": c.BUSINESS_DATE,
    "expires_at": c.DAY_END,
    "created_at": c.ORDERED_AT,
    "order": None,
}

ORDER_LIST: Example = {"items": [ORDER_SUMMARY], "total": 1, "page": 1, "page_size": 50}
ORDER_STATUS: Example = {
    "order_id": c.ORDER_ID,
    "number": c.ORDER_NUMBER,
    "status": ORDER_SUMMARY["status"],
    "history": STATUS_HISTORY,
}
SAMPLE_LIST: Example = {"order_id": c.ORDER_ID, "items": SAMPLES}

# A supervisor approves 20 % off before the patient pays: the order's new totals come back.
DISCOUNT_APPROVED: Example = {
    **DISCOUNT_REQUEST,
    "status": "aprobada",
    "decided_by": c.SUPERVISOR_ID,
    "decided_by_name": c.SUPERVISOR_NAME,
    "decision_reason": "Autorizado por campaña vigente",
    "decided_at": "2026-11-29T14:06:30Z",
    "order": {
        **ORDER_SUMMARY,
        "status": "registrada",
        "discount_total": "9.50",
        "total": "38.00",
        "paid_total": "0.00",
        "balance": "38.00",
    },
}
DISCOUNT_REQUEST_LIST: Example = {
    "items": [DISCOUNT_REQUEST],
    "total": 1,
    "page": 1,
    "page_size": 50,
}
