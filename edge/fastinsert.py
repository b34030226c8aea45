"""The sale's new rows inserted with one driver statement per table, then handed to the ORM.

A sale writes a dozen new rows — the order, its items, payments and first status event, its
samples, its document with lines and XML, its laboratory job — and SQLAlchemy's unit of work
spent more time on their bookkeeping (collecting parameters object by object, sorting, state
changes) than SQLite spent storing them. Models that set ``__fast_insert__ = True`` skip that:
:func:`insert_new`, called by :meth:`edge.db.EdgeSession.flush` before the ORM's own flush,
inserts their pending new instances with a prebuilt ``INSERT`` per table (``executemany``, the
column types' own bind processors: the stored values are the ones the ORM would store) and
then makes each instance persistent as the ORM's flush does at its end (``Session.
_register_persistent``: identity key, identity map, committed state, and the transaction's list
of new rows, so a rollback expunges them as it expunges rows the ORM inserted; through the
public API — expunge, mark detached, add — if that method is ever missing): from then on the
ORM tracks them as if it had inserted them, so later changes flush as ``UPDATE``\\ s.

The flush listeners run first, once, while those instances are still new (``after_flush``:
the outbox image, the order hooks' change detection, ``edge.orders.fresh``), exactly as a flush
would run them; they may run again for the same transaction when the ORM flushes what is left,
so they must be idempotent (they are: sets, and outbox images kept per record).

Nothing is inserted here — the ORM's flush does it all, in its own order — when any pending
new instance is not eligible (its class does not opt in, has relationships, more than one table
or a computed column; a column is missing from its ``__dict__``; its primary key is not set; a
column with a default holds None, which the ORM would leave to the default), or when an
instance is pending deletion (a row inserted here must never need a parent the ORM has not
inserted yet), or inside a savepoint (the ORM expunges what a rolled-back savepoint inserted;
it does not know these). Tables are inserted parents first (foreign keys,
``MetaData.sorted_tables``); rows of one table in the order they were added (a panel's item
before its tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Plan:
    rank: int  # the table's place among the tables, parents first
    sql: str
    columns: list[tuple[str, Processor]]  # attribute key and bind processor, per column
    keys_with_default: frozenset[str]
    pk_keys: tuple[str, ...]


_plans: dict[tuple[type, str], _Plan | None] = {}
_REGISTER = "_register_persistent"  # the end of SQLAlchemy's flush (private; checked at use)


def _rank(table: Table) -> int:
    return [t.name for t in table.metadata.sorted_tables].index(table.name)


def _build(cls: type, dialect: Dialect) -> _Plan | None:
    if not getattr(cls, "__fast_insert__", False):
        return None
    mapper: Mapper[Any] = inspect(cls)
    if mapper.relationships or len(mapper.tables) != 1 or mapper.version_id_col is not None:
        return None
    table = mapper.local_table
    assert isinstance(table, Table)
    if any(c.computed is not None for c in table.columns):
        return None
    columns: list[tuple[str, Processor]] = []
    with_default: set[str] = set()
    for column in table.columns:
        key = mapper.get_property_by_column(column).key
        columns.append((key, column.type.bind_processor(dialect)))
        if column.default is not None or column.server_default is not None:
            with_default.add(key)
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    marks = ", ".join("?" for _ in table.columns)
    pk_keys = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
    return _Plan(
        _rank(table),
        f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
        columns,
        frozenset(with_default),
        pk_keys,
    )


def _plan(cls: type, dialect: Dialect) -> _Plan | None:
    key = (cls, dialect.name)
    if key not in _plans:
        _plans[key] = _build(cls, dialect)
    return _plans[key]


def _row(plan: _Plan, values: dict[str, Any]) -> tuple[Any, ...] | None:
    """The parameters of one instance, or None when it must take the ORM's path."""
    row: list[Any] = []
    for key, process in plan.columns:
        if key not in values:
            return None
        value = values[key]
        if value is None and (key in plan.keys_with_default or key in plan.pk_keys):
            return None
        row.append(process(value) if process is not None else value)
    return tuple(row)


def insert_new(session: Session) -> None:
    """Insert the pending new instances of ``__fast_insert__`` models and make them persistent
    (the rest of the session is left to the ORM's flush)."""
    pending = session.new
    if not pending or session.deleted or session.in_nested_transaction():
        return  # a savepoint's rollback must find the rows it inserted: the ORM tracks those
    dialect = session.get_bind().dialect
    groups: dict[type, tuple[_Plan, list[Any], list[tuple[Any, ...]]]] = {}
    for obj in pending:
        plan = _plan(type(obj), dialect)
        row = None if plan is None else _row(plan, obj.__dict__)
        if plan is None or row is None:
            return  # one row for the ORM: it inserts them all, in its own order
        group = groups.get(type(obj))
        if group is None:
            group = groups[type(obj)] = (plan, [], [])
        group[1].append(obj)
        group[2].append(row)
    if not groups:
        return
    session.dispatch.after_flush(session, None)  # type: ignore[arg-type]
    conn = session.connection()
    for plan, _objs, rows in sorted(groups.values(), key=lambda g: g[0].rank):
        conn.exec_driver_sql(plan.sql, rows)
    inserted = [obj for group in groups.values() for obj in group[1]]
    register = getattr(session, _REGISTER, None)
    if register is not None:  # what the ORM's own flush ends with (SQLAlchemy 2.x)
        register({instance_state(obj) for obj in inserted})
        return
    for obj in inserted:  # the public way, if that method ever goes: same result, slower
        session.expunge(obj)
        make_transient_to_detached(obj)
        session.add(obj)


__all__ = ["insert_new"]
