"""Patient changes that arrive from the hub through a pull (an edit made at another sede or at
the hub; a merge of two patients into one) queue the laboratory change message of the open orders
already sent, in the pull's own transaction, like an edit made here would."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from domain.ids import new_id
from edge.db import unit_of_work
from edge.labsync.models import ACCEPTED, LabJob
from edge.orders.models import Order
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from edge.sync import apply, service
from sync.protocol import SCHEMA_VERSION, FeedChange, PullPage
from sync.wire import row_image
from tests.edge.labsync.helpers import START, add_lab, jobs_of, make_order, set_clock


class _Hub:
    """Serves the given changes as one pull page (no digests: no drift repair)."""

    def __init__(self, changes: list[FeedChange]) -> None:
        self.changes = changes

    def pull(self, cursor: int, *, limit: int = 1000, digests: bool = True) -> PullPage:
        return PullPage(
            changes=self.changes,
            next_cursor=cursor + len(self.changes),
            has_more=False,
            hub_time=START.isoformat(),
        )


def _change(record_type: str, payload: dict[str, Any], cursor: int = 1) -> FeedChange:
    return FeedChange(
        cursor=cursor,
        tx_id="hub-tx",
        record_type=record_type,
        record_id=str(payload["id"]),
        op="upsert",
        payload=payload,
        schema_version=SCHEMA_VERSION,
    )


def _pull(rt: EdgeRuntime, *changes: FeedChange) -> int:
    return service.pull_changes(rt.engine, _Hub(list(changes)), rt.clock)  # type: ignore[arg-type]


def _patient_image(rt: EdgeRuntime, patient_id: str, **changes: Any) -> dict[str, Any]:
    """The hub's image of a local patient, with ``changes`` (as the hub would send it)."""
    with unit_of_work(rt.engine) as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        image = row_image(patient)
    image.update(changes)
    return image


def _sent(rt: EdgeRuntime, order: Order) -> None:
    """The laboratory acknowledged the new order; the hub acknowledged our outbox."""
    with unit_of_work(rt.engine) as session:
        for job in session.exec(select(LabJob).where(LabJob.order_id == order.id)):
            job.state, job.attempts = ACCEPTED, 1
            session.add(job)
    _ack_outbox(rt)


def _ack_outbox(rt: EdgeRuntime) -> None:
    with rt.engine.begin() as conn:  # else pulled patients wait behind our un-acked edits
        conn.execute(text("UPDATE sync_state SET acked_seq = last_seq"))


def _actions(rt: EdgeRuntime, order_id: str) -> list[tuple[str, int, str]]:
    return [(j.action, j.seq, j.state) for j in jobs_of(rt, order_id)]


def _outbox_jobs(rt: EdgeRuntime, order_id: str) -> int:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT payload FROM sync_outbox WHERE record_type = 'lab_job'")
        ).scalars()
        return sum(1 for p in rows if order_id in p)


def test_identity_edited_at_the_hub_queues_a_change(
    edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime)
    order = make_order(edge_runtime)
    cancelled = make_order(edge_runtime, last_names="MAMANI CCORI")
    unsent = make_order(edge_runtime, last_names="HUAMAN TITO")
    _sent(edge_runtime, order)
    _sent(edge_runtime, cancelled)
    with unit_of_work(edge_runtime.engine) as session:
        row = session.get(Order, cancelled.id)
        assert row is not None
        row.status = "anulada"
        session.add(row)
    _ack_outbox(edge_runtime)
    before = _outbox_jobs(edge_runtime, order.id)

    # the pull page fails half-way: no job is left behind
    edited = _patient_image(edge_runtime, order.patient_id, last_names="QUISPE MAMANÍ")

    def crash(point: str) -> None:
        if point == "edge.mid_pull_page":
            raise RuntimeError("crash mid page")

    monkeypatch.setattr(service, "hook", crash)
    with pytest.raises(RuntimeError):
        _pull(edge_runtime, _change("patient", edited))
    monkeypatch.setattr(service, "hook", None)
    assert _actions(edge_runtime, order.id) == [("new", 1, ACCEPTED)]

    # the same page applied: one change job, with its outbox row, in the pull's transaction
    assert (
        _pull(
            edge_runtime,
            _change("patient", edited, 1),
            _change("patient", _patient_image(edge_runtime, cancelled.patient_id, sex="M"), 2),
            _change("patient", _patient_image(edge_runtime, unsent.patient_id, first_names="X"), 3),
        )
        == 3
    )
    assert _actions(edge_runtime, order.id) == [("new", 1, ACCEPTED), ("change", 2, "pendiente")]
    assert _outbox_jobs(edge_runtime, order.id) == before + 1
    assert _actions(edge_runtime, cancelled.id) == [("new", 1, ACCEPTED)]  # anulada: left alone
    assert _actions(edge_runtime, unsent.id) == [("new", 1, "pendiente")]  # goes with the edit
    with unit_of_work(edge_runtime.engine) as session:
        patient = session.get(Patient, order.patient_id)
        assert patient is not None and patient.last_names == "QUISPE MAMANÍ"

    # the same image again (an echo), or a field the lab never sees: nothing more is queued
    _sent(edge_runtime, order)
    _pull(edge_runtime, _change("patient", edited, 4))
    phone = _patient_image(edge_runtime, order.patient_id, phone="987000111")
    _pull(edge_runtime, _change("patient", phone, 5))
    assert len(jobs_of(edge_runtime, order.id)) == 2


def test_merge_arriving_from_the_hub_queues_a_change_for_the_moved_orders(
    edge_runtime: EdgeRuntime,
) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime)
    duplicate = make_order(edge_runtime, last_names="QUISPE MAMANY")  # typed twice
    kept = make_order(edge_runtime, last_names="QUISPE MAMANI")
    _sent(edge_runtime, duplicate)
    _sent(edge_runtime, kept)
    alias = {"id": new_id(), "alias_id": duplicate.patient_id, "canonical_id": kept.patient_id}
    merged = _patient_image(edge_runtime, duplicate.patient_id, canonical_id=kept.patient_id)

    assert _pull(edge_runtime, _change("patient_alias", alias, 1), _change("patient", merged, 2))
    with unit_of_work(edge_runtime.engine) as session:
        moved = session.get(Order, duplicate.id)
        assert moved is not None and moved.patient_id == kept.patient_id
    assert _actions(edge_runtime, duplicate.id) == [
        ("new", 1, ACCEPTED),
        ("change", 2, "pendiente"),
    ]
    # the canonical patient's own order keeps its identity: nothing to tell the laboratory
    assert _actions(edge_runtime, kept.id) == [("new", 1, ACCEPTED)]
    # the merge pulled again (a replay) moves nothing and queues nothing
    _sent(edge_runtime, duplicate)
    _pull(edge_runtime, _change("patient_alias", alias, 3))
    assert len(jobs_of(edge_runtime, duplicate.id)) == 2


def _statements(rt: EdgeRuntime, changes: list[FeedChange]) -> int:
    count = 0

    def seen(*_args: Any) -> None:
        nonlocal count
        count += 1

    event.listen(rt.engine, "before_cursor_execute", seen)
    try:
        with unit_of_work(rt.engine) as session:
            apply.apply_changes(session.connection(), changes, now=rt.clock.now())
    finally:
        event.remove(rt.engine, "before_cursor_execute", seen)
    return count


def test_a_page_of_patients_without_open_orders_costs_the_same_as_one(
    edge_runtime: EdgeRuntime,
) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime)
    _sent(edge_runtime, make_order(edge_runtime))  # some open order exists on the node

    def page(n: int, start: int) -> list[FeedChange]:
        return [
            _change(
                "patient",
                {
                    "id": new_id(),
                    "doc_type": "1",
                    "doc_number": f"{70000000 + start + k:08d}",
                    "first_names": "ANA",
                    "last_names": f"PAGE {k}",
                    "home_sede_id": "x",
                    "created_at": START.isoformat(),
                    "updated_at": START.isoformat(),
                },
                k + 1,
            )
            for k in range(n)
        ]

    one, many = _statements(edge_runtime, page(1, 0)), _statements(edge_runtime, page(60, 100))
    assert many == one
    with unit_of_work(edge_runtime.engine) as session:
        assert len(session.exec(select(LabJob)).all()) == 1
