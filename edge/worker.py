"""``labred edge worker``: the edge's background jobs in one process (APScheduler).

Each capability registers its jobs from its own module (listed in ``JOB_MODULES``) with
:func:`job`; a job body is a function of the runtime that does one bounded round of work in its
own units of work and returns. The scheduler never runs two instances of one job at once, and a
failing round is logged and retried at the next tick (a failure never stops the loop).

A full disk fails every job that writes, every round: that is logged once per job when it starts
and once when the job succeeds again (:data:`edge.diskspace.ALARM`), not every 2 s, and the
``disk.check`` job logs the disk's level (ok / bajo / lleno) when it changes. Nothing is marked
failed because of it: a rolled-back round leaves its work queued for the next one.
"""

from __future__ import annotations

import datetime
import importlib
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from edge import diskspace
from edge.runtime import EdgeRuntime
from edge.settings import EDGE_JOBS

log = logging.getLogger("labred.edge.worker")

JobFn = Callable[[EdgeRuntime], object]

# Modules that register jobs when imported; one line per capability.
JOB_MODULES: tuple[str, ...] = (
    "edge.billing.sender",
    "edge.billing.summaries",
    "edge.billing.copies",
    "edge.billing.missing_files",
    "edge.housekeeping",
    "edge.labsync.worker",
    "edge.sync.worker",
)


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: JobFn
    seconds: float


_REGISTRY: dict[str, JobSpec] = {}


def job(name: str, *, seconds: float) -> Callable[[JobFn], JobFn]:
    """Register ``fn(runtime)`` to run every ``seconds`` (unless the ``job_intervals`` setting
    names it: ``name`` must be one of ``edge.settings.EDGE_JOBS``)."""
    if name not in EDGE_JOBS:
        raise ValueError(f"job {name!r} is not in edge.settings.EDGE_JOBS")

    def decorator(fn: JobFn) -> JobFn:
        _REGISTRY[name] = JobSpec(name=name, fn=fn, seconds=seconds)
        return fn

    return decorator


def registered_jobs() -> dict[str, JobSpec]:
    for module in JOB_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)


def _guarded(spec: JobSpec, rt: EdgeRuntime) -> Callable[[], None]:
    def run() -> None:
        try:
            spec.fn(rt)
        except Exception as exc:  # noqa: BLE001 - a failing round must not stop the worker
            if diskspace.is_disk_full(exc):  # once per job until it works again
                diskspace.ALARM.raised(spec.name, exc, job=spec.name)
            else:
                log.exception("job failed", extra={"job": spec.name})
        else:
            diskspace.ALARM.cleared(spec.name)

    return run


_DISK = diskspace.LevelWatch()


@job("disk.check", seconds=30)
def disk_check(rt: EdgeRuntime) -> diskspace.DiskSpace:
    """Log the data directory's free-space level when it changes (ok / bajo / lleno)."""
    space = diskspace.measure_settings(rt.settings)
    _DISK.update(space)
    return space


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def effective_intervals(rt: EdgeRuntime) -> dict[str, float]:
    """Seconds between two rounds of each registered job, by name: the ``job_intervals``
    setting's where it names the job, else the job's own."""
    overrides = rt.settings.job_intervals
    jobs = registered_jobs()
    return {name: float(overrides.get(name, jobs[name].seconds)) for name in sorted(jobs)}


def run_worker(rt: EdgeRuntime, *, stop: threading.Event | None = None) -> None:
    """Run every registered job until SIGTERM/SIGINT (or ``stop`` is set)."""
    stop = stop or threading.Event()
    scheduler = BackgroundScheduler(timezone="UTC")
    jobs = registered_jobs()
    intervals = effective_intervals(rt)
    for spec in jobs.values():
        scheduler.add_job(
            _guarded(spec, rt),
            "interval",
            seconds=intervals[spec.name],
            id=spec.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
    if threading.current_thread() is threading.main_thread():

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    scheduler.start()
    log.info(  # each job's interval in seconds, and which ones the setting changed
        "worker started",
        extra={"jobs": intervals, "overridden": sorted(rt.settings.job_intervals)},
    )
    for spec in jobs.values():  # a first round right away, then every interval
        scheduler.get_job(spec.name).modify(next_run_time=_now())
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        log.info("worker stopped")
