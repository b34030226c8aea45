"""Reading the hub's settings replicated to this node (``setting`` rows, hub-owned).

One plain-SQL lookup by the unique index on ``setting.key``, with no cache: a change pulled from
the hub applies to the next read without a restart, and the lookup costs about a tenth of the
ORM query (it runs inside sales).

The readers below (:func:`day_count`, :func:`percentage`, :func:`amount`,
:func:`delivery_hours`) turn what arrived into the value the caller applies, or None for
anything else (never an exception): a bad value on the wire makes the node use its default, as
if the hub had sent nothing."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection

from domain.errors import InvalidInput
from domain.money import parse_amount
from domain.results_promise import DeliveryHours, parse_delivery_hours

_SQL = "SELECT value FROM setting WHERE key = ?"


def replicated_value(conn: Connection, key: str) -> Any:
    """The JSON value of ``setting`` row ``key`` (None: never received, or unreadable)."""
    row = conn.exec_driver_sql(_SQL, (key,)).first()
    value = row[0] if row is not None else None
    if isinstance(value, str):  # JSON text; the column's affinity already turned "3" into 3
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def day_count(value: Any, *, low: int, high: int | None = None) -> int | None:
    """``value`` when it is a whole number of days in ``low..high`` (a bool is not), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        return None
    return value if high is None or value <= high else None


HUNDRED = Decimal(100)


def percentage(value: Any) -> Decimal | None:
    """``value`` as a percentage in ``0..100`` with at most 2 decimals, else None.

    The hub sends percentages as JSON text (``"12.5"``); a whole number is taken too. A bool,
    a float (binary: ``12.3`` is not 12.3), a non-number, NaN or infinity, more than 2 decimals
    or a value outside 0..100 is refused."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        pct = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        return None
    if not pct.is_finite() or not 0 <= pct <= HUNDRED or pct != pct.quantize(Decimal("0.01")):
        return None
    return pct


def amount(value: Any) -> Decimal | None:
    """``value`` as a money amount above 0 (soles), else None.

    The hub sends amounts as JSON text (``"50000.00"``, ``domain.money.parse_amount``'s wire
    format: at most 2 decimals and 9 digits); a whole number is taken too. A bool, a float, a
    non-number, zero or a negative amount is refused."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        parsed = parse_amount(value)
    except InvalidInput:
        return None
    return parsed if parsed > 0 else None


def delivery_hours(value: Any) -> DeliveryHours | None:
    """``value`` as results delivery hours (``domain.results_promise.parse_delivery_hours``:
    one "HH:MM-HH:MM" per weekday, "" closed, at least one day open), else None."""
    try:
        return parse_delivery_hours(value)
    except InvalidInput:
        return None
