"""One set-based upsert of a pushed batch's edge-owned records into ``sync_record``.

The whole batch travels as one JSON parameter and lands in one ``INSERT ... SELECT FROM
jsonb_to_recordset(...) ON CONFLICT DO UPDATE`` statement: one round trip, and, above all, one
firing of the statement-level triggers that maintain the report summaries
(``central.reports.projections``) per batch. An ``executemany`` of a single-row upsert (what
this replaces) is pipelined by psycopg but is still one statement per row for PostgreSQL, so
every row paid the full set of statement triggers (about 20 statements) on its own.

The ``late`` flag (the row's sede and day were already reconciled) is computed in the same
statement. A statement may not update the same row twice, so the caller passes each
(record_type, id) once (the latest image of the batch).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

# Columns carried per row; node, epoch and reception time are the same for the whole batch.
_ROW_COLS = (
    ("record_type", "text"),
    ("id", "text"),
    ("sede_id", "text"),
    ("business_date", "text"),
    ("hlc", "text"),
    ("op", "text"),
    ("payload", "jsonb"),
    ("seq", "bigint"),
    ("tx_id", "text"),
)
_REPLACED = (
    "sede_id",
    "business_date",
    "hlc",
    "op",
    "payload",
    "node_id",
    "epoch",
    "seq",
    "tx_id",
    "received_at",
)
_NAMES = [n for n, _ in _ROW_COLS]
# A row is late when its (sede, day) was already reconciled (the view of migration 0002).
_LATE = (
    "EXISTS (SELECT 1 FROM reconciliation_closure c WHERE c.sede_id::text = r.sede_id "
    "AND c.business_date::text = r.business_date)"
)


def upsert_sql(table: str = "sync_record", *, closures: bool = True) -> str:
    """The statement; ``closures=False`` when the closure view is absent (nothing is late)."""
    return (
        f"INSERT INTO {table} AS t ({', '.join(_NAMES)}, late, node_id, epoch, received_at) "
        f"SELECT {', '.join('r.' + n for n in _NAMES)}, {_LATE if closures else 'FALSE'}, "
        ":node_id, :epoch, :received_at "
        "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
        f"AS r({', '.join(f'{n} {t}' for n, t in _ROW_COLS)}) "
        "ON CONFLICT (record_type, id) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in _REPLACED)
        + ", late = t.late OR EXCLUDED.late"
    )


_UPSERT = {flag: text(upsert_sql(closures=flag)) for flag in (True, False)}
_HAS_CLOSURES: set[str] = set()


def has_closures(conn: Connection) -> bool:
    """Whether the database has the closure view (remembered per database once seen: the view
    is created by a migration and never dropped while the hub runs)."""
    key = conn.engine.url.render_as_string(hide_password=True)
    if key in _HAS_CLOSURES:
        return True
    if conn.execute(text("SELECT to_regclass('reconciliation_closure')")).scalar() is None:
        return False
    _HAS_CLOSURES.add(key)
    return True


def upsert_records(
    conn: Connection,
    rows: Sequence[dict[str, Any]],
    *,
    node_id: str,
    epoch: int,
    received_at: dt.datetime,
) -> None:
    """Upsert ``rows`` (dicts with the keys of ``_ROW_COLS``, unique by (record_type, id)),
    flagging ``late`` the rows of a (sede, day) that already has a reconciled closure."""
    if not rows:
        return
    doc = json.dumps([{n: r[n] for n in _NAMES} for r in rows], separators=(",", ":"))
    conn.execute(
        _UPSERT[has_closures(conn)],
        {"rows": doc, "node_id": node_id, "epoch": epoch, "received_at": received_at},
    )


def foreign_ids(
    conn: Connection, sede_id: str, keys: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Those ``(record_type, id)`` of ``keys`` the hub already holds for a sede other than
    ``sede_id``. A node may only rewrite its own sede's records, whatever sede its payload
    claims: ids are born at the owning edge, so such a clash is a forged or broken push and the
    upsert (which would move the record to the pushing sede) must not see it."""
    if not keys:
        return []
    types, ids = zip(*keys, strict=True)
    found = conn.execute(
        text(
            "SELECT s.record_type, s.id FROM sync_record s "
            "JOIN unnest(CAST(:t AS text[]), CAST(:i AS text[])) AS k(record_type, id) "
            "ON s.record_type = k.record_type AND s.id = k.id "
            "WHERE s.sede_id <> :s"
        ),
        {"t": list(types), "i": list(ids), "s": sede_id},
    )
    return [(str(t), str(i)) for t, i in found]
