"""Samples: grouping by tube, barcodes, taking them, labels (PDF/ZPL) and audited reprints."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from domain.barcode import parse_sample_barcode
from domain.permissions import Role
from edge.audit.models import AccessLog, AuditEvent
from edge.db import read_session, unit_of_work
from edge.orders.models import Order, OrderStatusEvent
from edge.runtime import EdgeRuntime
from edge.samples import service as samples_service
from edge.samples.models import Sample, SampleCounter
from tests.edge.cash.rows import DAY, Actor, add_catalog_service, add_order, fixed_clock

ITEMS = [
    ("GLU", "suero", "tubo rojo", "15.00"),
    ("HB", "sangre total", "tubo lila", "20.00"),
    ("TSH", "suero", "tubo rojo", "40.00"),
]


@pytest.fixture
def reception(edge_runtime: EdgeRuntime) -> Actor:
    fixed_clock(edge_runtime)
    return Actor(edge_runtime, Role.RECEPCIONISTA)


def _make_samples(rt: EdgeRuntime, order: Order) -> list[dict[str, Any]]:
    with unit_of_work(rt.engine) as session:
        fresh = session.get(Order, order.id)
        assert fresh is not None
        made = samples_service.create_samples_for_order(
            session=session, order=fresh, user=None, clock=rt.clock
        )
        return [s.model_dump() for s in made]


def test_tests_sharing_a_tube_share_a_sample(edge_runtime: EdgeRuntime, reception: Actor) -> None:
    no_sample = add_catalog_service(edge_runtime, code="CONS")  # a service without a sample
    panel_members = [("COL", "suero", "tubo rojo", "0"), ("ORI", "orina", "frasco", "0")]
    order = add_order(
        edge_runtime,
        cashier_id=reception.id,
        items=[*ITEMS, ("CONS", "", "", "30.00")],
        panel=("PERFIL", "50.00", panel_members),
    )
    with unit_of_work(edge_runtime.engine) as session:  # point CONS at its catalog row
        from edge.orders.models import OrderItem

        row = session.exec(select(OrderItem).where(OrderItem.service_code == "CONS")).one()
        row.service_id = no_sample.id
        session.add(row)
    samples = _make_samples(edge_runtime, order)
    groups = {(s["sample_type"], s["tube"]): len(s["item_ids"]) for s in samples}
    assert groups == {
        ("suero", "tubo rojo"): 3,  # GLU, TSH and the panel's COL
        ("sangre total", "tubo lila"): 1,
        ("orina", "frasco"): 1,
    }
    seqs = sorted(parse_sample_barcode(s["barcode"]).seq for s in samples)
    assert seqs == [1, 2, 3]
    assert all(s["barcode"].startswith("S01261129") for s in samples)
    again = _make_samples(edge_runtime, order)  # idempotent per order
    assert sorted(s["id"] for s in again) == sorted(s["id"] for s in samples)


def test_item_without_tube_falls_back_to_the_catalog(
    edge_runtime: EdgeRuntime, reception: Actor
) -> None:
    service = add_catalog_service(edge_runtime, code="PCR", sample_type="suero", tube="tubo rojo")
    order = add_order(edge_runtime, cashier_id=reception.id, items=[("PCR", "", "", "25.00")])
    with unit_of_work(edge_runtime.engine) as session:
        from edge.orders.models import OrderItem

        row = session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).one()
        row.service_id = service.id
        session.add(row)
    samples = _make_samples(edge_runtime, order)
    assert [(s["sample_type"], s["tube"]) for s in samples] == [("suero", "tubo rojo")]


def test_barcodes_unique_and_counter_rolls_back_with_the_order(
    edge_runtime: EdgeRuntime, reception: Actor
) -> None:
    first = _make_samples(
        edge_runtime, add_order(edge_runtime, cashier_id=reception.id, items=ITEMS)
    )
    order = add_order(edge_runtime, cashier_id=reception.id, items=ITEMS)
    with pytest.raises(RuntimeError):
        with unit_of_work(edge_runtime.engine) as session:
            fresh = session.get(Order, order.id)
            assert fresh is not None
            samples_service.create_samples_for_order(
                session=session, order=fresh, user=None, clock=edge_runtime.clock
            )
            raise RuntimeError("the sale failed")
    second = _make_samples(edge_runtime, order)
    next_day = add_order(
        edge_runtime, cashier_id=reception.id, items=ITEMS[:1], day=DAY + dt.timedelta(days=1)
    )
    third = _make_samples(edge_runtime, next_day)
    codes = [s["barcode"] for s in first + second + third]
    assert len(set(codes)) == len(codes)
    assert [parse_sample_barcode(c).seq for c in codes] == [1, 2, 3, 4, 1]  # no gap, per day
    with read_session(edge_runtime.engine) as session:
        counters = {c.business_date: c.last_seq for c in session.exec(select(SampleCounter))}
    assert counters == {DAY: 4, DAY + dt.timedelta(days=1): 1}


def test_take_samples_moves_the_order(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: Actor
) -> None:
    order = add_order(edge_runtime, cashier_id=reception.id, items=ITEMS)
    _make_samples(edge_runtime, order)
    listed = edge_client.get(f"/api/orders/{order.id}/samples", headers=reception.headers)
    assert listed.status_code == 200
    ids = [s["id"] for s in listed.json()["items"]]
    assert len(ids) == 2 and listed.json()["items"][0]["barcode_text"].startswith("S01 261129 ")
    r = edge_client.post(f"/api/samples/{ids[0]}/take", headers=reception.headers)
    assert r.status_code == 200 and r.json()["status"] == "tomada"
    assert r.json()["taken_by"] == reception.id
    with read_session(edge_runtime.engine) as session:
        assert session.get(Order, order.id).status == "registrada"  # type: ignore[union-attr]
    assert (
        edge_client.post(f"/api/samples/{ids[1]}/take", headers=reception.headers).status_code
        == 200
    )
    with read_session(edge_runtime.engine) as session:
        assert session.get(Order, order.id).status == "muestra_tomada"  # type: ignore[union-attr]
        events = session.exec(
            select(OrderStatusEvent).where(OrderStatusEvent.order_id == order.id)
        ).all()
        assert [(e.from_status, e.to_status) for e in events] == [("registrada", "muestra_tomada")]
    again = edge_client.post(f"/api/samples/{ids[1]}/take", headers=reception.headers)
    assert again.status_code == 409 and again.json()["detail"][0]["type"] == "sample_already_taken"
    missing = edge_client.get("/api/orders/nope/samples", headers=reception.headers)
    assert missing.status_code == 404


def test_cancelled_order_samples_cannot_be_taken(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: Actor
) -> None:
    order = add_order(edge_runtime, cashier_id=reception.id, status="anulada")
    sample_id = _make_samples(edge_runtime, order)[0]["id"]
    r = edge_client.post(f"/api/samples/{sample_id}/take", headers=reception.headers)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "order_cancelled"


def test_labels_pdf_zpl_and_audited_reprints(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: Actor
) -> None:
    order = add_order(edge_runtime, cashier_id=reception.id, items=ITEMS)
    barcodes = sorted(s["barcode"] for s in _make_samples(edge_runtime, order))
    url = f"/api/orders/{order.id}/labels"
    pdf = edge_client.get(url, headers=reception.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf.content)
    assert boxes and all(
        abs(float(w) - 141.73) < 0.1 and abs(float(h) - 70.87) < 0.1 for w, h in boxes
    )  # 50 x 25 mm in points
    assert len(re.findall(rb"/Type /Page\b", pdf.content)) == 2  # one page per tube

    no_perm = edge_client.get(url, params={"format": "zpl", "reason": "Etiqueta mojada"},
                              headers=reception.headers)  # fmt: skip
    assert no_perm.status_code == 403 and no_perm.json()["detail"][0]["type"] == "permission_denied"
    supervisor = Actor(edge_runtime, Role.SUPERVISOR)
    no_reason = edge_client.get(url, params={"format": "zpl"}, headers=supervisor.headers)
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["type"] == "reprint_reason_required"
    zpl = edge_client.get(url, params={"format": "zpl", "reason": "Etiqueta mojada"},
                          headers=supervisor.headers)  # fmt: skip
    assert zpl.status_code == 200 and zpl.headers["content-type"].startswith("text/plain")
    body = zpl.text
    blocks = re.findall(r"\^XA.*?\^XZ", body, flags=re.S)
    assert len(blocks) == 2
    for block, code in zip(blocks, barcodes, strict=True):
        assert f"^BCN,80,Y,N,N,A^FD{code}^FS" in block
        assert "QUISPE MAMANI, ROSA ELENA" in block and order.number in block
        assert "^PW400" in block and "^LL200" in block
    with read_session(edge_runtime.engine) as session:
        audits = session.exec(select(AuditEvent).where(AuditEvent.action == "label.reprint")).all()
        assert [(a.user_id, a.details["reason"]) for a in audits] == [
            (supervisor.id, "Etiqueta mojada")
        ]
        prints = session.exec(select(AccessLog).where(AccessLog.action == "label.print")).all()
        assert len(prints) == 2 and all(p.patient_id == order.patient_id for p in prints)
        counts = [s.label_prints for s in session.exec(select(Sample))]
        assert counts == [2, 2]
    bad_format = edge_client.get(url, params={"format": "png"}, headers=supervisor.headers)
    assert bad_format.status_code == 422


def test_labels_of_an_order_without_samples_is_404(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: Actor
) -> None:
    order = add_order(edge_runtime, cashier_id=reception.id, items=[])
    r = edge_client.get(f"/api/orders/{order.id}/labels", headers=reception.headers)
    assert r.status_code == 404 and r.json()["detail"][0]["type"] == "samples_not_found"


def test_registered_with_the_orders_hook() -> None:
    from edge.orders import hooks

    assert samples_service.create_samples_for_order in hooks._created
