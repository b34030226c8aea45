"""The digest interval across real processes: a real hub (``labred hub serve``) and a real
``labred edge worker`` with ``sync_digest_interval_s = 5`` and ``job_intervals = {"sync.pull" =
1}`` in its edge.toml. A mirror row edited by hand at the edge (a drift) is not seen by the pulls
within the interval after the last comparison (the enrolment's), and is repaired by the first
pull after it; the node's status and metrics then show that comparison and the table it copied
again. The worker says its jobs' intervals when it starts, pulls every second (not every 5 s),
and a change made at the hub is at the sede within ~2 s."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time

import pytest
from sqlalchemy import text

from central.config.models import Setting
from central.db import unit_of_work as hub_uow
from edge.sync import metrics, service
from tests.sync.test_qa_procs_support import CLOCK, QaCluster, QaEdge, cluster, wait_until

__all__ = ["cluster"]  # the fixture, imported for pytest
pytestmark = pytest.mark.slow

INTERVAL = 5.0


def _value(edge: QaEdge) -> str:
    with edge.engine.connect() as conn:
        raw = conn.execute(text("SELECT value FROM setting WHERE key = 'qa_drift'")).scalar_one()
    return str(json.loads(raw))


def test_a_real_worker_repairs_a_drift_once_the_interval_passed(cluster: QaCluster) -> None:
    cluster.start_hub()
    with hub_uow(cluster.runtime().engine) as session:
        session.add(Setting(key="qa_drift", value="hub", updated_at=CLOCK.now()))
    edge = cluster.add_edge("S01")  # the enrolment's snapshot is compared (and agrees)
    enrolled = service.status(edge.engine, CLOCK)
    assert enrolled["last_digest_result"] == "ok" and _value(edge) == "hub"
    compared_at: dt.datetime = enrolled["last_digest_at"]
    with edge.engine.begin() as conn:  # someone edits the mirror by hand
        conn.execute(
            text("UPDATE setting SET value = :v WHERE key = 'qa_drift'"),
            {"v": json.dumps("tampered")},
        )

    cluster.start_worker(edge, digest_interval_s=INTERVAL, job_intervals={"sync.pull": 1.0})

    def repaired() -> bool:  # the table is copied first, the comparison noted once all are
        noted = service.status(edge.engine, CLOCK)["last_digest_result"] == "repaired"
        return noted and _value(edge) == "hub"

    wait_until("the worker to repair the drift and note it", repaired, timeout=40)
    st = service.status(edge.engine, CLOCK)
    assert st["last_digest_result"] == "repaired" and st["last_digest_repaired"] == ["setting"]
    assert st["digest_repairs"] == 1
    # not at the worker's first pulls: only once the interval since the enrolment had passed
    assert (st["last_digest_at"] - compared_at).total_seconds() >= INTERVAL
    scrape = metrics.render(edge.engine, CLOCK).decode()
    assert "labred_edge_sync_last_digest_repaired_tables 1.0" in scrape
    assert "labred_edge_sync_digest_repairs_total 1.0" in scrape

    # job_intervals: the worker said each job's interval, and pulls every second
    started = [
        line for line in cluster.log("S01-w").read_text().splitlines() if "worker started" in line
    ]
    assert len(started) == 1, started
    said = json.loads(started[0])
    assert (said["jobs"]["sync.pull"], said["overridden"]) == (1.0, ["sync.pull"])
    assert said["jobs"]["sunat.summaries"] == 15.0  # not named: its own
    pulls: list[dt.datetime] = []

    def three_more_pulls() -> bool:
        at = service.status(edge.engine, CLOCK)["last_pull_at"]
        if not pulls or at != pulls[-1]:
            pulls.append(at)
        return len(pulls) == 4

    wait_until("three more pulls", three_more_pulls, timeout=20)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(pulls[1:])]
    assert all(0.5 < gap < 2.5 for gap in gaps), gaps  # ~1 s apart (5 s by default)

    t0 = time.monotonic()
    with hub_uow(cluster.runtime().engine) as session:
        session.add(Setting(key="qa_pulled", value="hub", updated_at=CLOCK.now()))

    def pulled() -> bool:
        with edge.engine.connect() as conn:
            sql = "SELECT 1 FROM setting WHERE key = 'qa_pulled'"
            return conn.execute(text(sql)).first() is not None

    wait_until("the hub's change at the sede", pulled, timeout=20)
    assert time.monotonic() - t0 < 3.0  # a pull a second (up to ~5 s at the default)
