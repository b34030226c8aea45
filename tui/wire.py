"""Wire shapes the TUI reads from the edge API (only the fields it uses are typed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

JSON = dict[str, Any]


class Profile(TypedDict):
    id: str
    username: str
    full_name: str
    role: str
    role_label: str
    sede_ids: list[str]
    permissions: list[str]


class Patient(TypedDict, total=False):
    id: str
    doc_type: str
    doc_type_label: str
    doc_number: str
    first_names: str
    last_names: str
    full_name: str
    birth_date: str | None
    sex: str | None
    phone: str | None
    email: str | None


class Service(TypedDict, total=False):
    id: str
    code: str
    name: str
    price: str
    is_panel: bool
    panel_services: list[JSON]
    sample_type: str
    tube: str


class Order(TypedDict, total=False):
    id: str
    number: str
    patient_id: str
    status: str
    document_type: str
    subtotal: str
    discount_total: str
    total: str
    paid_total: str
    balance: str
    change: str
    customer_doc_type: str | None
    customer_doc_number: str | None
    customer_name: str | None
    business_date: str
    created_at: str
    results_promised_at: str | None  # UTC ISO instant; None: sold before promises existed
    priority: str  # rutina | urgente (domain.physician.Priority); absent from older nodes
    physician_cmp: str | None  # médico solicitante: CMP digits
    physician_name: str | None  # médico solicitante, as the node keeps it (uppercase)
    items: list[JSON]
    payments: list[JSON]


class Invoice(TypedDict, total=False):
    id: str
    doc_type: str
    full_number: str
    total: str
    state: str
    customer_name: str


class CashSession(TypedDict, total=False):
    id: str
    status: str
    opening_float: str
    opened_at: str
    business_date: str
    difference: str | None


@dataclass(frozen=True)
class NodeStatus:
    """What the status bar shows: sede, hub link and the three backlogs."""

    sede_code: str = ""
    sede_name: str = ""
    hub: str = "comprobando"
    sunat_pending: int = 0
    sunat_overdue: int = 0
    sync_backlog: int = 0
    lab_pending: int = 0
