"""Read-only, guarded access to the billing tables for cash summaries and the day seal.

The invoicing issue owns those tables; cash only counts and lists them. Until they exist (or
if a column is named differently) these helpers return ``None`` / empty lists instead of
failing, and the figures say ``"available": false``. The table is reflected, so no import of
``edge.billing`` models is needed; once per engine: a table reflected anew at every call is a
new ``Table``, so every statement built on it missed SQLAlchemy's compiled cache and added an
entry holding that ``Table`` and the call's bound values (the ids of every order of the cash
session), up to the cache's 500 entries (bench/bench_soak.py: the edge API grew by about 1 MB
at every cash egreso, which computes the session's figures).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, inspect, select
from sqlalchemy.orm import Session

INVOICE_TABLE = "invoice"
_TYPE_COLUMNS = ("doc_type", "document_type", "type_code", "tipo")
_STATE_COLUMNS = ("sunat_status", "status", "state")
_TOTAL_COLUMNS = ("total", "total_amount", "total_cents")
CREDIT_NOTE = "07"


#: The invoice table of each engine, reflected once (an absent table is looked for again).
_reflected: weakref.WeakKeyDictionary[Engine, Table] = weakref.WeakKeyDictionary()


def _table(session: Session) -> Table | None:
    conn = session.connection()
    table = _reflected.get(conn.engine)
    if table is not None:
        return table
    if not inspect(conn).has_table(INVOICE_TABLE):
        return None
    table = Table(INVOICE_TABLE, MetaData(), autoload_with=conn)
    # Two threads may both reflect it on a first call; either Table serves.
    _reflected[conn.engine] = table
    return table


def _pick(table: Table, names: Iterable[str]) -> Column[Any] | None:
    for name in names:
        if name in table.c:
            return table.c[name]
    return None


def _cents(value: Any) -> int:
    """Money columns are stored as integer céntimos (``Cents``)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def day_figures(session: Session, *, sede_id: str, day: dt.date) -> dict[str, Any]:
    """Count and sums of the day's invoices per type and per state (guarded)."""
    table = _table(session)
    if table is None or "business_date" not in table.c:
        return {"available": False}
    type_col = _pick(table, _TYPE_COLUMNS)
    state_col = _pick(table, _STATE_COLUMNS)
    total_col = _pick(table, _TOTAL_COLUMNS)
    where = [table.c.business_date == day]
    if "sede_id" in table.c:
        where.append(table.c.sede_id == sede_id)
    cols = [c for c in (type_col, state_col, total_col) if c is not None]
    rows = session.execute(select(*cols).where(*where)).all() if cols else []
    by_type: dict[str, dict[str, int]] = {}
    by_state: dict[str, dict[str, int]] = {}
    total = 0
    count = 0
    for row in rows:
        values = dict(zip([c.name for c in cols], row, strict=True))
        cents = _cents(values.get(total_col.name)) if total_col is not None else 0
        count += 1
        total += cents
        for bucket, col in ((by_type, type_col), (by_state, state_col)):
            if col is None:
                continue
            key = str(values.get(col.name) or "")
            slot = bucket.setdefault(key, {"count": 0, "total_cents": 0})
            slot["count"] += 1
            slot["total_cents"] += cents
    if not cols:  # the table exists but has none of the expected columns: count rows only
        count = len(
            session.execute(select(table.c[next(iter(table.c.keys()))]).where(*where)).all()
        )
    return {
        "available": True,
        "count": count,
        "total_cents": total,
        "by_type": dict(sorted(by_type.items())),
        "by_state": dict(sorted(by_state.items())),
    }


def credit_notes_for_orders(session: Session, *, order_ids: list[str]) -> list[dict[str, Any]]:
    """Credit notes (type 07) of the given orders, as plain dicts (guarded)."""
    table = _table(session)
    type_col = _pick(table, _TYPE_COLUMNS) if table is not None else None
    if table is None or type_col is None or "order_id" not in table.c or not order_ids:
        return []
    total_col = _pick(table, _TOTAL_COLUMNS)
    rows = session.execute(
        select(table).where(type_col == CREDIT_NOTE, table.c.order_id.in_(order_ids))
    ).mappings()
    notes: list[dict[str, Any]] = []
    for row in rows:
        series = row.get("series", "")
        number = row.get("number", row.get("correlative", ""))
        notes.append(
            {
                "id": str(row.get("id", "")),
                "order_id": str(row["order_id"]),
                "document": f"{series}-{number}" if series else str(number),
                "total_cents": _cents(row[total_col.name]) if total_col is not None else 0,
            }
        )
    return notes
