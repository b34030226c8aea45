"""Transports to a laboratory system. Each adapter delivers one frozen message and reports an
:class:`Outcome`; none touches the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

OutcomeKind = Literal["accepted", "rejected", "error"]


@dataclass(frozen=True)
class Outbound:
    """A job's frozen message, ready for any transport."""

    control_id: str
    order_number: str
    body: str  # HL7 text (segments joined by \r), JSON text or CSV text
    content_type: str  # "hl7" | "json" | "csv"


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    ack_code: str | None = None  # AA | AE | AR | HTTP status | FILE
    detail: str = ""
    filler_numbers: dict[str, str] = field(default_factory=dict)
    transport_failure: bool = False  # counts against the circuit breaker


class Adapter(Protocol):
    protocol: str

    def send(self, message: Outbound) -> Outcome: ...
