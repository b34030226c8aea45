"""A change of an order's tests or of its patient queues a lab change message in the same
transaction, without the changing service having to ask (``edge.orders.hooks``), and it reaches
the laboratory stand-in as XO/NW/CA lines with the same placer numbers."""

from __future__ import annotations

import pytest
from sqlmodel import select

from edge.db import unit_of_work
from edge.labsync.dispatch import Dispatcher
from edge.labsync.models import LabJob
from edge.orders import hooks
from edge.orders.models import Order, OrderItem
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from edge.samples.models import Sample
from tests.edge.labsync.helpers import (
    _item,
    add_lab,
    build_order,
    jobs_of,
    make_order,
    set_clock,
    standin,
)


def _actions(rt: EdgeRuntime, order_id: str) -> list[tuple[str, int, str]]:
    return [(j.action, j.seq, j.state) for j in jobs_of(rt, order_id)]


def test_items_and_patient_changes_queue_a_change_in_the_same_transaction(
    edge_runtime: EdgeRuntime,
) -> None:
    clock = set_clock(edge_runtime)
    with standin() as stand:
        add_lab(edge_runtime, port=stand.mllp_port)
        order = make_order(edge_runtime, codes=("BIO001", "HEM002"))
        d = Dispatcher(engine=edge_runtime.engine, clock=clock)
        assert d.send_due()["accepted"] == 1
        placers = sorted(next(iter(stand.state.orders.values())).tests)

        # a transaction that adds a test and then fails leaves no job behind
        with pytest.raises(RuntimeError), unit_of_work(edge_runtime.engine) as session:
            o = session.get(Order, order.id)
            assert o is not None
            hooks.use_clock(session, clock)
            session.add(_item(o, "HOR001", clock.now()))
            session.flush()
            raise RuntimeError("the edit fails")
        assert _actions(edge_runtime, order.id) == [("new", 1, "aceptado")]

        # adding a test queues a change, with no explicit call
        with unit_of_work(edge_runtime.engine) as session:
            o = session.get(Order, order.id)
            assert o is not None
            hooks.use_clock(session, clock)
            session.add(_item(o, "HOR001", clock.now()))  # not even flushed by the caller
        assert _actions(edge_runtime, order.id) == [
            ("new", 1, "aceptado"),
            ("change", 2, "pendiente"),
        ]
        # a second edit before it is sent rides on the same job (its message is built at send)
        with unit_of_work(edge_runtime.engine) as session:
            hooks.use_clock(session, clock)
            hb = session.exec(
                select(OrderItem).where(
                    OrderItem.order_id == order.id, OrderItem.service_code == "HEM002"
                )
            ).one()
            session.delete(hb)
        assert len(jobs_of(edge_runtime, order.id)) == 2
        assert d.send_due()["accepted"] == 1
        change = jobs_of(edge_runtime, order.id)[1]
        added = f"{order.number}-3"
        assert sorted((x["control"], x["placer"]) for x in change.lines) == sorted(
            [("XO", placers[0]), ("CA", placers[1]), ("NW", added)]
        )
        lab_order = stand.state.orders[order.number]
        assert lab_order.tests[placers[1]]["control"] == "CA"
        assert lab_order.tests[added]["control"] == "NW" and lab_order.tests[added]["code"] == "TSH"
        assert stand.state.applied_new == {order.number: 1}  # the order itself came once

        # the patient's identity is corrected: every open order of theirs tells the lab
        with unit_of_work(edge_runtime.engine) as session:
            hooks.use_clock(session, clock)
            patient = session.get(Patient, order.patient_id)
            assert patient is not None
            patient.last_names = "QUISPE MAMANÍ"
            session.add(patient)
        assert _actions(edge_runtime, order.id)[-1] == ("change", 3, "pendiente")
        assert d.send_due()["accepted"] == 1
        receipts = [c for c in stand.state.receipts if c.endswith("-03")]
        assert len(receipts) == 1
        assert stand.state.orders[order.number].patient_name.startswith("QUISPE MAMANÍ")

        # a phone number is not sent to the lab: nothing queued
        with unit_of_work(edge_runtime.engine) as session:
            patient = session.get(Patient, order.patient_id)
            assert patient is not None
            patient.phone = "987000111"
            session.add(patient)
        assert len(jobs_of(edge_runtime, order.id)) == 3


def test_items_of_an_order_born_in_the_same_transaction_are_no_change(
    edge_runtime: EdgeRuntime,
) -> None:
    clock = set_clock(edge_runtime)
    add_lab(edge_runtime)
    with unit_of_work(edge_runtime.engine) as session:
        order = build_order(session, edge_runtime, codes=("BIO001",))
        session.add(_item(order, "HOR001", clock.now()))
    assert _actions(edge_runtime, order.id) == [("new", 1, "pendiente")]


def test_cancelled_orders_are_left_alone(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    add_lab(edge_runtime)
    order = make_order(edge_runtime)
    with unit_of_work(edge_runtime.engine) as session:
        o = session.get(Order, order.id)
        assert o is not None
        o.status = "anulada"
        session.add(o)
    with unit_of_work(edge_runtime.engine) as session:
        hooks.use_clock(session, clock)
        patient = session.get(Patient, order.patient_id)
        assert patient is not None
        patient.first_names = "ROSA"
        session.add(patient)
    assert [j.action for j in jobs_of(edge_runtime, order.id)] == ["new"]
    with unit_of_work(edge_runtime.engine) as session:
        assert len(session.exec(select(LabJob)).all()) == 1


def test_new_order_leaves_once_its_samples_are_taken(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    with standin() as stand:
        add_lab(edge_runtime, port=stand.mllp_port)
        order = make_order(edge_runtime, codes=("BIO001",))
        with unit_of_work(edge_runtime.engine) as session:
            o = session.get(Order, order.id)
            assert o is not None
            o.status = "registrada"
            session.add(o)
            for s in session.exec(select(Sample).where(Sample.order_id == order.id)):
                s.status, s.taken_at = "pendiente", None
                session.add(s)
        d = Dispatcher(engine=edge_runtime.engine, clock=clock)
        assert d.send_due()["sent"] == 0 and stand.state.receipts == {}
        with unit_of_work(edge_runtime.engine) as session:  # the tube is drawn
            o = session.get(Order, order.id)
            assert o is not None
            o.status = "muestra_tomada"
            session.add(o)
            for s in session.exec(select(Sample).where(Sample.order_id == order.id)):
                s.status, s.taken_at = "tomada", clock.now()
                session.add(s)
        assert d.send_due()["accepted"] == 1
        assert stand.state.applied_new == {order.number: 1}
        with unit_of_work(edge_runtime.engine) as session:
            o = session.get(Order, order.id)
            assert o is not None and o.status == "enviada_laboratorio"
