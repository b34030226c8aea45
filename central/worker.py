"""``labred hub worker``: the hub's scheduled jobs in one process (APScheduler).

- ``reconciliation`` (every minute): reconciles today once past the configured
  ``reconciliation_hour`` (America/Lima; setting, default 23:30), yesterday until every active
  sede has a closure, recent pending or reopened closures, and closed days that received late
  rows (:func:`central.reconciliation.service.due_runs`); re-running is idempotent.
- ``notifications`` (every 5 s): queued events become notifications, due ones are sent.
- ``scheduled_prices`` (hourly): catalog prices whose date has come are applied.
- ``backup`` (every 10 min): the day's scheduled ``pg_dump`` once past 02:30 (Lima), keeping
  the dumps of the last ``retention_backup_days`` days (setting, default 30).
- ``sync.feed_retention`` (daily): change-feed rows past the retention are compacted (a node
  whose cursor is older gets a snapshot).
- ``housekeeping`` (daily): audit, the sedes' audit copies, expired sign-ins and throttle rows
  past their retention are deleted (:mod:`central.housekeeping`).

Each round runs in its own unit of work; a failing round is logged and retried next time.
"""

from __future__ import annotations

import datetime
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from central.db import unit_of_work
from central.housekeeping import housekeeping_round
from central.notifications.adapters import Channels
from central.runtime import HubRuntime
from central.sync.pull import retention_round

log = logging.getLogger("labred.hub.worker")


def reconciliation_round(rt: HubRuntime) -> int:
    """Run every due reconciliation; returns how many closures were (re)computed."""
    from central.config.settings import current_settings
    from central.reconciliation import service

    with unit_of_work(rt.engine) as session:
        hour = str(current_settings(session=session).get("reconciliation_hour") or "23:59")
        due = service.due_runs(session=session, clock=rt.clock, hour=hour)
    done = 0
    for day, sede_ids in due.items():
        with unit_of_work(rt.engine) as session:
            done += len(service.execute(session=session, clock=rt.clock, day=day,
                                        sede_ids=sede_ids))  # fmt: skip
    return done


def notifications_round(rt: HubRuntime, channels: Channels, backoff: float = 30.0) -> int:
    from central.notifications import dispatch

    with unit_of_work(rt.engine) as session:
        dispatch.process_events(session=session, now=rt.clock.now())
    with unit_of_work(rt.engine) as session:
        counts = dispatch.send_due(session=session, now=rt.clock.now(), channels=channels,
                                   backoff=backoff)  # fmt: skip
    return sum(counts.values())


def prices_round(rt: HubRuntime) -> int:
    from central.catalog.prices import apply_scheduled_prices

    with unit_of_work(rt.engine) as session:
        return apply_scheduled_prices(session=session, clock=rt.clock)


def backup_round(rt: HubRuntime) -> int:
    """Take today's scheduled pg_dump once 02:30 (America/Lima, ``BACKUP_HOUR``) has passed.

    Returns 1 when a backup was taken, 0 otherwise. Retention is applied by the backup itself:
    the dumps older than the ``retention_backup_days`` setting go, never the newest one.
    """
    from sqlmodel import select

    from central.backup import service as backup_service
    from central.backup.models import BackupLog
    from central.config.settings import backup_retention_days
    from domain.clock import LIMA, business_date, day_bounds

    now = rt.clock.now()
    local = now.astimezone(LIMA)
    if (local.hour, local.minute) < backup_service.BACKUP_HOUR:
        return 0
    with unit_of_work(rt.engine) as session:
        days = backup_retention_days(session=session)
        start, end = day_bounds(business_date(now))
        taken = session.exec(
            select(BackupLog).where(
                BackupLog.kind == "scheduled",
                BackupLog.status == "ok",
                BackupLog.started_at >= start,  # type: ignore[operator]
                BackupLog.started_at < end,  # type: ignore[operator]
            )
        ).first()
        if taken is not None:
            return 0
        backup_service.create_backup(
            session, clock=rt.clock, url=rt.url, directory=backup_service.backup_dir(
                rt.settings.data_dir), keep=None, retention_days=days, kind="scheduled",
            embedded=rt.embedded is not None,
        )  # fmt: skip
    return 1


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: Callable[[], object]
    seconds: float


def jobs_for(rt: HubRuntime, channels: Channels, backoff: float = 30.0) -> list[JobSpec]:
    return [
        JobSpec("reconciliation", lambda: reconciliation_round(rt), 60),
        JobSpec("notifications", lambda: notifications_round(rt, channels, backoff), 5),
        JobSpec("scheduled_prices", lambda: prices_round(rt), 3600),
        JobSpec("backup", lambda: backup_round(rt), 600),
        JobSpec("sync.feed_retention", lambda: retention_round(rt), 86400),
        JobSpec("housekeeping", lambda: housekeeping_round(rt), 86400),
    ]


def _guarded(spec: JobSpec) -> Callable[[], None]:
    def run() -> None:
        try:
            spec.fn()
        except Exception:  # noqa: BLE001 - a failing round must not stop the worker
            log.exception("job failed", extra={"job": spec.name})

    return run


def run_worker(
    rt: HubRuntime, *, channels: Channels | None = None, stop: threading.Event | None = None
) -> None:
    """Run every job until SIGTERM/SIGINT (or ``stop`` is set)."""
    from central.notifications.settings import channels_from, load

    settings = load(rt.settings.data_dir)
    channels = channels or channels_from(settings)
    stop = stop or threading.Event()
    scheduler = BackgroundScheduler(timezone="UTC")
    specs = jobs_for(rt, channels, settings.backoff_seconds)
    for spec in specs:
        scheduler.add_job(
            _guarded(spec), "interval", seconds=spec.seconds, id=spec.name,
            max_instances=1, coalesce=True, misfire_grace_time=None,
        )  # fmt: skip
    if threading.current_thread() is threading.main_thread():

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    scheduler.start()
    log.info("hub worker started", extra={"jobs": [s.name for s in specs]})
    now = datetime.datetime.now(datetime.UTC)
    for spec in specs:
        scheduler.get_job(spec.name).modify(next_run_time=now)
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        log.info("hub worker stopped")
