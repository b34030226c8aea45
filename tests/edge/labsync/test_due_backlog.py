"""The worker's ``lab.send`` round picks its due jobs in SQL: a backlog of open jobs (orders
whose tubes are not taken yet, a laboratory that is down) is never loaded whole every 2 s,
which made the worker's memory grow with the backlog (bench/bench_lab_due_memory.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event
from sqlmodel import select

from edge.db import read_session, unit_of_work
from edge.labsync import queue
from edge.labsync.models import ACCEPTED, LabJob
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from edge.samples.models import Sample
from tests.edge.labsync.helpers import add_lab, make_order, set_clock


def _tubes_pending(rt: EdgeRuntime, order_id: str) -> None:
    with unit_of_work(rt.engine) as session:
        for sample in session.exec(select(Sample).where(Sample.order_id == order_id)):
            sample.status = queue.SAMPLE_PENDING
            session.add(sample)


def _due(rt: EdgeRuntime, *, limit: int = 50) -> tuple[list[tuple[str, str]], int]:
    """(order id, action) of the due jobs, and how many LabJob rows were loaded to find them."""
    loaded: list[Any] = []

    def count(target: Any, context: Any) -> None:
        loaded.append(target)

    event.listen(LabJob, "load", count)
    try:
        with read_session(rt.engine) as session:
            jobs = queue.next_due(session=session, now=rt.clock.now(), limit=limit)
            return [(j.order_id, j.action) for j in jobs], len(loaded)
    finally:
        event.remove(LabJob, "load", count)


def test_a_backlog_of_waiting_orders_is_not_loaded(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    add_lab(edge_runtime)
    waiting = [make_order(edge_runtime).id for _ in range(40)]
    for order_id in waiting:
        _tubes_pending(edge_runtime, order_id)
    ready = [make_order(edge_runtime).id for _ in range(3)]
    clock.advance(dt.timedelta(seconds=1))

    due, loaded = _due(edge_runtime)

    assert sorted(due) == sorted((order_id, "new") for order_id in ready)
    assert loaded == 3  # the old round loaded all 43 open jobs to keep 3


def test_one_job_per_order_in_sequence_and_held_changes(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    add_lab(edge_runtime)
    sent = make_order(edge_runtime)  # its "new" accepted, then changed: the change is due
    held = make_order(edge_runtime)  # tubes pending: its "new" waits, and its change behind it
    _tubes_pending(edge_runtime, held.id)
    queued = make_order(edge_runtime)  # "new" still open: its change waits its turn
    with unit_of_work(edge_runtime.engine) as session:
        first = session.exec(select(LabJob).where(LabJob.order_id == sent.id)).one()
        first.state = ACCEPTED
        session.add(first)
        for order_id in (sent.id, held.id, queued.id):
            order = session.get(Order, order_id)
            assert order is not None
            queue.enqueue_change(session=session, order=order, clock=clock)
    _tubes_pending(edge_runtime, sent.id)  # a change is never held for tubes
    clock.advance(dt.timedelta(seconds=1))

    due, _ = _due(edge_runtime)

    assert sorted(due) == sorted([(sent.id, "change"), (queued.id, "new")])


def test_oldest_first_and_limited(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    add_lab(edge_runtime)
    orders = [make_order(edge_runtime).id for _ in range(5)]
    with unit_of_work(edge_runtime.engine) as session:
        for k, order_id in enumerate(orders):  # the last order is the most overdue
            job = session.exec(select(LabJob).where(LabJob.order_id == order_id)).one()
            job.next_attempt_at = clock.now() - dt.timedelta(minutes=k)
            session.add(job)
        not_yet = session.exec(select(LabJob).where(LabJob.order_id == orders[0])).one()
        not_yet.next_attempt_at = clock.now() + dt.timedelta(minutes=5)  # backing off
        session.add(not_yet)

    due, loaded = _due(edge_runtime, limit=2)

    assert due == [(orders[4], "new"), (orders[3], "new")]
    assert loaded == 2
    everything, _ = _due(edge_runtime)
    assert [order_id for order_id, _ in everything] == orders[:0:-1]
