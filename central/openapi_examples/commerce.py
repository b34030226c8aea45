"""Examples of the catalog, prices, convenios (accounts and payments) and patients."""

from __future__ import annotations

from pydantic.config import JsonDict

from central.openapi_examples.common import (
    ADMIN_ID,
    ADMIN_USERNAME,
    AT,
    BUSINESS_DATE,
    CATEGORY_ID,
    CONVENIO_ID,
    CONVENIO_NAME,
    CONVENIO_RUC,
    EARLIER,
    FACTURA,
    INVOICE_ID,
    MERGED_ID,
    ORDER_ID,
    ORDER_NUMBER,
    PANEL_ID,
    PATIENT_DNI,
    PATIENT_EMAIL,
    PATIENT_FIRST_NAMES,
    PATIENT_ID,
    PATIENT_LAST_NAMES,
    PATIENT_NAME,
    PATIENT_PHONE,
    PAYMENT_ID,
    PRICE_ID,
    SEDE_S01_ID,
    SERVICE_ID,
)

# ------------------------------------------------------------------------------- catalog
CATEGORY_READ: JsonDict = {
    "id": CATEGORY_ID,
    "code": "HEM",
    "name": "Hematología",
    "active": True,
    "updated_at": AT,
}
CATEGORY_LIST: JsonDict = {"items": [CATEGORY_READ], "total": 1}

SERVICE_READ: JsonDict = {
    "id": SERVICE_ID,
    "code": "HEM001",
    "name": "Hemograma completo",
    "category_id": CATEGORY_ID,
    "sample_type": "Sangre total EDTA",
    "tube": "Lila",
    "price": "45.00",
    "catalog_version": 12,
    "is_panel": False,
    "panel_service_ids": [],
    "igv_affectation": "10",
    "turnaround_hours": 24,
    "loinc": "58410-2",
    "active": True,
    "updated_at": AT,
    "scheduled_price": "48.00",
    "scheduled_from": "2026-12-01",
}
SERVICE_LIST: JsonDict = {"items": [SERVICE_READ], "total": 1}

PRICE_READ: JsonDict = {
    "id": PRICE_ID,
    "price": "45.00",
    "previous_price": "40.00",
    "effective_from": BUSINESS_DATE,
    "status": "applied",
    "catalog_version": 12,
    "reason": "Actualización de tarifas 2026",
    "changed_by_username": ADMIN_USERNAME,
    "created_at": EARLIER,
    "applied_at": EARLIER,
}
PRICE_HISTORY: JsonDict = {"service_id": SERVICE_ID, "items": [PRICE_READ]}

# ------------------------------------------------------------------------------- convenios
CONVENIO_READ: JsonDict = {
    "id": CONVENIO_ID,
    "ruc": CONVENIO_RUC,
    "name": CONVENIO_NAME,
    "coverage_pct": "80",
    "prices": {SERVICE_ID: "38.00", PANEL_ID: "120.00"},
    "credit_days": 30,
    "contact": "Lucía Mendoza — cobranzas@pacifico.com.pe",
    "active": True,
    "updated_at": AT,
}
CONVENIO_LIST: JsonDict = {"items": [CONVENIO_READ], "total": 1}

CONVENIO_ORDER_READ: JsonDict = {
    "id": ORDER_ID,
    "number": ORDER_NUMBER,
    "sede_id": SEDE_S01_ID,
    "sede_code": "S01",
    "business_date": BUSINESS_DATE,
    "patient_id": PATIENT_ID,
    "patient_name": PATIENT_NAME,
    "patient_document": PATIENT_DNI,
    "status": "registrada",
    "total": "45.00",
    "covered": "36.00",
    "patient_part": "9.00",
    "due_date": "2026-12-30",
}
CONVENIO_ORDER_LIST: JsonDict = {
    "items": [CONVENIO_ORDER_READ],
    "total": 1,
    "covered_total": "36.00",
}

PAYMENT_READ: JsonDict = {
    "id": PAYMENT_ID,
    "convenio_id": CONVENIO_ID,
    "amount": "1250.00",
    "date": BUSINESS_DATE,
    "method": "transferencia",
    "reference": "OP-00981234",
    "invoice": FACTURA,
    "invoice_id": INVOICE_ID,
    "sede_id": SEDE_S01_ID,
    "note": "Pago de la liquidación de octubre",
    "created_by": ADMIN_ID,
    "created_at": AT,
}
PAYMENT_LIST: JsonDict = {"items": [PAYMENT_READ], "total": "1250.00"}

FACTURA_BALANCE_READ: JsonDict = {
    "id": INVOICE_ID,
    "invoice": FACTURA,
    "sede_id": SEDE_S01_ID,
    "sede_code": "S01",
    "date": "2026-10-31",
    "due_date": "2026-11-30",
    "payable": "2480.00",
    "paid": "1250.00",
    "outstanding": "1230.00",
    "overdue": False,
}
# One convenio's account, as each view of it totals it (per sede, per convenio, on the page).
ACCOUNT_TOTALS: JsonDict = {
    "orders": 64,
    "covered": "2516.00",
    "invoiced": "2480.00",
    "not_invoiced": "36.00",
    "paid": "1250.00",
    "balance": "1266.00",
    "overdue": "0.00",
}
SEDE_BALANCE_READ: JsonDict = {
    "sede_id": SEDE_S01_ID,
    "sede_code": "S01",
    **ACCOUNT_TOTALS,
    "not_due": "1230.00",
}
CONVENIO_BALANCE: JsonDict = {
    "convenio_id": CONVENIO_ID,
    "name": CONVENIO_NAME,
    "credit_days": 30,
    "as_of": BUSINESS_DATE,
    "sedes": [SEDE_BALANCE_READ],
    "facturas": [FACTURA_BALANCE_READ],
    "covered": "2516.00",
    "invoiced": "2480.00",
    "not_invoiced": "36.00",
    "paid": "1250.00",
    "unapplied": "0.00",
    "balance": "1266.00",
    "overdue": "0.00",
    "not_due": "1230.00",
}

# ------------------------------------------------------------------------------- patients
_PATIENT: JsonDict = {
    "id": PATIENT_ID,
    "doc_type": "1",
    "doc_number": PATIENT_DNI,
    "first_names": PATIENT_FIRST_NAMES,
    "last_names": PATIENT_LAST_NAMES,
    "birth_date": "1985-04-17",
    "sex": "F",
    "phone": PATIENT_PHONE,
    "email": PATIENT_EMAIL,
    "home_sede_id": SEDE_S01_ID,
}
PATIENT_HIT: JsonDict = {**_PATIENT, "match": "document"}
PATIENT_SEARCH_PAGE: JsonDict = {"items": [PATIENT_HIT], "has_more": False}
PATIENT_DETAIL: JsonDict = {**_PATIENT, "merged_ids": [MERGED_ID]}

PATIENT_ORDER_READ: JsonDict = {
    "id": ORDER_ID,
    "number": ORDER_NUMBER,
    "sede_id": SEDE_S01_ID,
    "sede_code": "S01",
    "business_date": BUSINESS_DATE,
    "status": "registrada",
    "total": "45.00",
    "paid": "45.00",
    "balance": "0.00",
    "convenio_id": None,
}
PATIENT_ORDER_LIST: JsonDict = {"items": [PATIENT_ORDER_READ], "total": 1}
