"""Reading the hub's settings replicated to this node (``setting`` rows, hub-owned).

One plain-SQL lookup by the unique index on ``setting.key``, with no cache: a change pulled from
the hub applies to the next read without a restart, and the lookup costs about a tenth of the
ORM query (it runs inside sales)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

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
