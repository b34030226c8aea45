"""Names of resúmenes diarios (RC) and comunicaciones de baja (RA): never one SUNAT has seen.

A name is ``RC-YYYYMMDD-N`` / ``RA-YYYYMMDD-N`` per RUC and *issue date* (the day the summary
is generated). Every sede names its own, offline: N = <sede number> × 100 + k, k in 1..99
(S01 → 101..199, S12 → 1201..1299), so two sedes never clash. SUNAT answers 2223 to a known
name with a different file, so a sede must never take the same k twice for a day — also after
its database is restored from an older copy, which forgets the day's later summaries.

The next k of a kind and day is one above the highest of:

1. the summaries this database holds (the highest correlative, not a count: k may have gaps);
2. the day's ``summary_floor``: when a node that already had a life re-enrols (a restore, see
   :func:`close_day`, called by :mod:`edge.sync.restore`), the rest of that day is closed —
   the floor is 99 — and its summaries are generated the next day;

and a candidate whose signed XML is already under the data directory is skipped (a restore that
kept the disk is covered even before the node re-enrols). When a day's 99 are used up the
summary waits for the next day (logged): a later name, never a reused one, never the next
sede's block.

Why close the day rather than jump by an offset or learn names from the hub: the names a
restore can have lost are those the dead copy sent and the hub never heard of (the sede was
offline), so no offset is provably large enough; but they all carry a date no later than the
restore, and a new day's names cannot have been used. Deferring one day is within SUNAT's
windows (a resumen diario may go up to the seventh day; an RA that would come late is replaced
by a nota de crédito, :mod:`edge.billing.voids`), and a restore is rare. It needs no hub endpoint
and no replicated state. The restore runbook re-enrols the node before it is started again: a
summary generated on the restored copy before that is protected only by the file check.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from domain.ids import sede_number
from domain.sunat.ubl import summary_filename
from edge.billing import files
from edge.billing.models import SummaryFloor, SunatSummary

log = logging.getLogger("labred.edge.billing")

#: Names per sede and day (k = 1..99; N = sede number × 100 + k).
BLOCK = 99


def _highest_local(conn: Connection, sede_id: str, base: int, kind: str, day: dt.date) -> int:
    table = SunatSummary.__table__  # type: ignore[attr-defined]
    top = conn.execute(
        select(func.max(table.c.correlative)).where(
            table.c.sede_id == sede_id, table.c.kind == kind, table.c.issue_date == day
        )
    ).scalar()
    return max(0, int(top) - base) if top else 0


def _floor(conn: Connection, day: dt.date) -> int:
    table = SummaryFloor.__table__  # type: ignore[attr-defined]
    value = conn.execute(select(table.c.floor).where(table.c.issue_date == day)).scalar()
    return int(value or 0)


def next_correlative(
    session: Session,
    *,
    sede_id: str,
    sede_code: str,
    kind: str,
    issue: dt.date,
    ruc: str,
    data_dir: Path,
) -> int | None:
    """The next N for a ``kind`` ("RC" / "RA") summary issued on ``issue``; None when the day
    has no safe name left (the summary waits for the next day)."""
    conn = session.connection()
    base = sede_number(sede_code) * 100
    k = max(_highest_local(conn, sede_id, base, kind, issue), _floor(conn, issue)) + 1
    while k <= BLOCK:
        stem = summary_filename(ruc, f"{kind}-{issue:%Y%m%d}-{base + k}")
        if not (data_dir / files.xml_relpath(issue, stem)).exists():
            return base + k
        log.warning("summary %s already on disk but not in the database: skipped", stem)
        k += 1
    log.warning("no %s name left for %s: the summary waits for the next day", kind, issue)
    return None


def close_day(conn: Connection, *, day: dt.date, now: dt.datetime) -> None:
    """No more summaries issued on ``day`` (the restore may have lost some of its names)."""
    table = SummaryFloor.__table__  # type: ignore[attr-defined]
    stmt = sqlite_insert(table).values(issue_date=day, floor=BLOCK, set_at=now)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.issue_date], set_={"floor": BLOCK, "set_at": now}
        )
    )


def had_summaries(conn: Connection) -> bool:
    table = SunatSummary.__table__  # type: ignore[attr-defined]
    return conn.execute(select(table.c.id).limit(1)).first() is not None


__all__ = ["BLOCK", "close_day", "had_summaries", "next_correlative"]
