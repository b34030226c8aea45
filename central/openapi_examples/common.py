"""Identifiers, people, dates and amounts shared by every example."""

from __future__ import annotations

from pydantic.config import JsonDict

# Sedes: ids are domain.ids.sede_id_for(code).
SEDE_S01_ID = "c6c85de9-8688-5eaf-b97a-240a40519576"
SEDE_S02_ID = "ced4f313-940f-53be-a876-da4c37087c15"
SEDE_S01: JsonDict = {"id": SEDE_S01_ID, "code": "S01", "name": "Sede Miraflores"}
SEDE_S02: JsonDict = {"id": SEDE_S02_ID, "code": "S02", "name": "Sede San Isidro"}

# RUCs with a correct check digit (domain.identity.is_valid_ruc).
COMPANY_RUC = "20601234565"
CONVENIO_RUC = "20512345671"
COMPANY_ID = "235cfa5a-2240-5cb6-b73c-bb6ba119ff3b"  # domain.ids.company_id_for(COMPANY_RUC)

# Row ids (UUIDv7 of 2026-11-29).
USER_ID = "01a2279b-0300-7048-b456-789abcdef012"
ADMIN_ID = "01a2279b-21ef-7048-b456-789abcdef013"
PATIENT_ID = "01a2279b-40de-7048-b456-789abcdef014"
ORDER_ID = "01a2279b-5fcd-7048-b456-789abcdef015"
SERVICE_ID = "01a2279b-7ebc-7048-b456-789abcdef016"
PANEL_ID = "01a2279b-9dab-7048-b456-789abcdef017"
CATEGORY_ID = "01a2279b-bc9a-7048-b456-789abcdef018"
CONVENIO_ID = "01a2279b-db89-7048-b456-789abcdef019"
INVOICE_ID = "01a2279b-fa78-7048-b456-789abcdef01a"
PAYMENT_ID = "01a2279c-1967-7048-b456-789abcdef01b"
NODE_ID = "01a2279c-3856-7048-b456-789abcdef01c"
LAB_SYSTEM_ID = "01a2279c-5745-7048-b456-789abcdef01d"
CLOSURE_ID = "01a2279c-7634-7048-b456-789abcdef01e"
DISCREPANCY_ID = "01a2279c-9523-7048-b456-789abcdef01f"
BACKUP_ID = "01a2279c-b412-7048-b456-789abcdef020"
SAFETY_BACKUP_ID = "01a2279c-d301-7048-b456-789abcdef021"
RESTORE_ID = "01a2279c-f1f0-7048-b456-789abcdef022"
NOTIFICATION_ID = "01a2279d-10df-7048-b456-789abcdef023"
TEMPLATE_ID = "01a2279d-2fce-7048-b456-789abcdef024"
PRICE_ID = "01a2279d-4ebd-7048-b456-789abcdef025"
CONFLICT_ID = "01a2279d-6dac-7048-b456-789abcdef026"
PARKED_ID = "01a2279d-8c9b-7048-b456-789abcdef027"
AUDIT_ID = "01a2279d-ab8a-7048-b456-789abcdef028"
CHANGE_ID = "01a2279d-ca79-7048-b456-789abcdef029"
CODE_MAP_ID = "01a2279d-e968-7048-b456-789abcdef02a"
SEAL_ID = "01a2279e-0857-7048-b456-789abcdef02b"
TX_ID = "01a2279e-2746-7048-b456-789abcdef02c"
PAYMENT_LINE_ID = "01a2279e-4635-7048-b456-789abcdef02d"
MERGED_ID = "01a2279e-6524-7048-b456-789abcdef02e"
SERVICE2_ID = "01a2279e-8413-7048-b456-789abcdef02f"

# Dates: the Lima business date and UTC instants of that day.
BUSINESS_DATE = "2026-11-29"
MONTH_START = "2026-11-01"
AT = "2026-11-29T15:42:10Z"
EARLIER = "2026-11-29T13:05:00Z"
LATER = "2026-11-29T15:42:12Z"
NEXT_DAY = "2026-11-30T05:00:00Z"

# People (valid DNI: 8 digits).
ADMIN_USERNAME = "admin"
USERNAME = "mfernandez"
USER_FULL_NAME = "María Fernández Rojas"
USER_EMAIL = "maria.fernandez@labred.pe"
PATIENT_DNI = "45871236"
PATIENT_FIRST_NAMES = "Rosa Elena"
PATIENT_LAST_NAMES = "Quispe Huamán"
PATIENT_NAME = f"{PATIENT_FIRST_NAMES} {PATIENT_LAST_NAMES}"
PATIENT_EMAIL = "rosa.quispe@gmail.com"
PATIENT_PHONE = "+51 987 654 321"
CLIENT_IP = "192.168.1.20"

ORDER_NUMBER = "S01-20261129-0001"
BOLETA = "B001-00001234"
FACTURA = "F001-00000027"
CONVENIO_NAME = "Pacífico Seguros EPS"

SERIES_S01: JsonDict = {
    "01": "F001",
    "03": "B001",
    "07F": "FC01",
    "07B": "BC01",
    "08F": "FD01",
    "08B": "BD01",
    "contingency01": "F901",
    "contingency03": "B901",
}

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 240" role="img">'
    "<title>Ventas por sede</title></svg>"
)
