"""When an order's results are promised: "Entrega de resultados: martes 01/12/2026 desde las
17:00".

The rule (pure; the caller passes the sale instant, the turnarounds and the delivery hours):

1. ready = the sale instant + the longest turnaround of the order's tests (a panel counts with
   its tests' longest; the caller passes every turnaround it has: panel and tests alike). A
   missing turnaround counts as 0 hours; no tests at all is a 0-hour order.
2. rounded up to the next whole hour in Lima ("desde las 17:00"; 17:00:00 stays 17:00).
3. if the lab does not hand out results at that instant, moved to the next opening: delivery
   hours are one range per weekday, ``[open, close)`` (ready at exactly the closing time is
   the next opening), a closed weekday or a Peruvian national holiday has none.

Days and hours are Lima's (``domain.clock.LIMA``, zoneinfo even though Lima has no DST); the
result is an aware UTC instant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from domain.clock import LIMA, ensure_aware
from domain.errors import InvalidInput

SETTING_KEY = "results_delivery_hours"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Monday = 0, as date.weekday()
DAY_NAMES_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
# JSON form (the hub setting's default): "HH:MM-HH:MM" per weekday, "" = closed
DEFAULT_DELIVERY_HOURS: dict[str, str] = {
    "mon": "07:00-19:00",
    "tue": "07:00-19:00",
    "wed": "07:00-19:00",
    "thu": "07:00-19:00",
    "fri": "07:00-19:00",
    "sat": "07:00-13:00",
    "sun": "",
}
# Peru's national holidays on fixed dates (Ley 31822 and earlier): (month, day)
FIXED_HOLIDAYS: tuple[tuple[int, int], ...] = (
    (1, 1),  # Año Nuevo
    (5, 1),  # Día del Trabajo
    (6, 7),  # Batalla de Arica y Día de la Bandera
    (6, 29),  # San Pedro y San Pablo
    (7, 23),  # Día de la Fuerza Aérea
    (7, 28),  # Fiestas Patrias
    (7, 29),  # Fiestas Patrias
    (8, 6),  # Batalla de Junín
    (8, 30),  # Santa Rosa de Lima
    (10, 8),  # Combate de Angamos
    (11, 1),  # Todos los Santos
    (12, 8),  # Inmaculada Concepción
    (12, 9),  # Batalla de Ayacucho
    (12, 25),  # Navidad
)
_SEARCH_DAYS = 30  # a valid schedule has an open weekday; holidays never close 3 weeks


@dataclass(frozen=True)
class DeliveryHours:
    """Results hand-out hours: ``windows[weekday]`` = (open, close) or None (closed)."""

    windows: tuple[tuple[time, time] | None, ...]

    def as_json(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for day, window in zip(DAYS, self.windows, strict=True):
            out[day] = "" if window is None else f"{window[0]:%H:%M}-{window[1]:%H:%M}"
        return out


def _hhmm(text: str, *, day: str, field: str) -> time:
    parts = text.strip().split(":")
    if len(parts) == 2 and all(len(p) == 2 and p.isascii() and p.isdigit() for p in parts):
        hour, minute = int(parts[0]), int(parts[1])
        if hour <= 23 and minute <= 59:
            return time(hour, minute)
    raise InvalidInput(
        f"Horario de entrega del {_day_es(day)}: «{text.strip()}» no es una hora válida "
        "(use HH:MM, de 00:00 a 23:59).",
        code="delivery_hours_time_invalid",
        loc=[field, day],
    )


def _day_es(day: str) -> str:
    return DAY_NAMES_ES[DAYS.index(day)]


def parse_delivery_hours(value: Any, *, field: str = SETTING_KEY) -> DeliveryHours:
    """Validate the JSON form ``{"mon": "07:00-19:00", ..., "sun": ""}``: every weekday
    present, each "HH:MM-HH:MM" with opening before closing or "" (closed), at least one day
    open. Raises :class:`InvalidInput` with a Spanish message and ``loc`` [field, day]."""
    if not isinstance(value, Mapping):
        raise InvalidInput(
            "El horario de entrega de resultados debe indicar un rango por día "
            '(por ejemplo {"mon": "07:00-19:00", ..., "sun": ""}).',
            code="delivery_hours_not_object",
            loc=[field],
        )
    unknown = [str(k) for k in value if k not in DAYS]
    if unknown:
        raise InvalidInput(
            f"Día desconocido en el horario de entrega: «{unknown[0]}»; use {', '.join(DAYS)}.",
            code="delivery_hours_day_unknown",
            loc=[field, unknown[0]],
        )
    windows: list[tuple[time, time] | None] = []
    for day in DAYS:
        if day not in value:
            raise InvalidInput(
                f'Falta el horario de entrega del {_day_es(day)} (use "" si no se entrega).',
                code="delivery_hours_day_missing",
                loc=[field, day],
            )
        text = value[day]
        if text is None or (isinstance(text, str) and not text.strip()):
            windows.append(None)
            continue
        if not isinstance(text, str) or text.count("-") != 1:
            raise InvalidInput(
                f"Horario de entrega del {_day_es(day)}: «{text}» no es un rango "
                '"HH:MM-HH:MM" (o "" si ese día no se entrega).',
                code="delivery_hours_range_invalid",
                loc=[field, day],
            )
        start_text, end_text = text.split("-")
        start = _hhmm(start_text, day=day, field=field)
        end = _hhmm(end_text, day=day, field=field)
        if start >= end:
            raise InvalidInput(
                f"Horario de entrega del {_day_es(day)}: la apertura ({start:%H:%M}) debe ser "
                f"anterior al cierre ({end:%H:%M}).",
                code="delivery_hours_range_empty",
                loc=[field, day],
            )
        windows.append((start, end))
    if all(w is None for w in windows):
        raise InvalidInput(
            "El horario de entrega de resultados debe tener al menos un día con atención.",
            code="delivery_hours_all_closed",
            loc=[field],
        )
    return DeliveryHours(tuple(windows))


DEFAULT_HOURS = parse_delivery_hours(DEFAULT_DELIVERY_HOURS)


def easter_sunday(year: int) -> date:
    """Easter Sunday (Gregorian; anonymous / Meeus-Jones-Butcher algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def peru_holidays(year: int) -> frozenset[date]:
    """Peru's national holidays of ``year``: the fixed dates plus Holy Thursday and Good
    Friday."""
    easter = easter_sunday(year)
    fixed = {date(year, month, day) for month, day in FIXED_HOLIDAYS}
    return frozenset(fixed | {easter - timedelta(days=3), easter - timedelta(days=2)})


def is_holiday(day: date) -> bool:
    return day in peru_holidays(day.year)


def _window(day: date, hours: DeliveryHours) -> tuple[datetime, datetime] | None:
    """The day's hand-out range as Lima-aware instants (None: closed or a holiday)."""
    window = hours.windows[day.weekday()]
    if window is None or is_holiday(day):
        return None
    return (
        datetime.combine(day, window[0], tzinfo=LIMA),
        datetime.combine(day, window[1], tzinfo=LIMA),
    )


def ceil_hour(instant: datetime) -> datetime:
    """``instant`` rounded up to the next whole hour in Lima (a whole hour stays)."""
    local = ensure_aware(instant).astimezone(LIMA)
    floor = local.replace(minute=0, second=0, microsecond=0)
    return floor if floor == local else floor + timedelta(hours=1)


def next_delivery(instant: datetime, hours: DeliveryHours = DEFAULT_HOURS) -> datetime:
    """The first instant at or after ``instant`` when results are handed out (UTC)."""
    local = ensure_aware(instant).astimezone(LIMA)
    day = local.date()
    for _ in range(_SEARCH_DAYS):
        window = _window(day, hours)
        if window is not None:
            opens, closes = window
            if local < closes:
                return max(local, opens).astimezone(UTC)
        day += timedelta(days=1)
    raise InvalidInput(  # unreachable with a validated schedule
        "El horario de entrega de resultados no tiene atención en las próximas semanas.",
        code="delivery_hours_all_closed",
        loc=[SETTING_KEY],
    )


def longest_turnaround(turnarounds: Iterable[int | None]) -> int:
    """The longest of the turnaround hours given (None and negatives count as 0)."""
    return max((h for h in turnarounds if h is not None and h > 0), default=0)


def promised_at(
    *,
    sold_at: datetime,
    turnaround_hours: Iterable[int | None],
    hours: DeliveryHours = DEFAULT_HOURS,
) -> datetime:
    """The promised results instant (UTC) of an order sold at ``sold_at`` whose tests take
    ``turnaround_hours`` (see the module's rule)."""
    ready = ensure_aware(sold_at, field="sold_at") + timedelta(
        hours=longest_turnaround(turnaround_hours)
    )
    return next_delivery(ceil_hour(ready), hours)


def format_promise(instant: datetime) -> str:
    """es-PE text of a promise: "martes 01/12/2026 desde las 17:00" (Lima time)."""
    local = ensure_aware(instant).astimezone(LIMA)
    return f"{DAY_NAMES_ES[local.weekday()]} {local:%d/%m/%Y} desde las {local:%H:%M}"
