"""Column types shared by both databases, so replicated payloads are identical on both sides.

- ``UTCDateTime``: timezone-aware UTC in, timezone-aware UTC out; refuses naive values
  (SQLite drops the zone; this re-attaches it on read).
- ``Cents``: money stored as integer céntimos, exposed as ``Decimal`` soles.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator, TypeEngine

from domain.money import from_cents, to_cents


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes only. Naive values raise ``ValueError`` at bind time."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: timestamps must be timezone-aware (UTC)")
        utc = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            # ISO-8601 text, lexically sortable, zone explicit.
            return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "+00:00"
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Cents(TypeDecorator[Decimal]):
    """``Decimal`` soles in Python, integer céntimos in the database."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("float money refused: use Decimal")
        return to_cents(Decimal(value))

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_cents(int(value))
