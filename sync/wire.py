"""Row images as they travel between edge and hub: money in céntimos, timestamps ISO UTC."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect

from sync.sqltypes import Cents


def to_wire(value: Any, column_type: Any = None) -> Any:
    """A column value as it travels: money in céntimos, timestamps ISO UTC, dates ISO."""
    if value is None:
        return None
    if isinstance(column_type, Cents) or (isinstance(value, Decimal) and column_type is None):
        return int(value * 100)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def row_image(obj: Any) -> dict[str, Any]:
    """Full row image of an ORM instance, keyed by column name, in wire form."""
    mapper = inspect(obj).mapper
    image: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        col = attr.columns[0]
        image[col.name] = to_wire(getattr(obj, attr.key), col.type)
    return image
