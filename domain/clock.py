"""Time: an injectable ``Clock`` and the business date in America/Lima.

Instants are timezone-aware UTC ``datetime``; naive values are refused everywhere. A
*business date* is the calendar date of an instant in the sede's zone (America/Lima,
UTC-5 all year): a sale at 23:30 in Lima (04:30 UTC the next day) belongs to the Lima day,
whatever the server's own ``TZ``. Domain code never reads the system clock directly; it
receives a ``Clock`` (``SystemClock`` in the apps, ``FixedClock`` in tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from domain.errors import InvalidInput

LIMA = ZoneInfo("America/Lima")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@runtime_checkable
class Clock(Protocol):
    """Source of the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


def ensure_aware(instant: datetime, *, field: str = "fecha_hora") -> datetime:
    """Return ``instant`` converted to UTC; refuse naive datetimes."""
    if not isinstance(instant, datetime):
        raise InvalidInput("Se esperaba una fecha y hora.", code="datetime_invalid", loc=[field])
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput(
            "La fecha y hora no indica zona horaria; se requiere una hora con zona (UTC).",
            code="naive_datetime",
            loc=[field],
        )
    return instant.astimezone(UTC)


class SystemClock:
    """The real clock: ``datetime.now(UTC)``."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests: stands still until ``set`` or ``advance`` moves it (either way)."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_aware(start)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = ensure_aware(instant)

    def advance(self, delta: timedelta | None = None, *, seconds: float = 0) -> datetime:
        """Move the clock by ``delta`` and/or ``seconds`` (negative moves it back)."""
        self._now += (delta or timedelta()) + timedelta(seconds=seconds)
        return self._now


class OffsetClock:
    """A clock shifted from another by an offset read on every call (demo and drills: a node
    that lives "yesterday"). ``offset`` returns seconds; it is injected, so this stays pure."""

    def __init__(self, base: Clock, offset: Callable[[], float]) -> None:
        self._base = base
        self._offset = offset

    def now(self) -> datetime:
        return self._base.now() + timedelta(seconds=self._offset())


def business_date(instant: datetime, tz: tzinfo = LIMA) -> date:
    """The calendar date of ``instant`` in ``tz`` (America/Lima by default)."""
    return ensure_aware(instant).astimezone(tz).date()


def day_bounds(day: date, tz: tzinfo = LIMA) -> tuple[datetime, datetime]:
    """The UTC half-open interval ``[start, end)`` of a business date in ``tz``."""
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def parse_business_date(value: object) -> date:
    """Parse ``YYYY-MM-DD`` strictly (no week dates, no compact form)."""
    text = value.strip() if isinstance(value, str) else ""
    if not _ISO_DATE.fullmatch(text):
        raise InvalidInput(
            f"La fecha «{value}» no es válida; use el formato AAAA-MM-DD.",
            code="date_invalid",
            loc=["date"],
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"La fecha «{text}» no existe en el calendario.", code="date_invalid", loc=["date"]
        ) from None


def to_unix_ms(instant: datetime) -> int:
    """Milliseconds since the Unix epoch of an aware instant (floor)."""
    delta = ensure_aware(instant) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_unix_ms(ms: int) -> datetime:
    """Aware UTC datetime of a Unix millisecond count."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


__all__ = [
    "LIMA",
    "Clock",
    "FixedClock",
    "SystemClock",
    "business_date",
    "day_bounds",
    "ensure_aware",
    "from_unix_ms",
    "parse_business_date",
    "to_unix_ms",
]
