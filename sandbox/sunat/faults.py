"""Fault switches of the SUNAT simulator, changeable at run time (``POST /_sim/faults``).

Counters say how many of the next matching SOAP requests get the fault; ``-1`` means "every
request until cleared" (an outage). Faults are checked in this order, first match wins:

``timeout``            hang ``hang_seconds`` (longer than the client's timeout), then answer
                       HTTP 504 *without processing* the request
``http_500``           answer HTTP 500 with a plain-text body, request not processed
``soap_fault``         answer a SOAP ``soap-env:Server`` fault with ``soap_fault_code``
                       (default 0130, "El sistema no puede responder su solicitud"), not processed
``drop_after_accept``  process the document (register it, build its CDR), then answer HTTP 500:
                       SUNAT has it but the client never saw the CDR (sendBill / sendSummary only)
``reject``             the next N documents get ``reject_code`` instead of their real answer
                       (2000–3999: a CDR of rejection; below 2000: a SOAP fault, not registered;
                       4000+: accepted with that observation) (sendBill only)

``delay_ms`` slows every SOAP answer; ``operations`` limits timeout / http_500 / soap_fault
to the named SOAP operations (e.g. ``["sendBill"]``); ``summary_pending_polls`` is how many
``getStatus`` calls answer 98 before a ticket is done.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field, fields
from typing import Any, Literal

FaultKind = Literal["timeout", "http_500", "soap_fault", "drop_after_accept", "reject"]

_COUNTERS: tuple[FaultKind, ...] = (
    "timeout",
    "http_500",
    "soap_fault",
    "drop_after_accept",
    "reject",
)
_TRANSPORT: tuple[FaultKind, ...] = ("timeout", "http_500", "soap_fault")


@dataclass
class Faults:
    """Mutable, thread-safe fault configuration. All fields are JSON-friendly."""

    delay_ms: int = 0
    timeout: int = 0
    hang_seconds: float = 5.0
    http_500: int = 0
    soap_fault: int = 0
    soap_fault_code: str = "0130"
    drop_after_accept: int = 0
    reject: int = 0
    reject_code: str = "2800"
    operations: list[str] | None = None
    summary_pending_polls: int = 1
    #: Calendar days after a factura's issue date within which a comunicación de baja (RA) is
    #: accepted; later ones get 2374 ("fuera del plazo permitido"). A rule parameter, not a
    #: fault, kept here so tests can change it at run time.
    baja_days: int = 7
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    # ---------------------------------------------------------------- admin API

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                f.name: copy.copy(getattr(self, f.name))
                for f in fields(self)
                if not f.name.startswith("_")
            }

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply a partial update (unknown keys raise ``KeyError``, bad types ``ValueError``)."""
        names = {f.name: f for f in fields(self) if not f.name.startswith("_")}
        parsed: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in names:
                raise KeyError(key)
            parsed[key] = _coerce(key, value)
        with self._lock:
            for key, value in parsed.items():
                setattr(self, key, value)
        return self.snapshot()

    def reset(self) -> None:
        default = Faults()
        with self._lock:
            for f in fields(self):
                if not f.name.startswith("_"):
                    setattr(self, f.name, getattr(default, f.name))

    # ---------------------------------------------------------------- simulator side

    def take_transport_fault(self, operation: str) -> FaultKind | None:
        """Consume one of timeout / http_500 / soap_fault if armed for ``operation``."""
        with self._lock:
            if self.operations is not None and operation not in self.operations:
                return None
            for kind in _TRANSPORT:
                if self._consume(kind):
                    return kind
        return None

    def take(self, kind: FaultKind) -> bool:
        """Consume one ``drop_after_accept`` or ``reject``."""
        with self._lock:
            return self._consume(kind)

    def _consume(self, kind: FaultKind) -> bool:
        left = getattr(self, kind)
        if left == 0:
            return False
        if left > 0:
            setattr(self, kind, left - 1)
        return True


def _coerce(key: str, value: Any) -> Any:
    if key in _COUNTERS or key in ("delay_ms", "summary_pending_polls", "baja_days"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{key} debe ser un entero")
        if value < -1 or (key not in _COUNTERS and value < 0):
            raise ValueError(f"{key} fuera de rango")
        return value
    if key == "hang_seconds":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError("hang_seconds debe ser un número >= 0")
        return float(value)
    if key in ("soap_fault_code", "reject_code"):
        text = str(value).strip()
        if not text.isdigit() or len(text) > 4:
            raise ValueError(f"{key} debe ser un código SUNAT numérico")
        return text.zfill(4)
    if key == "operations":
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("operations debe ser una lista de nombres de operación o null")
        return list(value)
    raise KeyError(key)


__all__ = ["FaultKind", "Faults"]
