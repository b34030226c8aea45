"""Foreign-key check of a pulled page before it commits.

Pages are applied with ``PRAGMA defer_foreign_keys = ON`` (a page may hold a child before its
parent), so SQLite only refuses a dangling reference at COMMIT, and then the whole page fails and
is retried forever: one record the node can never satisfy would stall the pull. So the writers of
a page note what they wrote in a :class:`Trace` (the rows each record upserted or re-pointed, the
parent keys each record removed), and :func:`violations` asks SQLite, for exactly those rows,
which references have no parent, naming the record responsible. The page is then applied again
without those records, which are parked (:mod:`edge.sync.parking`) and retried at every pull: a
later arrival of the parent lets them apply.

The checks are targeted queries on the page's own rows (an ``IN`` list on the child's key and an
index lookup of the parent), so their cost follows the page, not the mirror: ``PRAGMA
foreign_key_check(<table>)`` scans the whole table (60-220 ms for 200,000 orders, 4-10 ms for a
mirror of 100,000 rows, against 0.8-2.5 ms for a page of 1,000 rows this way; figures of
``bench/bench_pull_fk_check.py`` on a loaded 2-core machine). A page that touched no table
with a foreign key, and removed no row some table references, costs one statement (the foreign
keys, read from the database itself with ``pragma_foreign_key_list``: about 0.1 ms).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from domain.errors import RuleViolation
from sync.protocol import FeedChange

MISSING_PARENT = "fk_missing_parent"
STILL_REFERENCED = "fk_parent_referenced"
_CHUNK = 500


@dataclass(frozen=True)
class ForeignKey:
    child: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]


@dataclass
class Graph:
    outgoing: dict[str, list[ForeignKey]] = field(default_factory=dict)  # child -> its FKs
    incoming: dict[str, list[ForeignKey]] = field(default_factory=dict)  # parent -> FKs to it


@dataclass(frozen=True)
class Violation:
    """A record of the page that leaves a reference without its parent."""

    change: FeedChange
    code: str
    message: str

    def error(self) -> RuleViolation:
        return RuleViolation(self.message, code=self.code)


class Trace:
    """What the writers of one attempt changed, by the record that changed it."""

    def __init__(self) -> None:
        self.written: dict[str, dict[str, FeedChange]] = {}  # table -> row id -> record
        self.removed: dict[str, dict[str, FeedChange]] = {}  # table -> id removed -> record

    def wrote(self, table: str, row_ids: Iterable[str], change: FeedChange) -> None:
        rows = self.written.setdefault(table, {})
        for rid in row_ids:
            rows[str(rid)] = change

    def remove(self, table: str, row_ids: Iterable[str], change: FeedChange) -> None:
        rows = self.removed.setdefault(table, {})
        for rid in row_ids:
            rows[str(rid)] = change

    def merge(self, other: Trace) -> None:
        for table, rows in other.written.items():
            self.written.setdefault(table, {}).update(rows)
        for table, rows in other.removed.items():
            self.removed.setdefault(table, {}).update(rows)

    def __bool__(self) -> bool:
        return bool(self.written or self.removed)


_FOREIGN_KEYS = (
    'SELECT m.name, f.id, f.seq, f."table", f."from", f."to" '
    "FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f "
    "WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq"
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def graph(conn: Connection) -> Graph:
    """The database's foreign keys, read from SQLite itself in one statement (about 0.1 ms for
    the edge's schema; read at every check, so never stale)."""
    groups: dict[tuple[str, int], list[Any]] = {}
    for row in conn.exec_driver_sql(_FOREIGN_KEYS):
        groups.setdefault((str(row[0]), int(row[1])), []).append(row)
    result = Graph()
    for (table, _id), rows in groups.items():
        parent = str(rows[0][3])
        targets = tuple(str(r[5]) if r[5] is not None else "" for r in rows)
        if not all(targets):  # REFERENCES parent (no columns): the parent's primary key
            pk = conn.exec_driver_sql(f"PRAGMA table_info({_q(parent)})").all()
            targets = tuple(str(r[1]) for r in sorted(pk, key=lambda r: int(r[5])) if r[5])
        fk = ForeignKey(table, tuple(str(r[4]) for r in rows), parent, targets)
        result.outgoing.setdefault(table, []).append(fk)
        result.incoming.setdefault(parent, []).append(fk)
    return result


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _dangling(conn: Connection, fk: ForeignKey, ids: list[str]) -> list[tuple[str, Any]]:
    """``(row id, reference)`` of the rows ``ids`` of ``fk.child`` whose parent is missing."""
    c = [f"c.{_q(col)}" for col in fk.columns]
    match = " AND ".join(
        f"p.{_q(pcol)} = {ccol}" for pcol, ccol in zip(fk.parent_columns, c, strict=True)
    )
    not_null = " AND ".join(f"{ccol} IS NOT NULL" for ccol in c)
    found: list[tuple[str, Any]] = []
    for chunk in _chunks(ids):
        marks = ", ".join("?" for _ in chunk)
        sql = (
            f"SELECT c.id, {', '.join(c)} FROM {_q(fk.child)} AS c "
            f"WHERE c.id IN ({marks}) AND {not_null} "
            f"AND NOT EXISTS (SELECT 1 FROM {_q(fk.parent)} AS p WHERE {match})"
        )
        for row in conn.exec_driver_sql(sql, tuple(chunk)):
            ref = row[1] if len(row) == 2 else tuple(row[1:])
            found.append((str(row[0]), ref))
    return found


def _orphaned(conn: Connection, fk: ForeignKey, keys: list[str]) -> list[str]:
    """The removed parent keys ``keys`` some row of ``fk.child`` still references."""
    col, pcol = _q(fk.columns[0]), _q(fk.parent_columns[0])
    found: list[str] = []
    for chunk in _chunks(keys):
        marks = ", ".join("?" for _ in chunk)
        sql = (
            f"SELECT DISTINCT c.{col} FROM {_q(fk.child)} AS c WHERE c.{col} IN ({marks}) "
            f"AND NOT EXISTS (SELECT 1 FROM {_q(fk.parent)} AS p WHERE p.{pcol} = c.{col})"
        )
        found.extend(str(r[0]) for r in conn.exec_driver_sql(sql, tuple(chunk)))
    return found


def _missing_parent(fk: ForeignKey, ref: Any) -> str:
    cols = ", ".join(fk.columns)
    return (
        f"Falta el registro padre {fk.parent} {ref} (lo referencia {fk.child}.{cols}); "
        "se aplicará cuando llegue a este nodo."
    )[:500]


def _still_referenced(fk: ForeignKey, key: str) -> str:
    return (
        f"Quitaría {fk.parent} {key}, que aún usan registros de {fk.child} "
        f"({', '.join(fk.columns)}) en este nodo; se reintentará en cada sincronización."
    )[:500]


def violations(conn: Connection, trace: Trace) -> list[Violation]:
    """The records of ``trace`` that leave a foreign key without its parent (one violation per
    record, in feed order). Run inside the page's transaction, after its writes."""
    if not trace:
        return []
    fks = graph(conn)
    found: dict[tuple[str, str], Violation] = {}

    def note(change: FeedChange, code: str, message: str) -> None:
        found.setdefault((change.record_type, change.record_id), Violation(change, code, message))

    for table, rows in trace.written.items():
        for fk in fks.outgoing.get(table, []):
            for row_id, ref in _dangling(conn, fk, sorted(rows)):
                note(rows[row_id], MISSING_PARENT, _missing_parent(fk, ref))
    for table, removed in trace.removed.items():
        for fk in fks.incoming.get(table, []):
            if len(fk.columns) != 1 or fk.parent_columns != ("id",):
                continue  # the page removes rows by id: other keys are not traced
            for key in _orphaned(conn, fk, sorted(removed)):
                note(removed[key], STILL_REFERENCED, _still_referenced(fk, key))
    return sorted(found.values(), key=lambda v: v.change.cursor)


def referenced(conn: Connection, table: str, ids: list[str]) -> set[str]:
    """Of the rows ``ids`` of ``table``, those some row of another table references by id."""
    held: set[str] = set()
    for fk in graph(conn).incoming.get(table, []):
        if len(fk.columns) != 1 or fk.parent_columns != ("id",):
            continue
        col = _q(fk.columns[0])
        for chunk in _chunks(ids):
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT DISTINCT {col} FROM {_q(fk.child)} WHERE {col} IN ({marks})"
            held.update(str(r[0]) for r in conn.exec_driver_sql(sql, tuple(chunk)))
    return held
