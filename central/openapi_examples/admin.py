"""Examples of sign-in, users, roles, configuration, backups, audit and laboratory systems."""

from __future__ import annotations

from pydantic.config import JsonDict

from central.openapi_examples.common import (
    ADMIN_ID,
    ADMIN_USERNAME,
    AT,
    AUDIT_ID,
    BACKUP_ID,
    CHANGE_ID,
    CLIENT_IP,
    CODE_MAP_ID,
    COMPANY_ID,
    COMPANY_RUC,
    EARLIER,
    LAB_SYSTEM_ID,
    LATER,
    PATIENT_ID,
    RESTORE_ID,
    SAFETY_BACKUP_ID,
    SEDE_S01_ID,
    SERIES_S01,
    SERVICE2_ID,
    SERVICE_ID,
    USER_EMAIL,
    USER_FULL_NAME,
    USER_ID,
    USERNAME,
)
from domain.results_promise import DEFAULT_DELIVERY_HOURS

# ------------------------------------------------------------------------------- auth, users
MESSAGE: JsonDict = {
    "message": "Si el correo está registrado, enviamos un enlace para cambiar la clave."
}

ME: JsonDict = {
    "id": USER_ID,
    "username": USERNAME,
    "full_name": USER_FULL_NAME,
    "email": USER_EMAIL,
    "role": "supervisor",
    "role_label": "Supervisor de sede",
    "sede_ids": [SEDE_S01_ID],
    "permissions": ["patient.read", "order.read", "report.read"],
}

TOKEN_PAIR: JsonDict = {
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMWEyMjc5YiJ9.c2lnbmF0dXJh",
    "refresh_token": "k3JtZ2x2b2ZfcmVmcmVzaF90b2tlbl85UQ",
    "token_type": "bearer",
    "expires_in": 900,
    "user": ME,
}

USER_READ: JsonDict = {
    "id": USER_ID,
    "username": USERNAME,
    "full_name": USER_FULL_NAME,
    "email": USER_EMAIL,
    "role": "supervisor",
    "sede_ids": [SEDE_S01_ID],
    "active": True,
    "updated_at": AT,
}
USER_LIST: JsonDict = {"items": [USER_READ], "total": 1}

ROLE_READ: JsonDict = {
    "role": "recepcionista",
    "label": "Recepcionista",
    "permissions": ["patient.read", "patient.create", "order.create", "payment.create"],
}
PERMISSION_READ: JsonDict = {"name": "patient.read", "description": "Ver y buscar pacientes"}
ROLE_LIST: JsonDict = {"roles": [ROLE_READ], "permissions": [PERMISSION_READ]}

# ------------------------------------------------------------------------------- configuration
COMPANY_READ: JsonDict = {
    "id": COMPANY_ID,
    "ruc": COMPANY_RUC,
    "razon_social": "Laboratorios Clínicos del Sur S.A.C.",
    "nombre_comercial": "LabRed",
    "address": "Av. José Larco 1150, Miraflores, Lima",
    "ubigeo": "150122",
    "sunat_credentials_configured": True,
    "certificate_configured": True,
    "updated_at": AT,
}

SEDE_READ: JsonDict = {
    "id": SEDE_S01_ID,
    "code": "S01",
    "name": "Sede Miraflores",
    "address": "Av. José Larco 1150, Miraflores",
    "ubigeo": "150122",
    "establishment_code": "0001",
    "series": SERIES_S01,
    "cash_threshold": "2000.00",
    "cash_difference_threshold": "10.00",
    "timezone": "America/Lima",
    "active": True,
    "updated_at": AT,
}
SEDE_LIST: JsonDict = {"items": [SEDE_READ], "total": 1}

SETTINGS_READ: JsonDict = {
    "discount_approval_threshold_pct": "10",
    "sunat_factura_deadline_days": 3,
    "sunat_boleta_deadline_days": 1,
    "reconciliation_hour": "23:30",
    "retention_audit_days": 1825,
    "retention_backup_days": 30,
    "sunat_factura_void": "baja",
    "sunat_baja_days": 3,
    "price_override_max": "50000.00",
    "results_delivery_hours": dict(DEFAULT_DELIVERY_HOURS),
    "updated_at": AT,
}

CONFIG_CHANGE_READ: JsonDict = {
    "id": CHANGE_ID,
    "entity": "sede",
    "entity_id": SEDE_S01_ID,
    "field": "cash_threshold",
    "old_value": "2000.00",
    "new_value": "3500.00",
    "changed_by": ADMIN_ID,
    "changed_by_username": ADMIN_USERNAME,
    "changed_at": AT,
    "ip": CLIENT_IP,
}
CONFIG_CHANGE_LIST: JsonDict = {"items": [CONFIG_CHANGE_READ], "total": 1}

# ------------------------------------------------------------------------------- backups, audit
BACKUP_READ: JsonDict = {
    "id": BACKUP_ID,
    "kind": "manual",
    "status": "ok",
    "file_name": "labred-hub-20261129T154210Z.dump",
    "size_bytes": 18874368,
    "sha256": "9f2c4e1b7a3d5f608e1c2b4a6d8f0e3c5b7a9d1f3e5c7b9a1d3f5e7c9b1a3d5f",
    "duration_ms": 2140,
    "error": None,
    "pruned": 1,
    "username": ADMIN_USERNAME,
    "on_disk": True,
    "started_at": AT,
    "finished_at": LATER,
}
BACKUP_LIST: JsonDict = {
    "items": [BACKUP_READ],
    "directory": "/var/lib/labred/hub/backups",
    "files_on_disk": 14,
}
RESTORE_READ: JsonDict = {
    "restored_from": BACKUP_READ,
    "safety_backup": {
        **BACKUP_READ,
        "id": SAFETY_BACKUP_ID,
        "kind": "pre_restore",
        "file_name": "labred-hub-20261129T160000Z-pre-restore.dump",
        "pruned": 0,
    },
    "restore": {
        **BACKUP_READ,
        "id": RESTORE_ID,
        "kind": "restore",
        "file_name": "labred-hub-20261129T154210Z.dump",
        "pruned": 0,
    },
}

AUDIT_EVENT_READ: JsonDict = {
    "id": AUDIT_ID,
    "action": "patient.read",
    "user_id": USER_ID,
    "username": USERNAME,
    "record_type": "patient",
    "record_id": PATIENT_ID,
    "ip": CLIENT_IP,
    "details": {"sede_id": SEDE_S01_ID},
    "created_at": AT,
}
AUDIT_EVENT_LIST: JsonDict = {"items": [AUDIT_EVENT_READ], "total": 1}

# ------------------------------------------------------------------------------- lab systems
LAB_SYSTEM_READ: JsonDict = {
    "id": LAB_SYSTEM_ID,
    "code": "LABREF",
    "name": "Laboratorio de Referencia Lima",
    "protocol": "mllp",
    "message_type": "OML_O21",
    "hl7_version": "2.5.1",
    "url": "",
    "host": "10.0.0.21",
    "port": 2575,
    "folder": "",
    "file_format": "hl7",
    "token_set": False,
    "results_token_set": False,
    "timeout_seconds": 10.0,
    "sede_ids": [SEDE_S01_ID],
    "active": True,
    "updated_at": AT,
}
LAB_SYSTEM_LIST: JsonDict = {"items": [LAB_SYSTEM_READ], "total": 1}

CODE_MAP_ITEM_READ: JsonDict = {
    "id": CODE_MAP_ID,
    "service_id": SERVICE_ID,
    "service_code": "HEM001",
    "service_name": "Hemograma completo",
    "code": "HEMO",
    "loinc": "58410-2",
    "name": "Hemograma automatizado",
    "sample_type": "Sangre total EDTA",
    "updated_at": AT,
}
CODE_MAP_READ: JsonDict = {
    "lab_system_id": LAB_SYSTEM_ID,
    "items": [CODE_MAP_ITEM_READ],
    "total": 1,
}

UNMAPPED_TEST: JsonDict = {"service_id": SERVICE2_ID, "code": "GLU001", "name": "Glucosa en ayunas"}
MAPPING_CHECK: JsonDict = {
    "lab_system_id": LAB_SYSTEM_ID,
    "complete": False,
    "active_tests": 42,
    "mapped": 41,
    "unmapped": [UNMAPPED_TEST],
}

SEDE_LAB_READ: JsonDict = {
    "sede_id": SEDE_S01_ID,
    "sede_code": "S01",
    "sede_name": "Sede Miraflores",
    "lab_system_id": LAB_SYSTEM_ID,
    "listener_host": "0.0.0.0",
    "listener_port": 2576,
    "updated_at": AT,
}
SEDE_LAB_LIST: JsonDict = {"items": [SEDE_LAB_READ], "total": 1}

LAB_CHANGE_READ: JsonDict = {
    "id": CHANGE_ID,
    "entity": "lab_system",
    "entity_id": LAB_SYSTEM_ID,
    "field": "host",
    "old_value": "10.0.0.20",
    "new_value": "10.0.0.21",
    "changed_by_username": ADMIN_USERNAME,
    "changed_at": EARLIER,
    "ip": CLIENT_IP,
}
LAB_CHANGE_LIST: JsonDict = {"items": [LAB_CHANGE_READ], "total": 1}
