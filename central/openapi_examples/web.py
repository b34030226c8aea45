"""Examples of the JSON behind the hub's web pages (``/api/web/*``)."""

from __future__ import annotations

from pydantic.config import JsonDict

from central.openapi_examples.admin import CONFIG_CHANGE_READ, SEDE_READ, SETTINGS_READ, USER_READ
from central.openapi_examples.commerce import (
    ACCOUNT_TOTALS,
    CONVENIO_BALANCE,
    FACTURA_BALANCE_READ,
    PAYMENT_READ,
)
from central.openapi_examples.common import (
    BUSINESS_DATE,
    CONVENIO_ID,
    CONVENIO_NAME,
    CONVENIO_RUC,
    FACTURA,
    INVOICE_ID,
    MONTH_START,
    ORDER_NUMBER,
    PATIENT_NAME,
    PAYMENT_ID,
    SEDE_S01,
    SEDE_S01_ID,
    SERIES_S01,
    SVG,
)
from central.openapi_examples.operations import NOTIFICATION_READ, TEMPLATE_READ
from central.openapi_examples.sync import NODE_READ, NODE_STATUS

SEDE_OPTION = SEDE_S01
ROLE_OPTION: JsonDict = {"role": "recepcionista", "label": "Recepcionista"}

WEB_USERS: JsonDict = {
    "items": [USER_READ],
    "sedes": [SEDE_OPTION],
    "roles": [ROLE_OPTION],
    "can_edit": True,
}
WEB_SEDES: JsonDict = {"items": [SEDE_READ], "series_keys": [*SERIES_S01], "can_edit": True}
WEB_SETTINGS: JsonDict = {
    "values": SETTINGS_READ,
    "history": [CONFIG_CHANGE_READ],
    "can_edit": True,
}
WEB_TEMPLATES: JsonDict = {"items": [TEMPLATE_READ], "can_edit": True}
WEB_NOTIFICATIONS: JsonDict = {"items": [NOTIFICATION_READ], "sedes": [SEDE_OPTION]}

ALARM_READ: JsonDict = {
    "sede_id": SEDE_S01_ID,
    "sede_code": "S01",
    "invoice_id": INVOICE_ID,
    "doc_type": "01",
    "doc_label": "Factura",
    "document": FACTURA,
    "state": "rechazado",
    "kind": "rechazado",
    "deadline": "2026-12-02",
    "days_late": 0,
    "business_date": BUSINESS_DATE,
    "total": "2480.00",
    "customer_name": CONVENIO_NAME,
    "detail": "2335: El RUC del adquirente no está activo.",
}
DISK_ALARM_READ: JsonDict = {
    "sede_id": SEDE_S01_ID,
    "sede_code": "S01",
    "sede_name": "Sede Miraflores",
    "node_id": NODE_READ["id"],
    "node_name": "Nodo Miraflores",
    "level": "lleno",
    "free_mb": 12,
    "reported_at": "2026-11-29T15:04:05Z",
}
WEB_ALARMS: JsonDict = {
    "items": [ALARM_READ],
    "disks": [DISK_ALARM_READ],
    "sedes": [SEDE_OPTION],
    "today": BUSINESS_DATE,
}

NODE_HEALTH: JsonDict = {"node": NODE_READ, "status": NODE_STATUS}

DASHBOARD_CHARTS: JsonDict = {
    "date_from": MONTH_START,
    "date_to": BUSINESS_DATE,
    "sales_by_day": SVG,
    "payment_methods": SVG,
    "top_services": SVG,
    "patients": SVG,
    "monthly": SVG,
}

CONVENIO_SUMMARY: JsonDict = {
    "id": CONVENIO_ID,
    "ruc": CONVENIO_RUC,
    "name": CONVENIO_NAME,
    "active": True,
    "credit_days": 30,
    **ACCOUNT_TOTALS,
    "overdue_days": 0,
}
WEB_CONVENIOS: JsonDict = {
    "as_of": BUSINESS_DATE,
    "items": [CONVENIO_SUMMARY],
    "sedes": [SEDE_OPTION],
    "can_pay": True,
}

APPLIED_PAYMENT: JsonDict = {
    "id": PAYMENT_ID,
    "date": BUSINESS_DATE,
    "method": "transferencia",
    "reference": "OP-00981234",
    "amount": "1250.00",
}
FACTURA_ACCOUNT: JsonDict = {
    **FACTURA_BALANCE_READ,
    "days_overdue": 0,
    "payments": [APPLIED_PAYMENT],
    "on_account": "0.00",
}
AGING_BUCKET: JsonDict = {"label": "Por vencer", "amount": "1230.00"}
METHOD_OPTION: JsonDict = {
    "value": "transferencia",
    "label": "Transferencia",
    "reference_required": True,
}
WEB_CONVENIO_ACCOUNT: JsonDict = {
    "balance": CONVENIO_BALANCE,
    "facturas": [FACTURA_ACCOUNT],
    "payments": [PAYMENT_READ],
    "aging": [AGING_BUCKET],
    "chart_sedes": SVG,
    "chart_aging": SVG,
    "methods": [METHOD_OPTION],
    "can_pay": True,
}

PREVIEW_READ: JsonDict = {
    "subject": f"Su orden {ORDER_NUMBER} fue registrada",
    "body": f"Hola {PATIENT_NAME}: total S/ 45.00.",
}
