"""Row images as they travel between edge and hub: money in céntimos, timestamps ISO UTC."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Mapper

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


#: Values :func:`to_wire` returns as they are, outside a money column.
_AS_IS = frozenset({str, int, bool, float, dict, list, type(None)})

# Per mapped class: (column name, attribute key, column type, money column?), in mapper order.
_Columns = tuple[tuple[str, str, Any, bool], ...]
_columns: dict[type, _Columns] = {}


def _columns_of(cls: type) -> _Columns:
    found = _columns.get(cls)
    if found is None:
        mapper: Mapper[Any] = inspect(cls)
        found = tuple(
            (
                attr.columns[0].name,
                attr.key,
                attr.columns[0].type,
                isinstance(attr.columns[0].type, Cents),
            )
            for attr in mapper.column_attrs
        )
        _columns[cls] = found
    return found


def row_image(obj: Any) -> dict[str, Any]:
    """Full row image of an ORM instance, keyed by column name, in wire form.

    A loaded value is read from the instance's ``__dict__`` (what the attribute would return);
    an unloaded one through the attribute (which loads it). Runs for every replicated row a
    sale writes, so the mapper's columns are looked up once per class."""
    values = obj.__dict__
    image: dict[str, Any] = {}
    for name, key, col_type, money in _columns_of(type(obj)):
        value = values[key] if key in values else getattr(obj, key)
        image[name] = value if not money and type(value) in _AS_IS else to_wire(value, col_type)
    return image
