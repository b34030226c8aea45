"""The replicated record types: who writes each one, where it flows, and the wire shape of the
hub-owned ones (DESIGN.md section 2).

- Edge-owned records (orders, payments, invoices, cash ...) flow **up**; their wire payload is the
  full row image of the edge table (``sync.outbox.row_image``), money in céntimos.
- Hub-owned records (company, sedes, users, catalog ...) flow **down** through the hub's change
  feed; their payload is one of the pydantic models below, and each edge keeps a mirror table
  with exactly these column names (``__sync_type__`` = the record type).
- Patients are shared: written at any edge (up), merged at the hub, and sent down to all edges.

A record type's name never changes; a field is added with a default (schema version bump, the
hub upcasts older payloads).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Owner(StrEnum):
    HUB = "hub"  # written only at the hub; read-only mirrors at the edges
    EDGE = "edge"  # written only at the owning edge (sede_id on every row)
    SHARED = "shared"  # patients: any edge or the hub; merged at the hub


class Scope(StrEnum):
    ALL = "all"  # every edge receives it
    SEDE = "sede"  # only the edge of the row's sede_id receives it


@dataclass(frozen=True)
class RecordSpec:
    owner: Owner
    scope: Scope = Scope.ALL


RECORD_TYPES: dict[str, RecordSpec] = {
    # hub-owned, down to every edge
    "company": RecordSpec(Owner.HUB),
    "sede": RecordSpec(Owner.HUB),
    "setting": RecordSpec(Owner.HUB),
    "user": RecordSpec(Owner.HUB),
    "catalog_category": RecordSpec(Owner.HUB),
    "catalog_service": RecordSpec(Owner.HUB),
    "convenio": RecordSpec(Owner.HUB),
    "lab_system": RecordSpec(Owner.HUB),
    "lab_code_map": RecordSpec(Owner.HUB),
    "patient_alias": RecordSpec(Owner.HUB),
    "reconciliation_closure": RecordSpec(Owner.HUB, Scope.SEDE),
    # shared
    "patient": RecordSpec(Owner.SHARED),
    # edge-owned, up to the hub
    "patient_consent": RecordSpec(Owner.EDGE),
    "patient_history": RecordSpec(Owner.EDGE),
    "order": RecordSpec(Owner.EDGE),
    "order_item": RecordSpec(Owner.EDGE),
    "order_status_event": RecordSpec(Owner.EDGE),
    "payment": RecordSpec(Owner.EDGE),
    "discount_request": RecordSpec(Owner.EDGE),  # a discount waiting for a supervisor
    "sample": RecordSpec(Owner.EDGE),
    "cash_session": RecordSpec(Owner.EDGE),
    "cash_movement": RecordSpec(Owner.EDGE),
    "cash_count": RecordSpec(Owner.EDGE),
    "day_seal": RecordSpec(Owner.EDGE),
    "invoice": RecordSpec(Owner.EDGE),
    "invoice_line": RecordSpec(Owner.EDGE),
    "convenio_invoice_order": RecordSpec(Owner.EDGE),  # orders a convenio factura covers
    "invoice_document": RecordSpec(Owner.EDGE),  # signed XML + CDR (base64), for the hub's mail
    "sunat_submission": RecordSpec(Owner.EDGE),
    "lab_job": RecordSpec(Owner.EDGE),
    "lab_result": RecordSpec(Owner.EDGE),
    "results_ready": RecordSpec(Owner.EDGE),  # event: an order's results are final (notify)
    "audit_event": RecordSpec(Owner.EDGE),
    "access_log": RecordSpec(Owner.EDGE),
}


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# ----------------------------------------------------------------------------- hub-owned
class CompanyRecord(_Record):
    id: str
    ruc: str
    razon_social: str
    nombre_comercial: str = ""
    address: str = ""
    ubigeo: str = ""
    updated_at: str | None = None


class SedeRecord(_Record):
    id: str
    code: str = Field(description="short code, also the order-number prefix (S01)")
    name: str
    address: str = ""
    ubigeo: str = ""
    establishment_code: str = Field(default="0000", description="SUNAT código de establecimiento")
    series: dict[str, str] = Field(
        default_factory=dict,
        description="document type -> series owned by this sede, e.g. {'01': 'F001', "
        "'03': 'B001', '07F': 'FC01', '07B': 'BC01', '08F': 'FD01', '08B': 'BD01'}; "
        "'contingency' entries hold the spare series used after a restore",
    )
    cash_threshold_cents: int = Field(default=200000, description="bancarización limit")
    cash_difference_threshold_cents: int = 1000
    timezone: str = "America/Lima"
    active: bool = True
    updated_at: str | None = None
    created_at: str | None = Field(
        default=None, description="registered at the hub (reconciliation's first day)"
    )


class SettingRecord(_Record):
    id: str
    key: str
    value: Any
    updated_at: str | None = None


class UserRecord(_Record):
    id: str
    username: str
    full_name: str
    email: str = ""
    role: str = Field(description="admin | supervisor | recepcionista | laboratorista")
    password_hash: str
    sede_ids: list[str] = Field(default_factory=list, description="sedes the user may act in")
    active: bool = True
    updated_at: str | None = None


class CatalogCategoryRecord(_Record):
    id: str
    code: str
    name: str
    active: bool = True
    updated_at: str | None = None


class CatalogServiceRecord(_Record):
    """A lab test or a panel (``is_panel``; its tests in ``panel_service_ids``)."""

    id: str
    code: str
    name: str
    category_id: str | None = None
    sample_type: str = ""
    tube: str = ""
    price_cents: int
    catalog_version: int = 1
    is_panel: bool = False
    panel_service_ids: list[str] = Field(default_factory=list)
    igv_affectation: str = "10"
    turnaround_hours: int = 24
    loinc: str = ""
    active: bool = True
    updated_at: str | None = None


class ConvenioRecord(_Record):
    id: str
    ruc: str
    name: str
    coverage_pct: str = Field(default="0", description="Decimal as string, 0-100")
    prices_cents: dict[str, int] = Field(default_factory=dict, description="service id -> price")
    credit_days: int = 30
    contact: str = ""
    active: bool = True
    updated_at: str | None = None


class PatientAliasRecord(_Record):
    """Patient ``alias_id`` was merged into ``canonical_id``: edges re-point their rows."""

    id: str
    alias_id: str
    canonical_id: str
    merged_at: str | None = None


class LabSystemRecord(_Record):
    """An external laboratory system (LIS) and how the sedes in ``sede_ids`` reach it."""

    id: str
    code: str = Field(default="", description="short code of the LIS (MSH-5), e.g. LABCENTRAL")
    name: str
    protocol: Literal["rest", "mllp", "file"] = "mllp"
    hl7_version: Literal["2.5.1", "2.3.1"] = "2.5.1"
    message_type: Literal["OML_O21", "ORM_O01"] = "OML_O21"
    url: str = Field(default="", description="REST: URL that receives orders (POST JSON)")
    host: str = Field(default="", description="MLLP: host of the LIS")
    port: int = Field(default=0, description="MLLP: port of the LIS")
    folder: str = Field(default="", description="file drop: folder (mounted share / FTP sync)")
    file_format: Literal["hl7", "csv"] = "hl7"
    token: str = Field(default="", description="REST: bearer token sent to the LIS")
    results_token: str = Field(
        default="", description="token the LIS presents to the results webhook (default: token)"
    )
    timeout_seconds: float = 10.0
    sede_ids: list[str] = Field(default_factory=list, description="sedes that send to it")
    active: bool = True
    updated_at: str | None = None


class LabCodeMapRecord(_Record):
    """Our catalog test (``service_id``) as a laboratory system knows it."""

    id: str
    lab_system_id: str
    service_id: str
    code: str = Field(default="", description="the LIS's own code (OBR-4, table L)")
    loinc: str = Field(default="", description="LOINC code (table LN)")
    name: str = ""
    sample_type: str = Field(default="", description="specimen code the LIS expects (HL70487)")
    updated_at: str | None = None


class ClosureRecord(_Record):
    """A sede's business day as the hub reconciled it (only that sede's edge receives it)."""

    id: str
    sede_id: str
    business_date: str
    status: str = Field(description="pending_data | reconciled | with_discrepancies | reopened")
    closed_at: str | None = None
    discrepancy_count: int = 0
    critical_count: int = 0
    has_late_adjustments: bool = False
    late_adjustment_count: int = 0
    summary: list[dict[str, Any]] = Field(
        default_factory=list, description="findings: kind, severity, message, count of ids"
    )
    reopen_count: int = 0
    reopened_at: str | None = None
    reopened_by: str | None = None
    reopen_reason: str | None = None
    updated_at: str | None = None


HUB_RECORD_MODELS: dict[str, type[_Record]] = {
    "company": CompanyRecord,
    "sede": SedeRecord,
    "setting": SettingRecord,
    "user": UserRecord,
    "catalog_category": CatalogCategoryRecord,
    "catalog_service": CatalogServiceRecord,
    "convenio": ConvenioRecord,
    "patient_alias": PatientAliasRecord,
    "lab_system": LabSystemRecord,
    "lab_code_map": LabCodeMapRecord,
    "reconciliation_closure": ClosureRecord,
}
