"""A rejected tube and its recollection ("muestra rechazada → retoma"), through the API.

Happy path from a real sale (the order's money untouched, audit, outbox rows, the laboratory
queue told), each refusal with its stable code, a double click, the order's status across a
recollection, labels (rejected tubes left out; a retoma's label is a free first print) and the
one unit of work (a failing hook leaves nothing behind).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from central.runtime import HubRuntime
from domain.barcode import parse_sample_barcode
from domain.clock import business_date
from domain.permissions import Role
from edge.audit.models import AuditEvent
from edge.cash.models import DaySeal
from edge.db import read_session, unit_of_work
from edge.labsync import queue
from edge.labsync.dispatch import Dispatcher
from edge.labsync.models import ACCEPTED, LabJob
from edge.orders import hooks
from edge.orders.models import Order, Payment
from edge.runtime import EdgeRuntime
from edge.samples import rejection
from edge.samples import service as samples_service
from edge.samples.models import RejectReason, Sample, SampleCounter
from edge.sync.enroll import enroll, load_credentials
from edge.sync.service import push_pending
from tests.edge.cash.rows import Actor, add_order, fixed_clock
from tests.edge.labsync.helpers import add_lab, jobs_of, make_order, set_clock, standin
from tests.edge.orders.helpers import load_catalog, make_patient, sid
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code, node_client

TWO_TUBES = [("GLU", "suero", "tubo rojo", "15.00"), ("HB", "sangre total", "tubo lila", "20.00")]


@pytest.fixture
def clerk(edge_runtime: EdgeRuntime) -> Actor:
    return Actor(edge_runtime, Role.RECEPCIONISTA)


def _samples(client: TestClient, actor: Actor, order_id: str) -> dict[str, Any]:
    r = client.get(f"/api/orders/{order_id}/samples", headers=actor.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _take(client: TestClient, actor: Actor, sample_id: str) -> dict[str, Any]:
    r = client.post(f"/api/samples/{sample_id}/take", headers=actor.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _reject(
    client: TestClient, actor: Actor, sample_id: str, **body: Any
) -> tuple[int, dict[str, Any]]:
    body = body or {"reason": "hemolizada"}
    r = client.post(f"/api/samples/{sample_id}/reject", json=body, headers=actor.headers)
    return r.status_code, r.json()


def _code(body: dict[str, Any]) -> str:
    return str(body["detail"][0]["type"])


def _sale(client: TestClient, rt: EdgeRuntime, actor: Actor) -> dict[str, Any]:
    """A paid sale of a lipid panel and a blood count (two tubes) through the API."""
    load_catalog(rt)
    r = client.post("/api/cash/sessions", json={"opening_float": "10.00"}, headers=actor.headers)
    assert r.status_code == 201, r.text
    body = {
        "patient_id": make_patient(rt).id,
        "items": [sid("PAN-LIP"), sid("HEM-001")],
    }
    r = client.post("/api/orders", json=body, headers=actor.headers)
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    pay = {"payments": [{"method": "tarjeta", "amount": order["balance"], "reference": "VOU0001"}]}
    r = client.post(f"/api/orders/{order['id']}/payments", json=pay, headers=actor.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_reject_a_taken_tube_creates_its_recollection(
    edge_client: TestClient, edge_runtime: EdgeRuntime, clerk: Actor
) -> None:
    order = _sale(edge_client, edge_runtime, clerk)
    items = _samples(edge_client, clerk, order["id"])["items"]
    assert len(items) == 2
    for s in items:
        _take(edge_client, clerk, s["id"])
    with unit_of_work(edge_runtime.engine) as session:  # the new order already reached the lab
        job = session.exec(select(LabJob).where(LabJob.order_id == order["id"])).one()
        job.attempts, job.state = 1, ACCEPTED
        session.add(job)
    victim = items[0]

    status, body = _reject(
        edge_client, clerk, victim["id"], reason="hemolizada", note="  Suero   rosado "
    )
    assert status == 200, body
    rejected, new = body["rejected"], body["replacement"]
    assert rejected["id"] == victim["id"] and rejected["status"] == "rechazada"
    assert (rejected["reject_reason"], rejected["reject_note"]) == ("hemolizada", "Suero rosado")
    assert rejected["reject_reason_label"] == "Muestra hemolizada"
    assert rejected["rejected_by"] == clerk.id and rejected["rejected_at"] is not None
    assert rejected["replaced_by_id"] == new["id"] and rejected["barcode"] == victim["barcode"]
    assert new["status"] == "pendiente" and new["replaces_id"] == victim["id"]
    assert (new["order_id"], new["sample_type"], new["tube"], new["item_ids"]) == (
        order["id"],
        victim["sample_type"],
        victim["tube"],
        victim["item_ids"],
    )
    assert new["taken_at"] is None and new["label_prints"] == 0
    codes = [s["barcode"] for s in items] + [new["barcode"]]
    assert len(set(codes)) == 3
    assert [parse_sample_barcode(c).seq for c in codes] == [1, 2, 3]  # the same day counter

    listed = _samples(edge_client, clerk, order["id"])
    assert listed["recollection_pending"] is True
    assert {s["id"]: s["status"] for s in listed["items"]} == {
        victim["id"]: "rechazada",
        items[1]["id"]: "tomada",
        new["id"]: "pendiente",
    }
    after = edge_client.get(f"/api/orders/{order['id']}", headers=clerk.headers).json()
    assert after["status"] == "muestra_tomada"  # the order keeps its status
    assert (after["total"], after["paid_total"], after["balance"]) == (
        order["total"],
        order["paid_total"],
        order["balance"],
    )
    with read_session(edge_runtime.engine) as session:
        assert len(session.exec(select(Payment).where(Payment.order_id == order["id"])).all()) == 1
        audits = session.exec(select(AuditEvent).where(AuditEvent.action == "sample.reject")).all()
        assert [(a.user_id, a.record_id, a.ip, a.details["reason"]) for a in audits] == [
            (clerk.id, victim["id"], "testclient", "hemolizada")
        ]
        assert audits[0].details["replacement_barcode"] == new["barcode"]
        jobs = session.exec(
            select(LabJob).where(LabJob.order_id == order["id"]).order_by(col(LabJob.seq))
        ).all()
        assert [(j.action, j.attempts) for j in jobs] == [("new", 1), ("change", 0)]
        outbox = session.connection().exec_driver_sql(
            "SELECT record_id, count(*) FROM sync_outbox WHERE record_type = 'sample' "
            "GROUP BY record_id"
        )
        assert {victim["id"], new["id"]} <= {r[0] for r in outbox}

    taken = _take(edge_client, clerk, new["id"])
    assert taken["status"] == "tomada" and taken["taken_by"] == clerk.id
    assert _samples(edge_client, clerk, order["id"])["recollection_pending"] is False
    with read_session(edge_runtime.engine) as session:  # still one change job (not yet sent)
        actions = session.exec(select(LabJob.action).where(LabJob.order_id == order["id"])).all()
        assert sorted(actions) == ["change", "new"]


def test_refusals_have_stable_codes(
    edge_client: TestClient, edge_runtime: EdgeRuntime, clerk: Actor
) -> None:
    fixed_clock(edge_runtime)
    order = add_order(edge_runtime, cashier_id=clerk.id, items=TWO_TUBES)
    with unit_of_work(edge_runtime.engine) as session:
        fresh = session.get(Order, order.id)
        assert fresh is not None
        ids = [
            s.id
            for s in samples_service.create_samples_for_order(
                session=session, order=fresh, clock=edge_runtime.clock
            )
        ]
    pending = ids[0]
    status, body = _reject(edge_client, clerk, pending)
    assert (status, _code(body)) == (409, "sample_not_taken")
    assert body["detail"][0]["loc"] == ["path", "sample_id"]
    _take(edge_client, clerk, pending)

    status, body = _reject(edge_client, clerk, pending, reason="otra")
    assert (status, _code(body), body["detail"][0]["loc"]) == (
        422,
        "note_required",
        ["body", "note"],
    )
    status, body = _reject(edge_client, clerk, pending, reason="otra", note="   ")
    assert (status, _code(body)) == (422, "note_required")
    status, body = _reject(edge_client, clerk, pending, reason="otra", note="a" + " " * 5)
    assert (status, _code(body)) == (422, "note_length")
    for bad in ({"reason": "rota"}, {"reason": "otra", "note": "x" * 301}, {"note": "sin motivo"}):
        r = edge_client.post(f"/api/samples/{pending}/reject", json=bad, headers=clerk.headers)
        assert r.status_code == 422, bad
    r = edge_client.post(
        f"/api/samples/{pending}/reject", json={"reason": 1.5}, headers=clerk.headers
    )
    assert r.status_code == 422
    status, body = _reject(edge_client, clerk, "no-such-sample")
    assert (status, _code(body)) == (404, "sample_not_found")

    status, body = _reject(edge_client, clerk, pending, reason="otra", note="Tubo sin tapa")
    assert status == 200, body
    assert body["rejected"]["reject_reason_label"] == "Otro motivo"
    again_status, again = _reject(edge_client, clerk, pending)  # the double click
    assert (again_status, _code(again)) == (409, "sample_already_rejected")
    r = edge_client.post(f"/api/samples/{pending}/take", headers=clerk.headers)
    assert r.status_code == 409 and _code(r.json()) == "sample_rejected"
    with read_session(edge_runtime.engine) as session:
        assert len(session.exec(select(Sample)).all()) == 3  # one replacement, not two
        counter = session.exec(select(SampleCounter)).one()
        assert counter.last_seq == 3
    assert r.json()["detail"][0]["msg"].startswith("La muestra fue rechazada")

    without = edge_client.post(f"/api/samples/{ids[1]}/reject", json={"reason": "coagulada"})
    assert without.status_code == 401


@pytest.mark.parametrize(
    ("status", "code"), [("anulada", "order_cancelled"), ("entregada", "order_delivered")]
)
def test_closed_orders_refuse_a_recollection(
    edge_client: TestClient, edge_runtime: EdgeRuntime, clerk: Actor, status: str, code: str
) -> None:
    fixed_clock(edge_runtime)
    order = add_order(edge_runtime, cashier_id=clerk.id, status=status)
    sample = _taken_sample(edge_runtime, order, clerk.id)
    got, body = _reject(edge_client, clerk, sample.id)
    assert (got, _code(body)) == (409, code)
    assert "retomas" in body["detail"][0]["msg"]


def _taken_sample(rt: EdgeRuntime, order: Order, user_id: str) -> Sample:
    now = rt.clock.now()
    sample = Sample(
        order_id=order.id,
        sede_id=order.sede_id,
        barcode=f"S01261129{9000 + len(order.id) % 7:04d}",
        sample_type="suero",
        tube="tubo rojo",
        item_ids=[],
        status="tomada",
        taken_at=now,
        taken_by=user_id,
        business_date=order.business_date,
        created_at=now,
    )
    with unit_of_work(rt.engine) as session:
        session.add(sample)
    return sample


def test_a_sealed_day_refuses_until_reopened(
    edge_client: TestClient, edge_runtime: EdgeRuntime, clerk: Actor
) -> None:
    clock = fixed_clock(edge_runtime)
    order = add_order(edge_runtime, cashier_id=clerk.id)
    sample = _taken_sample(edge_runtime, order, clerk.id)
    seal = DaySeal(
        sede_id=order.sede_id,
        business_date=business_date(clock.now()),
        last_seq=0,
        closed_by=clerk.id,
        created_at=clock.now(),
    )
    with unit_of_work(edge_runtime.engine) as session:
        session.add(seal)
    got, body = _reject(edge_client, clerk, sample.id)
    assert (got, _code(body)) == (409, "day_already_sealed")
    clock.advance(seconds=24 * 3600)  # next morning: the recollection belongs to the new day
    got, body = _reject(edge_client, Actor(edge_runtime, Role.LABORATORISTA), sample.id)
    assert got == 200, body
    new = body["replacement"]
    assert new["business_date"] == (order.business_date + dt.timedelta(days=1)).isoformat()
    assert parse_sample_barcode(new["barcode"]).seq == 1 and new["barcode"].startswith("S01261130")
    assert body["rejected"]["business_date"] == order.business_date.isoformat()


def _due_orders(session: Session) -> set[str]:
    """Orders whose lab job would leave now (their tubes all taken), whatever its retry time."""
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    return {job.order_id for job in queue.next_due(session=session, now=later, limit=100)}


def test_order_waits_for_the_recollection_before_sample_taken(
    edge_client: TestClient, edge_runtime: EdgeRuntime, clerk: Actor
) -> None:
    """Rejected before every tube was drawn: the order (and its lab job) wait for the retoma."""
    order = _sale(edge_client, edge_runtime, clerk)
    first, second = _samples(edge_client, clerk, order["id"])["items"]
    _take(edge_client, clerk, first["id"])
    status, body = _reject(edge_client, clerk, first["id"], reason="insuficiente")
    assert status == 200, body
    _take(edge_client, clerk, second["id"])
    read = edge_client.get(f"/api/orders/{order['id']}", headers=clerk.headers).json()
    assert read["status"] == "registrada"
    with read_session(edge_runtime.engine) as session:  # its lab job is held for the retoma
        assert order["id"] not in _due_orders(session)
    _take(edge_client, clerk, body["replacement"]["id"])
    read = edge_client.get(f"/api/orders/{order['id']}", headers=clerk.headers).json()
    assert read["status"] == "muestra_tomada"
    with read_session(edge_runtime.engine) as session:
        assert order["id"] in _due_orders(session)
        jobs = session.exec(select(LabJob).where(LabJob.order_id == order["id"])).all()
        assert [j.action for j in jobs] == ["new"]  # never sent: the new job carries the retoma


def test_labels_leave_rejected_tubes_out_and_print_the_retoma_free(
    edge_client: TestClient, edge_runtime: EdgeRuntime, clerk: Actor
) -> None:
    order = _sale(edge_client, edge_runtime, clerk)
    url = f"/api/orders/{order['id']}/labels"
    first = edge_client.get(url, params={"format": "zpl"}, headers=clerk.headers)
    assert first.status_code == 200 and first.text.count("^XA") == 2
    items = _samples(edge_client, clerk, order["id"])["items"]
    for s in items:
        _take(edge_client, clerk, s["id"])
    status, body = _reject(edge_client, clerk, items[1]["id"], reason="mal_rotulada")
    assert status == 200
    new = body["replacement"]["barcode"]

    retoma = edge_client.get(url, params={"format": "zpl"}, headers=clerk.headers)
    assert retoma.status_code == 200, retoma.text  # no reason, no reprint permission needed
    assert re.findall(r"\^FD(S01\d+)\^FS", retoma.text) == [new]
    reprint = edge_client.get(url, params={"format": "zpl"}, headers=clerk.headers)
    assert reprint.status_code == 403  # everything printed: now it is a reprint
    boss = Actor(edge_runtime, Role.SUPERVISOR)
    params = {"format": "zpl", "reason": "Etiquetas mojadas"}
    again = edge_client.get(url, params=params, headers=boss.headers)
    assert again.status_code == 200
    printed = re.findall(r"\^FD(S01\d+)\^FS", again.text)
    assert items[1]["barcode"] not in printed and sorted(printed) == sorted(
        [items[0]["barcode"], new]
    )
    everything = edge_client.get(url, params={**params, "include_rejected": "true"},
                                 headers=boss.headers)  # fmt: skip
    assert everything.status_code == 200 and everything.text.count("^XA") == 3
    one = {"sample_id": body["replacement"]["id"], "reason": "Etiqueta rota"}
    pdf = edge_client.get(url, params=one,
                          headers=boss.headers)  # fmt: skip
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.fixture
def failing_change_hook() -> Iterator[None]:
    def boom(**_kw: Any) -> None:
        raise RuntimeError("the laboratory queue failed")

    hooks.on_order_changed(boom)
    try:
        yield
    finally:
        hooks.unregister(boom)


def test_a_failure_leaves_nothing_half_done(
    edge_client: TestClient, edge_runtime: EdgeRuntime, clerk: Actor, failing_change_hook: None
) -> None:
    fixed_clock(edge_runtime)
    order = add_order(edge_runtime, cashier_id=clerk.id)
    sample = _taken_sample(edge_runtime, order, clerk.id)
    r = edge_client.post(
        f"/api/samples/{sample.id}/reject", json={"reason": "derramada"}, headers=clerk.headers
    )
    assert r.status_code == 500
    with read_session(edge_runtime.engine) as session:
        rows = session.exec(select(Sample).where(Sample.order_id == order.id)).all()
        assert [(s.id, s.status, s.replaced_by_id) for s in rows] == [(sample.id, "tomada", None)]
        assert session.exec(select(SampleCounter)).all() == []
        assert not session.exec(
            select(AuditEvent).where(AuditEvent.action == "sample.reject")
        ).all()


def test_both_rows_reach_the_hub_with_the_new_fields(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    hub_runtime: HubRuntime,
    hub_client: TestClient,
) -> None:
    """In process: the edge (its work done offline) enrols with a real hub and pushes."""
    clerk = Actor(edge_runtime, Role.RECEPCIONISTA)
    order = _sale(edge_client, edge_runtime, clerk)
    victim = _samples(edge_client, clerk, order["id"])["items"][0]
    _take(edge_client, clerk, victim["id"])
    status, body = _reject(edge_client, clerk, victim["id"], reason="contaminada")
    assert status == 200, body
    new = body["replacement"]
    _take(edge_client, clerk, new["id"])
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    data_dir = edge_runtime.settings.data_dir
    enroll(edge_runtime.engine, data_dir, hub_url="http://hub",
           code=new_code(hub_client, sede), clock=edge_runtime.clock,
           client=node_client(hub_client))  # fmt: skip
    hub = node_client(hub_client, load_credentials(data_dir))
    while push_pending(edge_runtime.engine, hub, edge_runtime.clock) > 0:
        pass
    with hub_runtime.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, payload->>'status', payload->>'reject_reason', "
                "payload->>'replaces_id', payload->>'replaced_by_id', business_date::text "
                "FROM sync_record WHERE record_type = 'sample' AND id = ANY(:ids)"
            ),
            {"ids": [victim["id"], new["id"]]},
        ).all()
    today = business_date(edge_runtime.clock.now()).isoformat()
    assert sorted(tuple(r) for r in rows) == sorted(
        [
            (victim["id"], "rechazada", "contaminada", None, new["id"], victim["business_date"]),
            (new["id"], "tomada", None, victim["id"], None, today),
        ]
    )


def test_the_laboratory_gets_the_new_specimen(edge_runtime: EdgeRuntime) -> None:
    """An order already accepted by the laboratory stand-in (MLLP): the rejection's change
    message carries the replacement's barcode, never the rejected one's; taking the retoma
    sends its collection time."""
    clock = set_clock(edge_runtime)
    tech = Actor(edge_runtime, Role.LABORATORISTA)
    with standin() as stand:
        add_lab(edge_runtime, port=stand.mllp_port)
        order = make_order(edge_runtime, codes=("BIO001", "HEM002"))
        send = Dispatcher(engine=edge_runtime.engine, clock=clock).send_due
        assert send()["accepted"] == 1
        with unit_of_work(edge_runtime.engine) as session:
            victim = session.exec(
                select(Sample).where(Sample.order_id == order.id).order_by(col(Sample.barcode))
            ).first()
            assert victim is not None
            done = rejection.reject(
                session,
                sample_id=victim.id,
                reason=RejectReason.COAGULADA,
                note=None,
                user=tech.principal,
                clock=clock,
            )
            old, new_id_, new = victim.barcode, done.replacement.id, done.replacement.barcode
        clock.advance(seconds=5)
        assert send()["accepted"] == 1
        with unit_of_work(edge_runtime.engine) as session:
            samples_service.take(session, sample_id=new_id_, user=tech.principal, clock=clock)
        clock.advance(seconds=5)
        assert send()["accepted"] == 1
    jobs = jobs_of(edge_runtime, order.id)
    assert [(j.action, j.state) for j in jobs] == [
        ("new", "aceptado"),
        ("change", "aceptado"),
        ("change", "aceptado"),
    ]
    first, change, taken = (j.rendered or "" for j in jobs)
    assert old in first and new not in first
    assert new in change and old not in change and "XO" in change
    assert new in taken and old not in taken
    assert len(stand.state.applied_new) == 1  # the order itself reached the lab once
