"""Identifiers: UUIDv7 row ids and human order numbers.

Row ids are UUIDv7 (RFC 9562 section 5.7), made where the row is born: 48-bit Unix
milliseconds, version 7, variant ``10``, then 74 bits that are random for the first id of
a millisecond and incremented for the next ones (RFC 9562 section 6.2, method 2), so ids
from one process sort in creation order even if the wall clock steps back. Stdlib only.

Order numbers are ``{SEDE}-{YYYYMMDD}-{NNNN}``, e.g. ``S01-20261129-0001``: the sede code
(unique per sede, assigned by the hub: a letter then 1–7 letters or digits, no hyphen),
the Lima business date and the sede's daily sequence, zero-padded to 4 digits and allowed to
grow to 6. Two sedes never share a code, so numbers allocated offline never collide; within
a sede the number is allocated in the same transaction as the order.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from domain.clock import from_unix_ms
from domain.errors import InvalidInput

_RAND_BITS = 74
_RAND_MAX = (1 << _RAND_BITS) - 1
_MS_MAX = (1 << 48) - 1


def _encode(ms: int, rand: int) -> str:
    rand_a = rand >> 62  # 12 bits
    rand_b = rand & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))


class UUIDv7Generator:
    """UUIDv7 factory, monotonic within one instance; thread-safe.

    ``ms_source`` and ``rand_source`` are injectable for tests.
    """

    def __init__(
        self,
        ms_source: Callable[[], int] | None = None,
        rand_source: Callable[[int], int] = secrets.randbits,
    ) -> None:
        self._ms_source = ms_source or (lambda: time.time_ns() // 1_000_000)
        self._rand_source = rand_source
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_rand = 0

    def __call__(self) -> str:
        with self._lock:
            ms = self._ms_source()
            if ms > self._last_ms:
                rand = self._rand_source(_RAND_BITS)
            else:  # same millisecond, or the clock stepped back: keep counting up
                ms, rand = self._last_ms, self._last_rand + 1
                if rand > _RAND_MAX:
                    ms, rand = ms + 1, self._rand_source(_RAND_BITS)
            if not 0 <= ms <= _MS_MAX:
                raise ValueError(f"timestamp out of UUIDv7 range: {ms}")
            self._last_ms, self._last_rand = ms, rand
            return _encode(ms, rand)


_default_generator = UUIDv7Generator()


def new_id() -> str:
    """A new UUIDv7 as a canonical lowercase string."""
    return _default_generator()


def parse_id(value: object, *, field: str = "id") -> str:
    """Validate a UUID string and return it canonical (lowercase, hyphenated)."""
    try:
        parsed = uuid.UUID(value.strip()) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput(
            f"El identificador «{value}» no es un UUID válido.", code="id_invalid", loc=[field]
        )
    return str(parsed)


def uuid7_time(value: str | uuid.UUID) -> datetime:
    """The creation instant (aware UTC, millisecond precision) of a UUIDv7."""
    parsed = value if isinstance(value, uuid.UUID) else uuid.UUID(parse_id(value))
    if parsed.version != 7 or parsed.variant != uuid.RFC_4122:
        raise InvalidInput(
            f"El identificador «{value}» no es un UUID versión 7.", code="id_invalid", loc=["id"]
        )
    return from_unix_ms(parsed.int >> 80)


_SEDE_CODE = re.compile(r"[A-Z][A-Z0-9]{1,7}")
_ORDER_NUMBER = re.compile(r"([A-Z][A-Z0-9]{1,7})-([0-9]{8})-([0-9]{4,6})")
ORDER_SEQ_MAX = 999_999


@dataclass(frozen=True, slots=True)
class OrderNumber:
    """A parsed human order number."""

    sede_code: str
    business_date: date
    seq: int

    def __str__(self) -> str:
        return format_order_number(self.sede_code, self.business_date, self.seq)


def _check_sede_code(sede_code: object) -> str:
    code = sede_code.strip().upper() if isinstance(sede_code, str) else ""
    if not _SEDE_CODE.fullmatch(code):
        raise InvalidInput(
            f"El código de sede «{sede_code}» no es válido: una letra y luego de 1 a 7 letras"
            " o dígitos.",
            code="sede_code_invalid",
            loc=["sede_code"],
        )
    return code


def format_order_number(sede_code: str, business_date: date, n: int) -> str:
    """``S01-20261129-0001``: sede code, Lima business date, daily sequence (1–999999)."""
    code = _check_sede_code(sede_code)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= ORDER_SEQ_MAX:
        raise InvalidInput(
            f"El correlativo de la orden debe estar entre 1 y {ORDER_SEQ_MAX}.",
            code="order_seq_invalid",
            loc=["seq"],
        )
    return f"{code}-{business_date:%Y%m%d}-{n:04d}"


def parse_order_number(value: object) -> OrderNumber:
    """Parse a canonical order number (case-insensitive, surrounding blanks ignored)."""
    text = value.strip().upper() if isinstance(value, str) else ""
    match = _ORDER_NUMBER.fullmatch(text)
    parsed: OrderNumber | None = None
    if match:
        code, day, seq = match.groups()
        try:
            parsed = OrderNumber(code, date(int(day[:4]), int(day[4:6]), int(day[6:])), int(seq))
        except ValueError:
            parsed = None
    # Canonical only: "0001" but not "00001", so one order has exactly one spelling.
    if parsed is None or parsed.seq == 0 or str(parsed) != text:
        raise InvalidInput(
            f"El número de orden «{value}» no es válido; el formato es SEDE-AAAAMMDD-NNNN"
            " (por ejemplo S01-20261129-0001).",
            code="order_number_invalid",
            loc=["order_number"],
        )
    return parsed


__all__ = [
    "ORDER_SEQ_MAX",
    "OrderNumber",
    "UUIDv7Generator",
    "format_order_number",
    "new_id",
    "parse_id",
    "parse_order_number",
    "uuid7_time",
]


_SEDE_NAMESPACE = uuid.UUID("8f6c2a4e-3b1d-5e7f-9a0b-1c2d3e4f5a6b")


def sede_id_for(code: str) -> str:
    """Deterministic id of a sede from its code, so a node initialised before it is enrolled
    and the hub that later creates the same sede agree on its id."""
    return str(uuid.uuid5(_SEDE_NAMESPACE, code.strip().upper()))


def company_id_for(ruc: str) -> str:
    """Deterministic id of the company from its RUC (edge bootstrap and hub agree on it)."""
    return str(uuid.uuid5(_SEDE_NAMESPACE, "company:" + ruc.strip()))


def sede_number(code: str) -> int:
    """The number in a sede's code (``S03`` -> 3; 1 when it has no digits)."""
    digits = "".join(ch for ch in code if ch.isdigit())
    return int(digits) if digits else 1


def default_series(k: int) -> dict[str, str]:
    """Series a sede numbered ``k`` owns until the hub assigns its own (one writer per
    series): the edge's bootstrap and the hub's new sedes use this one scheme."""
    return {
        "01": f"F{k:03d}",
        "03": f"B{k:03d}",
        "07F": f"FC{k:02d}",
        "07B": f"BC{k:02d}",
        "08F": f"FD{k:02d}",
        "08B": f"BD{k:02d}",
        "contingency01": f"F{900 + k:03d}",
        "contingency03": f"B{900 + k:03d}",
    }
