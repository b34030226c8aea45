"""Identifiers, people, dates and amounts shared by every example of the edge."""

from __future__ import annotations

from domain.catalog_data import catalog_id_for

# The sede and its company (RUC with a correct check digit: domain.identity.is_valid_ruc).
SEDE_CODE = "S01"
SEDE_NAME = "Sede Miraflores"
SEDE_ID = "c6c85de9-8688-5eaf-b97a-240a40519576"  # domain.ids.sede_id_for("S01")
COMPANY_RUC = "20100070970"
HUB_URL = "https://central.labred.pe"

# Demo catalog rows (domain.catalog_data ids, as ``labred edge init --demo-catalog`` loads them).
HEM_ID = catalog_id_for("service", "HEM-001")
GLU_ID = catalog_id_for("service", "BIO-010")
HEM_CATEGORY_ID = catalog_id_for("category", "HEM")
BIO_CATEGORY_ID = catalog_id_for("category", "BIO")
CONVENIO_ID = catalog_id_for("convenio", "CONV-SALUDPLUS")
CONVENIO_RUC = "20503123453"
CONVENIO_NAME = "SALUD PLUS EPS S.A."

# Row ids (UUIDv7 of 2026-11-29).
CASHIER_ID = "01a2276b-869e-74d0-8b0c-32d974a6fc16"
SUPERVISOR_ID = "01a2276b-86a1-7c3e-9f10-4b2d8e6a1c27"
NODE_ID = "01a2276b-815e-7757-bc85-096bedb14a2e"
SESSION_ID = "01a2276b-870b-7ae3-9bad-30b552cb1345"
PATIENT_ID = "01a2276b-8723-717d-84b3-185d3d40c798"
ORDER_ID = "01a2276b-873b-7b7e-82e9-d64ed3847f92"
ITEM_HEM_ID = "01a2276b-873b-7b7e-82e9-d64ed3847f93"
ITEM_GLU_ID = "01a2276b-873b-7b7e-82e9-d64ed3847f94"
PAYMENT_CASH_ID = "01a2276b-873b-7b7e-82e9-d64ed3847f96"
PAYMENT_YAPE_ID = "01a2276b-874e-7c49-a9dc-9e6498997562"
SAMPLE_HEM_ID = "01a2276b-8741-7059-85ce-bdc521e7dce4"
SAMPLE_GLU_ID = "01a2276b-8743-7d29-ba80-dd48afd564b4"
INVOICE_ID = "01a2276b-883a-7c42-8695-0cb44d7a1767"
CREDIT_NOTE_ID = "01a2276b-9a10-7f3c-8a55-1b2c3d4e5f60"
DISCOUNT_REQUEST_ID = "01a2276b-876d-7993-a32e-7246b612781c"
MOVEMENT_ID = "01a2276b-87aa-783c-85fc-17a5c19c5e3f"
COUNT_ID = "01a2276b-8959-7841-a0e9-0367c4e4a98c"
CONSENT_ID = "01a2276b-8792-7d51-8724-0e22f6ef1466"
HISTORY_ID = "01a2276b-8723-717d-84b3-185d3d40c79d"
AUDIT_ID = "01a2276b-8c1f-7a2b-9d1e-2f4b5c6d7e8f"
JOB_ID = "01a2276b-8745-78be-97c1-b4f2c61bcbdc"
ATTEMPT_ID = "01a2276b-8e01-7b6a-8c2d-4e5f60718293"
ALERT_ID = "01a2276b-8746-7197-9db4-05239b45b662"
RESULT_ID = "01a2276b-b0c4-7d1e-8f2a-3b4c5d6e7f80"
LAB_SYSTEM_ID = "01a2276b-7f00-7a1b-8c2d-3e4f5a6b7c8d"
CLOSURE_ID = "01a2276b-c3d2-7e1f-9a0b-1c2d3e4f5a6b"

# Dates: the Lima business date and UTC instants of that day (Lima is UTC-5).
BUSINESS_DATE = "2026-11-29"
OPENED_AT = "2026-11-29T13:02:10Z"
ORDERED_AT = "2026-11-29T14:05:12Z"
PAID_AT = "2026-11-29T14:07:45Z"
TAKEN_AT = "2026-11-29T14:18:40Z"
RESULTS_AT = "2026-11-29T17:40:03Z"
CLOSED_AT = "2026-11-29T23:10:00Z"
DAY_END = "2026-11-30T05:00:00Z"

# People (DNI: 8 digits).
CASHIER_USERNAME = "mrojas"
CASHIER_NAME = "María Rojas Vargas"
SUPERVISOR_USERNAME = "csalazar"
SUPERVISOR_NAME = "Carlos Salazar Paredes"
PATIENT_DNI = "45871236"
PATIENT_FIRST_NAMES = "ROSA"
PATIENT_LAST_NAMES = "NÚÑEZ QUISPE"
PATIENT_FULL_NAME = f"{PATIENT_LAST_NAMES}, {PATIENT_FIRST_NAMES}"
CLIENT_IP = "192.168.1.20"

ORDER_NUMBER = "S01-20261129-0001"
BOLETA_SERIES = "B001"
BOLETA_NUMBER = 1234
BOLETA = f"{BOLETA_SERIES}-{BOLETA_NUMBER}"
