"""The compact rows of a sede's day the rules read, the day itself, a finding, and the
constants of the rules (severities, states, limits)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

INFO = "info"
WARNING = "warning"
CRITICAL = "critical"
SEVERITY_RANK = {INFO: 0, WARNING: 1, CRITICAL: 2}

CANCELLED = "anulada"
INVOICE_TYPES = ("01", "03")  # factura, boleta: the documents an order gets
FINAL_STATES = ("aceptado", "observado", "rechazado", "anulado")
REJECTED = "rechazado"
CASH = "efectivo"
MAX_LISTED = 200  # ids listed per finding (the count is always complete)
CRITICAL_CASH_FACTOR = 10  # a difference this many times the threshold is critical


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: str
    number: str
    status: str
    total: int
    covered: int = 0
    paid: int = 0
    balance: int = 0
    late: bool = False


@dataclass(frozen=True, slots=True)
class PaymentRow:
    id: str
    order_id: str
    method: str
    amount: int
    business_date: str
    late: bool = False


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: str
    doc_type: str
    series: str
    number: int
    order_id: str | None
    state: str
    total: int
    business_date: str
    deadline: dt.date | None = None
    late: bool = False


@dataclass(frozen=True, slots=True)
class CashSessionRow:
    id: str
    cashier_id: str
    status: str
    expected: Mapping[str, int]
    declared: Mapping[str, int]
    difference: int


@dataclass(frozen=True)
class DayData:
    """Everything the hub holds about one sede's day, plus what the rules look up around it.

    ``payments`` and ``documents`` may include rows of later days that refer to the day's
    orders (a balance paid, or its document issued, the next day); the day's own rows are those
    whose ``business_date`` is ``day``. ``known_order_ids`` are orders of any day the hub has
    among those the documents and payments refer to; ``series_floor`` is the last correlative of
    each series before the day (when known); ``post_seal_ids`` are rows changed after the seal;
    ``convenio_invoice_ids`` are facturas that bill convenio orders (a month of them: no single
    order of their own).
    """

    day: dt.date
    orders: list[OrderRow]
    payments: list[PaymentRow]
    documents: list[DocumentRow]
    cash_sessions: list[CashSessionRow]
    samples: int = 0
    known_order_ids: frozenset[str] = frozenset()
    series_floor: Mapping[str, int] = field(default_factory=dict)
    post_seal_ids: frozenset[str] = frozenset()
    parked_ids: tuple[str, ...] = ()
    convenio_invoice_ids: frozenset[str] = frozenset()

    @cached_property
    def iso(self) -> str:
        return self.day.isoformat()

    @cached_property
    def _day_payments(self) -> list[PaymentRow]:
        iso = self.iso
        return [p for p in self.payments if p.business_date == iso]

    @cached_property
    def _day_documents(self) -> list[DocumentRow]:
        iso = self.iso
        return [d for d in self.documents if d.business_date == iso]

    def day_payments(self) -> list[PaymentRow]:
        return self._day_payments

    def day_documents(self) -> list[DocumentRow]:
        return self._day_documents


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    message: str
    record_ids: tuple[str, ...] = ()
    amount: int | None = None
    expected: int | None = None
    actual: int | None = None
    key: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def with_key(self) -> Finding:
        if self.key:
            return self
        return Finding(**{**self.__dict__, "key": self.kind})
