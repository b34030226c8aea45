"""The order being put together at the counter: pure data and arithmetic, no widgets."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

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
    approver: tuple[str, str] | None = None
    """A supervisor's (username, password) for a discount over the limit."""

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
        return body
