"""The order messages, frozen from real rows and read back with the ``hl7`` library by index."""

from __future__ import annotations

from typing import Any

import hl7
from sqlmodel import select

from edge.db import read_session, unit_of_work
from edge.labsync import queue
from edge.labsync.dispatch import Dispatcher
from edge.labsync.hl7_build import build_ack, escape
from edge.labsync.hl7_parse import get, parse_ack
from edge.labsync.models import LabJob
from edge.orders.models import Order, OrderItem
from edge.runtime import EdgeRuntime
from tests.edge.labsync.helpers import add_lab, jobs_of, make_order, set_clock


def _freeze(rt: EdgeRuntime, job_id: str) -> hl7.Message:
    claimed = Dispatcher(engine=rt.engine, clock=rt.clock).claim(job_id)
    assert claimed is not None
    return hl7.parse(claimed.message.body)


def test_oml_o21_251_carries_the_fields_by_index(edge_runtime: EdgeRuntime) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime)
    order = make_order(edge_runtime, codes=("BIO001", "HEM002"))
    job = jobs_of(edge_runtime, order.id)[0]
    msg = _freeze(edge_runtime, job.id)

    msh = msg.segment("MSH")
    assert (get(msh, 9, 1), get(msh, 9, 2), get(msh, 9, 3)) == ("OML", "O21", "OML_O21")
    assert get(msh, 10) == job.control_id == order.number.replace("-", "") + "-01"
    assert get(msh, 12) == "2.5.1"
    assert get(msh, 4) == "S01"
    assert get(msh, 7) == "20261130090000-0500"  # Lima time of the job's creation

    pid = msg.segment("PID")
    assert (get(pid, 3, 1), get(pid, 3, 4), get(pid, 3, 5)) == (
        f"{order.patient_id and _doc(edge_runtime, order)}",
        "RENIEC",
        "NNPER",
    )
    assert (get(pid, 3, 1, rep=2), get(pid, 3, 5, rep=2)) == (order.patient_id, "MR")
    assert (get(pid, 5, 1), get(pid, 5, 2), get(pid, 5, 3)) == ("QUISPE MAMANI", "ROSA", "ELENA")
    assert (get(pid, 7), get(pid, 8)) == ("19850412", "F")
    assert get(msg.segment("PV1"), 19) == order.number

    orcs, obrs = msg.segments("ORC"), msg.segments("OBR")
    assert len(orcs) == len(obrs) == 2
    placers = [f"{order.number}-1", f"{order.number}-2"]
    assert [get(o, 1) for o in orcs] == ["NW", "NW"]
    assert [get(o, 2) for o in orcs] == placers == [get(o, 2) for o in obrs]
    assert [get(o, 4) for o in orcs] == [order.number, order.number]
    assert [(get(o, 4, 1), get(o, 4, 3), get(o, 4, 4), get(o, 4, 6)) for o in obrs] == [
        ("GLU", "L", "1558-6", "LN"),
        ("HB", "L", "718-7", "LN"),
    ]
    assert [get(t, 9) for t in msg.segments("TQ1")] == ["R", "R"]
    spms = msg.segments("SPM")
    barcodes = {s.barcode: s.sample_type for s in _samples(edge_runtime, order)}
    assert [get(s, 2) for s in spms] == [
        next(b for b, t in barcodes.items() if t == "suero"),
        next(b for b, t in barcodes.items() if t == "sangre total"),
    ]
    assert [get(s, 4) for s in spms] == ["SER", "WB"]
    with read_session(edge_runtime.engine) as session:
        frozen = session.get(LabJob, job.id)
        assert frozen is not None and frozen.placer_numbers == placers
        assert frozen.state == "enviado" and frozen.attempts == 1


def test_orm_o01_231_uses_obr_for_specimen_and_priority(edge_runtime: EdgeRuntime) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime, version="2.3.1", message_type="ORM_O01")
    order = make_order(edge_runtime, codes=("BIO001",))
    msg = _freeze(edge_runtime, jobs_of(edge_runtime, order.id)[0].id)
    msh = msg.segment("MSH")
    assert (get(msh, 9, 1), get(msh, 9, 2), get(msh, 12)) == ("ORM", "O01", "2.3.1")
    assert not any(str(s[0]) in {"SPM", "TQ1"} for s in msg)
    obr = msg.segment("OBR")
    assert get(obr, 2) == f"{order.number}-1"
    assert get(obr, 15, 1) == "SER"  # specimen source (subcomponent 1)
    assert get(obr, 18) == _samples(edge_runtime, order)[0].barcode
    assert get(obr, 27, 6) == "R"


PHYSICIAN: dict[str, Any] = {"physician_cmp": "45123", "physician_name": "PÉREZ O'NEILL JUAN"}


def test_an_urgent_order_goes_stat_with_its_ordering_physician(edge_runtime: EdgeRuntime) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime)
    order = make_order(edge_runtime, priority="urgente", **PHYSICIAN)
    msg = _freeze(edge_runtime, jobs_of(edge_runtime, order.id)[0].id)
    assert [get(t, 9) for t in msg.segments("TQ1")] == ["S", "S"]
    for seg, field in [(o, 12) for o in msg.segments("ORC")] + [
        (o, 16) for o in msg.segments("OBR")
    ]:
        assert (get(seg, field, 1), get(seg, field, 2), get(seg, field, 9)) == (
            "45123",
            "PÉREZ O'NEILL JUAN",
            "CMP",
        )


def test_orm_o01_231_carries_the_physician_and_stat_in_obr(edge_runtime: EdgeRuntime) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime, version="2.3.1", message_type="ORM_O01")
    order = make_order(edge_runtime, codes=("BIO001",), priority="urgente", **PHYSICIAN)
    msg = _freeze(edge_runtime, jobs_of(edge_runtime, order.id)[0].id)
    obr = msg.segment("OBR")
    assert (get(obr, 16, 1), get(obr, 16, 2), get(obr, 16, 9)) == (
        "45123",
        "PÉREZ O'NEILL JUAN",
        "CMP",
    )
    assert (get(obr, 5), get(obr, 27, 6)) == ("S", "S")


def test_a_routine_order_without_physician_leaves_the_provider_empty(
    edge_runtime: EdgeRuntime,
) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime)
    order = make_order(edge_runtime, codes=("BIO001",))
    msg = _freeze(edge_runtime, jobs_of(edge_runtime, order.id)[0].id)
    assert get(msg.segment("ORC"), 12) == "" and get(msg.segment("OBR"), 16) == ""
    assert get(msg.segment("TQ1"), 9) == "R"


def test_a_physician_without_cmp_is_sent_by_name_only(edge_runtime: EdgeRuntime) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime)
    order = make_order(edge_runtime, codes=("BIO001",), physician_name="ROJAS ANA")
    msg = _freeze(edge_runtime, jobs_of(edge_runtime, order.id)[0].id)
    obr = msg.segment("OBR")
    assert (get(obr, 16, 1), get(obr, 16, 2), get(obr, 16, 9)) == ("", "ROJAS ANA", "")


def test_panel_sent_as_its_tests_unless_the_lab_maps_the_panel(edge_runtime: EdgeRuntime) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime)
    order = make_order(edge_runtime, codes=("BIO001",), panel=("BIO005", "HOR001"))
    msg = _freeze(edge_runtime, jobs_of(edge_runtime, order.id)[0].id)
    assert [get(o, 4, 1) for o in msg.segments("OBR")] == ["GLU", "CHOL", "TSH"]


def test_delimiters_in_names_are_escaped_not_shifting_fields(edge_runtime: EdgeRuntime) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime)
    order = make_order(edge_runtime, last_names="O|BRIEN^ÑUÑEZ", first_names="ANA & MARÍA~X")
    msg = _freeze(edge_runtime, jobs_of(edge_runtime, order.id)[0].id)
    pid = msg.segment("PID")
    assert get(pid, 5, 1) == "O|BRIEN^ÑUÑEZ"
    assert get(pid, 5, 2) == "ANA"
    assert get(pid, 7) == "19850412"
    assert escape("a|b^c&d~e\\f") == "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f"


def test_change_and_cancel_keep_placer_numbers(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    add_lab(edge_runtime)
    order = make_order(edge_runtime, codes=("BIO001", "HEM002"))
    d = Dispatcher(engine=edge_runtime.engine, clock=clock)
    first = _freeze(edge_runtime, jobs_of(edge_runtime, order.id)[0].id)
    placers = [get(o, 2) for o in first.segments("ORC")]
    # the first job is "in flight": it has reached the lab as far as we know
    with unit_of_work(edge_runtime.engine) as session:
        o = session.get(Order, order.id)
        assert o is not None
        hb = session.exec(select(OrderItem).where(OrderItem.service_code == "HEM002")).first()
        assert hb is not None
        session.delete(hb)  # HB removed, TSH added
        from tests.edge.labsync.helpers import _item

        session.add(_item(o, "HOR001", clock.now()))
        session.flush()
        change = queue.enqueue_change(session=session, order=o, clock=clock)
        assert change.action == "change"
    with unit_of_work(edge_runtime.engine) as session:
        job = session.get(LabJob, jobs_of(edge_runtime, order.id)[0].id)
        assert job is not None
        job.state = "aceptado"  # let the change go next
        session.add(job)
    claimed = d.claim(change.id)
    assert claimed is not None
    msg = hl7.parse(claimed.message.body)
    got = [(get(o, 1), get(o, 2)) for o in msg.segments("ORC")]
    assert got == [("XO", placers[0]), ("NW", f"{order.number}-3"), ("CA", placers[1])]
    assert get(msg.segment("MSH"), 10) == change.control_id != get(first.segment("MSH"), 10)

    with unit_of_work(edge_runtime.engine) as session:
        for j in session.exec(select(LabJob).where(LabJob.order_id == order.id)):
            j.state = "aceptado"
            session.add(j)
        o = session.get(Order, order.id)
        assert o is not None
        cancel = queue.enqueue_cancel(session=session, order=o, clock=clock)
        assert cancel is not None
    claimed = d.claim(cancel.id)
    assert claimed is not None
    msg = hl7.parse(claimed.message.body)
    assert [(get(o, 1), get(o, 2), get(o, 5)) for o in msg.segments("ORC")] == [
        ("CA", placers[0], "CA"),
        ("CA", f"{order.number}-3", "CA"),
    ]


def test_ack_round_trip() -> None:
    import datetime as dt

    text = build_ack(
        ack_code="AE", acked_control_id="X-01", control_id="ACK1", version="2.5.1",
        trigger="O21", sending_facility="S01", now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        text="código desconocido",
    )  # fmt: skip
    ack = parse_ack(text)
    assert (ack.code, ack.control_id, ack.text) == ("AE", "X-01", "código desconocido")


def _doc(rt: EdgeRuntime, order: Order) -> str:
    from edge.patients.models import Patient

    with read_session(rt.engine) as session:
        p = session.get(Patient, order.patient_id)
        assert p is not None
        return p.doc_number


def _samples(rt: EdgeRuntime, order: Order) -> list:  # type: ignore[type-arg]
    from edge.samples.models import Sample

    with read_session(rt.engine) as session:
        rows = list(session.exec(select(Sample).where(Sample.order_id == order.id)))
        session.expunge_all()
        return rows


def test_the_rest_body_names_the_physician_and_the_priority() -> None:
    import datetime as dt
    import json
    from types import SimpleNamespace

    from edge.labsync import freeze, hl7_build

    patient = hl7_build.PatientInfo(
        id="p1", doc_type="1", doc_number="45873219", first_names="ROSA", last_names="QUISPE",
        birth_date=None, sex="F",
    )  # fmt: skip
    message = hl7_build.OrderMessage(
        control_id="C1", version="2.5.1", message_type="OML_O21", sede_code="S01",
        receiving_app="LAB", order_number="S01-20261130-0001",
        created_at=dt.datetime(2026, 11, 30, 14, 0, tzinfo=dt.UTC), patient=patient,
        priority="S", physician_cmp="45123", physician_name="PÉREZ JUAN",
    )  # fmt: skip
    body = json.loads(freeze._json_body(SimpleNamespace(action="new"), message))  # type: ignore[arg-type]
    assert body["priority"] == "S"
    assert body["physician"] == {"cmp": "45123", "name": "PÉREZ JUAN"}
