"""Sync jobs of the edge worker: ``sync.push`` every second (a cheap check of the backlog, so a
write reaches the hub within about 2 s), ``sync.pull`` every 5 s (an idle node pulls too; it
compares the mirror digests only every ``sync_digest_interval_s`` of edge.toml; both intervals
are defaults, edge.toml's ``job_intervals`` may change them); every push and pull states the
node's disk to the hub (:func:`disk_report`). Both back off with jitter while the hub is
unreachable (one backoff for both: a failure of one is not tried again by the other) and stop on
a condition only a human can fix (revoked node, stale epoch, a restored database pushing reused
seqs) until the next enrolment. A refused *pull* (this node's schema too old or the hub's too
new) stops only the pull: sales keep being pushed."""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from functools import partial

from domain.errors import LabError
from edge import diskspace
from edge.runtime import EdgeRuntime
from edge.settings import EdgeSettings
from edge.sync import service
from edge.sync.enroll import load_credentials, make_client
from edge.worker import job
from sync.client import SyncClient
from sync.protocol import NodeDisk

log = logging.getLogger("labred.edge.sync")

_BLOCKING = {
    "stale_epoch",
    "node_revoked",
    "hub_ahead",
    "seq_reused",
    "node_credentials_invalid",
    "outbox_pruned",  # the hub asks for rows this node pruned (sync.outbox.OutboxPruned)
}
# The hub refuses only this node's *pulls* (its schema is too old, or the hub sent a newer one):
# pushes go on (the hub upcasts them; sales must reach it), the pull is retried every round and
# the status keeps showing why it is refused.
PULL_ONLY = service.PULL_ONLY_BLOCKS
PUSH_BATCHES = 50  # batches per push-job run (up to 25,000 rows; it runs every second)
PULL_PUSH = 4  # batches the pull job pushes before pulling (the push job drains the rest)


@dataclass
class _Loop:
    client: SyncClient | None = None
    creds_key: str = ""
    failures: int = 0
    next_attempt: float = 0.0
    blocked: str | None = None
    pull_refused: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOOPS: dict[int, _Loop] = {}


def disk_report(settings: EdgeSettings) -> NodeDisk:
    """The data directory's disk as every push and pull states it to the hub (its sync health
    page and alarms show a sede whose disk is ``bajo`` or ``lleno``)."""
    space = diskspace.measure_settings(settings)
    return NodeDisk(level=space.level, free_mb=space.free_mb)


def _loop(rt: EdgeRuntime) -> _Loop | None:
    creds = load_credentials(rt.settings.data_dir)
    if not creds:
        return None
    loop = _LOOPS.setdefault(id(rt), _Loop())
    key = f"{creds.get('hub_url')}|{creds.get('node_id')}|{creds.get('epoch')}"
    if loop.client is None or loop.creds_key != key:
        loop.client = make_client(str(creds["hub_url"]), creds, timeout=10.0, attempts=1)
        loop.client.disk_probe = partial(disk_report, rt.settings)
        loop.creds_key, loop.blocked, loop.failures, loop.next_attempt = key, None, 0, 0.0
    return loop


def backoff_seconds(failures: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter, capped at one minute."""
    base = min(60.0, 2.0 ** min(failures, 6))
    return (rng or random).uniform(base / 2, base)


def _run(rt: EdgeRuntime, *, pushing: bool) -> None:
    loop = _loop(rt)
    if loop is None or loop.client is None or loop.blocked:
        return
    if time.monotonic() < loop.next_attempt:
        return
    if pushing and service.backlog(rt.engine) == 0:
        return
    with loop.lock:
        if time.monotonic() < loop.next_attempt:  # the other job failed while this one waited
            return  # for the lock: one failure, one backoff (not two)
        try:
            if pushing:  # bounded too (the next tick goes on): the pull job gets the lock
                service.push_pending(rt.engine, loop.client, rt.clock, max_batches=PUSH_BATCHES)
            else:  # a bounded push first: while reception keeps selling the outbox never
                # empties, and pushing "until empty" starved the pull of hub changes
                service.push_pending(rt.engine, loop.client, rt.clock, max_batches=PULL_PUSH)
                service.pull_changes(
                    rt.engine,
                    loop.client,
                    rt.clock,
                    digest_interval_s=rt.settings.sync_digest_interval_s,
                )
        except LabError as exc:
            service.record_failure(rt.engine, exc, rt.clock)
            if exc.code in PULL_ONLY:
                if loop.pull_refused != exc.code:
                    log.error("sync pull refused (pushes go on): %s (%s)", exc.msg, exc.code)
                loop.pull_refused = exc.code
                return
            if exc.code in _BLOCKING:
                loop.blocked = exc.code
                log.error("sync stopped: %s (%s)", exc.msg, exc.code)
                return
            loop.failures += 1
            loop.next_attempt = time.monotonic() + backoff_seconds(loop.failures)
            return
        loop.failures, loop.next_attempt = 0, 0.0
        if not pushing:
            loop.pull_refused = None


@job("sync.push", seconds=1.0)
def push_job(rt: EdgeRuntime) -> None:
    _run(rt, pushing=True)


@job("sync.pull", seconds=5.0)
def pull_job(rt: EdgeRuntime) -> None:
    _run(rt, pushing=False)
