"""Hub housekeeping: what grows forever at the hub, pruned once a day.

The hub worker's ``housekeeping`` job (daily) and ``labred hub housekeeping`` (a technician,
now) run :func:`run`. Each rule deletes in batches of at most ``batch_rows`` rows, one short
transaction per batch.

| table | rule |
|---|---|
| ``hub_audit_event`` | created more than ``retention_audit_days`` ago (setting, default 1825) |
| ``sync_record`` of ``audit_event`` / ``access_log`` | the hub's copy of the sedes' audit and
  Ley 29733 access log, whose business date is older than the same retention (edges purge
  their own copy without outbox rows) |
| ``refresh_token`` | every token of the sign-in expired more than a day ago |
| ``password_reset_token`` | expired (or used) more than a day ago |
| ``login_throttle`` | no failure for a day and not locked |

The change feed has its own daily job (``sync.feed_retention``, :mod:`central.sync.pull`).
Never pruned: the sedes' clinical, fiscal and money records, reconciliation, parked rows and
conflicts waiting for a person.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from central.config.settings import SETTING_DEFAULTS, days_setting
from central.db import unit_of_work
from central.runtime import HubRuntime
from domain.clock import Clock, business_date
from sync.prune_report import PruneReport

log = logging.getLogger("labred.hub.housekeeping")

BATCH_ROWS = 5000
DEFAULT_AUDIT_DAYS = int(SETTING_DEFAULTS["retention_audit_days"])
GRACE = dt.timedelta(days=1)
EDGE_AUDIT_TYPES = ("audit_event", "access_log")


@dataclass
class Report(PruneReport):
    """What one run deleted per table (``sync_record`` per record type) and the audit
    retention it applied."""

    audit_days: int = DEFAULT_AUDIT_DAYS


def _batched(
    engine: Engine, report: Report, name: str, table: str, where: str, params: dict[str, Any],
    *, batch_rows: int,
) -> None:  # fmt: skip
    """Delete the rows of ``table`` matching ``where``, ``batch_rows`` per transaction."""
    sql = text(
        f"DELETE FROM {table} WHERE ctid = ANY(ARRAY("  # noqa: S608 - fixed names, bound values
        f"SELECT ctid FROM {table} WHERE {where} LIMIT :lim))"
    )
    while True:
        started = time.perf_counter()
        with unit_of_work(engine) as session:
            n = int(session.connection().execute(sql, {**params, "lim": batch_rows}).rowcount or 0)
        report.batch_took(time.perf_counter() - started)
        report.add(name, n)
        if n < batch_rows:
            return


def run(engine: Engine, *, clock: Clock, batch_rows: int = BATCH_ROWS) -> Report:
    """Apply every rule (module docstring); returns rows deleted per table."""
    now = clock.now()
    with unit_of_work(engine) as session:
        days = days_setting(session=session, field="retention_audit_days")
    report = Report(audit_days=days)
    cutoff = now - dt.timedelta(days=days)
    grace = now - GRACE
    rules: list[tuple[str, str, str, dict[str, Any]]] = [
        ("hub_audit_event", "hub_audit_event", "created_at < :cutoff", {"cutoff": cutoff}),
    ]
    for rtype in EDGE_AUDIT_TYPES:
        rules.append(
            (
                f"sync_record ({rtype})",
                "sync_record",
                "record_type = :rtype AND business_date < :day",
                {"rtype": rtype, "day": business_date(cutoff).isoformat()},
            )
        )
    rules += [
        (
            "refresh_token",
            "refresh_token",
            "coalesce(family_id, id) IN (SELECT coalesce(family_id, id) FROM refresh_token "
            "GROUP BY 1 HAVING max(expires_at) < :grace)",
            {"grace": grace},
        ),
        (
            "password_reset_token",
            "password_reset_token",
            "expires_at < :grace OR used_at < :grace",
            {"grace": grace},
        ),
        (
            "login_throttle",
            "login_throttle",
            "updated_at < :grace AND (locked_until IS NULL OR locked_until < :now)",
            {"grace": grace, "now": now},
        ),
    ]
    for name, table, where, params in rules:
        _batched(engine, report, name, table, where, params, batch_rows=batch_rows)
    log.info(
        "housekeeping done",
        extra={"deleted": report.deleted, "longest_batch_s": round(report.longest_batch_s, 3)},
    )
    return report


def housekeeping_round(rt: HubRuntime) -> int:
    """The hub worker's daily ``housekeeping`` job body; returns rows deleted."""
    return run(rt.engine, clock=rt.clock).total
