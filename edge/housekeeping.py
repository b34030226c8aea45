"""Edge housekeeping: what grows forever at a sede, pruned once a day.

The worker's ``housekeeping`` job (daily) and ``labred edge housekeeping`` (a technician, now)
run :func:`run`. Each rule deletes in batches of at most ``batch_rows`` rows, one short unit of
work (writer lock + ``BEGIN IMMEDIATE``) per batch, so a sale waits at most one batch.

| table | rule |
|---|---|
| ``audit_event``, ``access_log`` | created more than ``retention_audit_days`` ago (the hub's
  replicated ``setting``; 365 days until one arrives, DESIGN.md section 6). Core deletes: no
  outbox rows (the hub keeps and purges its own copy) |
| ``sync_outbox`` | acknowledged by the hub (``seq <= acked_seq``) and written more than
  ``retention_backup_days + 2`` days ago (32 until the setting arrives): a hub restored from
  its oldest kept dump still gets every row back; one asking for older rows is told so
  (:class:`sync.outbox.OutboxPruned`) |
| ``refresh_token`` | every token of the sign-in expired more than a day ago (nothing of it
  can be used or reused any more) |
| ``login_throttle`` | no failure for a day and not locked |
| ``order_request_key`` | ``Idempotency-Key`` of a sale older than 7 days (a retry comes within
  seconds; after a week the key only costs space) |

Never pruned: clinical, fiscal and money records, the parked / deferred / rejected sync rows
(they wait for a person) and the hub's mirrors (README "What grows and what is pruned").
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    delete,
    func,
    literal_column,
    or_,
    select,
)

from domain.clock import Clock
from edge.audit import service as audit_service
from edge.auth.models import LoginThrottle, RefreshToken
from edge.config.replicated import day_count, replicated_value
from edge.db import EdgeSession, read_session, unit_of_work
from edge.orders.models import OrderRequestKey
from edge.runtime import EdgeRuntime
from edge.worker import job
from sync import outbox
from sync.prune_report import PruneReport

log = logging.getLogger("labred.edge.housekeeping")

BATCH_ROWS = 5000
DEFAULT_AUDIT_DAYS = 365
DEFAULT_BACKUP_DAYS = 30
OUTBOX_MARGIN_DAYS = 2
ORDER_KEY_DAYS = 7
TOKEN_GRACE = dt.timedelta(days=1)
THROTTLE_IDLE = dt.timedelta(days=1)

# Replicated ``setting`` keys read here (written by the hub, central/config/settings.py).
AUDIT_KEY = "retention_audit_days"
BACKUP_KEY = "retention_backup_days"


@dataclass(frozen=True)
class Windows:
    """How long each kind of row is kept, in days."""

    audit_days: int
    outbox_days: int
    order_key_days: int = ORDER_KEY_DAYS


@dataclass
class Report(PruneReport):
    """What one run deleted per table, its longest batch (the longest a sale waited) and the
    windows it applied."""

    windows: Windows | None = None


def windows(conn: Connection) -> Windows:
    """The retention windows from the replicated settings (defaults until the hub sends them)."""
    audit = day_count(replicated_value(conn, AUDIT_KEY), low=1)
    backup = day_count(replicated_value(conn, BACKUP_KEY), low=1)
    return Windows(
        audit_days=DEFAULT_AUDIT_DAYS if audit is None else audit,
        outbox_days=(DEFAULT_BACKUP_DAYS if backup is None else backup) + OUTBOX_MARGIN_DAYS,
    )


def _delete_some(conn: Connection, table: Table, where: ColumnElement[bool], limit: int) -> int:
    """Delete up to ``limit`` rows of ``table`` matching ``where`` (by rowid: any key works)."""
    rowid: ColumnElement[Any] = literal_column("rowid")
    doomed = select(rowid).select_from(table).where(where).limit(limit).scalar_subquery()
    result = conn.execute(delete(table).where(rowid.in_(doomed)))
    return int(result.rowcount or 0)


Step = Callable[[EdgeSession, int], dict[str, int]]


def _batched(engine: Engine, report: Report, step: Step, *, batch_rows: int) -> None:
    """Call ``step(session, batch_rows)`` (rows deleted per table), each call in its own unit
    of work, until no table had a full batch."""
    while True:
        started = time.perf_counter()
        with unit_of_work(engine) as session:
            counts = step(session, batch_rows)
        report.batch_took(time.perf_counter() - started)
        for name, n in counts.items():
            report.add(name, n)
        if max(counts.values(), default=0) < batch_rows:
            return


def _expired_families(now: dt.datetime) -> ColumnElement[bool]:
    """Refresh tokens of sign-ins whose every token expired before ``now - TOKEN_GRACE``."""
    table: Table = RefreshToken.__table__  # type: ignore[attr-defined]
    family = func.coalesce(table.c.family_id, table.c.id)
    dead = select(family).group_by(family).having(func.max(table.c.expires_at) < now - TOKEN_GRACE)
    return family.in_(dead.scalar_subquery())


def prune_outbox(
    engine: Engine, *, clock: Clock, days: int, batch_rows: int = BATCH_ROWS, report: Report
) -> None:
    """Delete acknowledged outbox rows written more than ``days`` ago, in batches."""
    with read_session(engine) as session:
        horizon = outbox.prune_horizon(
            session.connection(), older_than=clock.now() - dt.timedelta(days=days)
        )
    name = outbox.outbox.name
    if horizon <= 0:
        report.add(name, 0)
        return

    def step(session: EdgeSession, n: int) -> dict[str, int]:
        return {name: outbox.prune_acked(session.connection(), upto_seq=horizon, limit=n)}

    _batched(engine, report, step, batch_rows=batch_rows)


def run(engine: Engine, *, clock: Clock, batch_rows: int = BATCH_ROWS) -> Report:
    """Apply every rule (module docstring); returns rows deleted per table."""
    now = clock.now()
    with read_session(engine) as session:
        win = windows(session.connection())
    report = Report(windows=win)
    audit_cutoff = now - dt.timedelta(days=win.audit_days)

    def audit_step(session: EdgeSession, n: int) -> dict[str, int]:
        return audit_service.purge_before(session=session, cutoff=audit_cutoff, limit=n)

    _batched(engine, report, audit_step, batch_rows=batch_rows)
    prune_outbox(engine, clock=clock, days=win.outbox_days, batch_rows=batch_rows, report=report)
    tokens: Table = RefreshToken.__table__  # type: ignore[attr-defined]
    throttle: Table = LoginThrottle.__table__  # type: ignore[attr-defined]
    keys: Table = OrderRequestKey.__table__  # type: ignore[attr-defined]
    rules: list[tuple[Table, ColumnElement[bool]]] = [
        (tokens, _expired_families(now)),
        (
            throttle,
            and_(
                throttle.c.updated_at < now - THROTTLE_IDLE,
                or_(throttle.c.locked_until.is_(None), throttle.c.locked_until < now),
            ),
        ),
        (keys, keys.c.created_at < now - dt.timedelta(days=win.order_key_days)),
    ]
    for table, where in rules:

        def rule_step(
            session: EdgeSession, n: int, t: Table = table, w: ColumnElement[bool] = where
        ) -> dict[str, int]:
            return {t.name: _delete_some(session.connection(), t, w, n)}

        _batched(engine, report, rule_step, batch_rows=batch_rows)
    log.info(
        "housekeeping done",
        extra={"deleted": report.deleted, "longest_batch_s": round(report.longest_batch_s, 3)},
    )
    return report


@job("housekeeping", seconds=86400)
def housekeeping_job(rt: EdgeRuntime) -> Report:
    """The worker's daily round (and one right after the worker starts)."""
    return run(rt.engine, clock=rt.clock)
