"""Messages between workers, screens and the app (results of edge calls come back as these)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.message import Message

from tui.api import ApiError, CashSession, Invoice, NodeStatus, Order, Patient, Profile, Service


@dataclass
class EdgeOnline(Message):
    """The node answered (True) or could not be reached (False)."""

    online: bool


@dataclass
class NodeStatusUpdated(Message):
    status: NodeStatus


@dataclass
class SignedIn(Message):
    profile: Profile


@dataclass
class SessionExpired(Message):
    """The node ended the session: sign in again on top of the open screens."""

    msg: str
    reason: str = "not_authenticated"
    """The node's code (``refresh_token_revoked``, ``user_inactive``, ...)."""


@dataclass
class ApiFailed(Message):
    """An edge call of a screen failed; ``action`` says which (for the screen's own display)."""

    action: str
    error: ApiError


@dataclass
class PatientsFound(Message):
    query: str
    patients: list[Patient]


@dataclass
class PatientOffered(Message):
    """The document typed is already registered: ``patient`` is offered instead."""

    patient: Patient
    msg: str


@dataclass
class PatientSaved(Message):
    patient: Patient


@dataclass
class ServicesFound(Message):
    query: str
    services: list[Service]


@dataclass
class OrderPlaced(Message):
    order: Order
    invoice: Invoice | None


@dataclass
class TicketDone(Message):
    """The ticket went to the node's printer (``path`` None) or was saved to ``path``."""

    path: Path | None
    detail: str


@dataclass
class OrdersLoaded(Message):
    orders: list[Order]


@dataclass
class OrderChanged(Message):
    order_id: str
    detail: str


@dataclass
class CashLoaded(Message):
    session: CashSession | None


@dataclass
class CashCounted(Message):
    result: dict[str, Any]


@dataclass
class CashClosed(Message):
    summary: dict[str, Any]
