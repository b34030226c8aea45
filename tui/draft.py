"""The order being put together at the counter: pure data and arithmetic, no widgets.

When the node ends the session mid-sale the draft is also written to a file
(``TuiSettings.draft_file``), so closing the terminal does not lose it either: the next
sign-in offers it back. The file is removed once the sale is registered or given up.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

from domain.money import q2
from tui.api import Patient, Service

ZERO = Decimal("0.00")


@dataclass
class OrderDraft:
    patient: Patient
    services: list[Service] = field(default_factory=list)
    discount_kind: str | None = None  # "percent" | "amount"
    discount_value: Decimal = ZERO
    discount_reason: str = ""
    document_type: str = "03"  # 03 boleta, 01 factura
    customer: dict[str, str] | None = None
    priority: str = "rutina"  # rutina | urgente (domain.physician.Priority)
    physician_cmp: str = ""  # médico solicitante, as typed from the medical order
    physician_name: str = ""
    approver: tuple[str, str] | None = None
    """A supervisor's (username, password) for a discount over the limit (never saved)."""
    cashier: str = ""
    """User name of who has the sale (who started it, or who took it over)."""
    cashier_name: str = ""

    def add(self, service: Service) -> bool:
        """Add a test or panel once; False when it is already in the order."""
        if any(s["id"] == service["id"] for s in self.services):
            return False
        self.services.append(service)
        return True

    def remove(self, service_id: str) -> None:
        self.services = [s for s in self.services if s["id"] != service_id]

    @property
    def subtotal(self) -> Decimal:
        return q2(sum((Decimal(s["price"]) for s in self.services), ZERO))

    @property
    def discount(self) -> Decimal:
        """An estimate for the screen; the node computes the real figure."""
        if self.discount_kind == "percent":
            return min(self.subtotal, q2(self.subtotal * self.discount_value / 100))
        if self.discount_kind == "amount":
            return min(self.subtotal, q2(self.discount_value))
        return ZERO

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    def body(self, payments: list[dict[str, Any]]) -> dict[str, Any]:
        """The ``POST /api/orders`` request."""
        body: dict[str, Any] = {
            "patient_id": self.patient["id"],
            "items": [s["id"] for s in self.services],
            "document_type": self.document_type,
            "payments": payments,
        }
        if self.discount_kind and self.discount_value > 0:
            body["discount"] = {
                "kind": self.discount_kind,
                "value": f"{self.discount_value:.2f}",
                "reason": self.discount_reason,
            }
            if self.approver is not None:
                username, password = self.approver
                body["discount"] |= {"approver_username": username, "approver_password": password}
        if self.customer:
            body["customer"] = self.customer
        # only what was given: a routine sale without physician reads as it did before them
        if self.priority != "rutina":
            body["priority"] = self.priority
        if self.physician_cmp:
            body["physician_cmp"] = self.physician_cmp
        if self.physician_name:
            body["physician_name"] = self.physician_name
        return body

    # ---------------------------------------------------------------------- kept on disk
    def to_json(self) -> dict[str, Any]:
        return {
            "patient": dict(self.patient),
            "services": [dict(s) for s in self.services],
            "discount_kind": self.discount_kind,
            "discount_value": f"{self.discount_value:.2f}",
            "discount_reason": self.discount_reason,
            "document_type": self.document_type,
            "customer": self.customer,
            "priority": self.priority,
            "physician_cmp": self.physician_cmp,
            "physician_name": self.physician_name,
            "cashier": self.cashier,
            "cashier_name": self.cashier_name,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrderDraft:
        """The draft saved by ``to_json``; ValueError when the data is not one."""
        try:
            return cls(
                patient=cast(Patient, dict(data["patient"])),
                services=[cast(Service, dict(s)) for s in data["services"]],
                discount_kind=data.get("discount_kind"),
                discount_value=q2(Decimal(str(data.get("discount_value") or "0"))),
                discount_reason=str(data.get("discount_reason") or ""),
                document_type=str(data.get("document_type") or "03"),
                customer=data.get("customer"),
                priority=str(data.get("priority") or "rutina"),
                physician_cmp=str(data.get("physician_cmp") or ""),
                physician_name=str(data.get("physician_name") or ""),
                cashier=str(data.get("cashier") or ""),
                cashier_name=str(data.get("cashier_name") or ""),
            )
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise ValueError(f"not a saved sale: {exc!r}") from None

    def cashier_label(self) -> str:
        return self.cashier_name or self.cashier or "otro usuario"


def save_draft(draft: OrderDraft, path: Path) -> None:
    """Write ``draft`` to ``path`` atomically (OSError when the folder cannot be written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(draft.to_json(), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def load_draft(path: Path) -> OrderDraft | None:
    """The sale saved at ``path``, or None (no file, or one that cannot be read)."""
    try:
        return OrderDraft.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def forget_draft(path: Path) -> None:
    path.unlink(missing_ok=True)
