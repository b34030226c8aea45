"""SUNAT rejects the nota de crédito 07 of a cancelled convenio order (in process).

A rejected note credits nothing: in the transaction that stores the rejection, the order's link
to the convenio factura is released (it bills the order again, replicated through the outbox),
audited as ``convenio.credit_rejected`` with a Spanish message also left on the note; then
``POST /api/orders/{order_id}/convenio-credit`` issues the NC 07 (+ NC 13) again, and refuses
with 409 when there is nothing left to credit."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlmodel import select

from domain.permissions import Role
from edge.audit.models import AuditEvent
from edge.billing import convenio_invoice, sender
from edge.billing.convenio_models import ConvenioInvoiceOrder
from edge.billing.models import ACEPTADO, PENDIENTE, RECHAZADO, Invoice
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.conftest import Sim
from tests.edge.billing.test_convenio_credit import _cancel
from tests.edge.billing.test_convenio_invoice import SALUD, _invoice, _sell, shop
from tests.edge.billing.test_credit_terms_note import AJUSTE, _billed_factura, _notes
from tests.edge.factories import auth_headers

__all__ = ["shop"]  # the fixture, re-used

D = Decimal
SALUD_NAME = "SALUD PLUS EPS S.A."


def _link(rt: EdgeRuntime, order_id: str) -> ConvenioInvoiceOrder:
    with read_session(rt.engine) as session:
        link = session.exec(
            select(ConvenioInvoiceOrder).where(ConvenioInvoiceOrder.order_id == order_id)
        ).one()
        session.expunge(link)
        return link


def _link_outbox(rt: EdgeRuntime, link_id: str) -> list[dict[str, Any]]:
    with read_session(rt.engine) as session:
        rows = session.connection().exec_driver_sql(
            "SELECT payload FROM sync_outbox WHERE record_type = 'convenio_invoice_order' "
            "AND record_id = ? ORDER BY seq",
            (link_id,),
        )
        return [json.loads(r[0]) for r in rows]


def _events(rt: EdgeRuntime, action: str) -> list[AuditEvent]:
    with read_session(rt.engine) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def _retry(shop: dict[str, Any], order_id: str, headers: dict[str, str] | None = None) -> Any:
    return shop["api"].post(
        f"/api/orders/{order_id}/convenio-credit", headers=headers or shop["boss"]
    )


def _err(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err: dict[str, Any] = r.json()["detail"][0]
    return err


def _cancelled_and_rejected(
    shop: dict[str, Any], sim: Sim
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], Invoice]:
    """Two SALUD orders on an accepted factura; ``a`` cancelled; the worker sends its NC 07 and
    the simulator rejects it (the NC 13 after it is accepted). Returns (a, b, factura, nc07)."""
    rt: EdgeRuntime = shop["rt"]
    a, b, factura = _billed_factura(shop)
    assert _cancel(shop, a["id"], "Muestra no tomada").status_code == 200
    nc07 = _notes(rt, factura["id"])[0]
    assert _link(rt, a["id"]).credit_note_id == nc07.id
    sim.faults(reject=1, reject_code="2800")  # the first document sent: the NC 07
    sender.send_round(rt, client=sim.client())
    return a, b, factura, nc07


def test_rejected_nc07_releases_the_link_with_an_alert(shop: dict[str, Any], sim: Sim) -> None:
    rt: EdgeRuntime = shop["rt"]
    a, b, factura, nc07 = _cancelled_and_rejected(shop, sim)

    notes = _notes(rt, factura["id"])
    assert notes[0].state == RECHAZADO and notes[0].sunat_code == "2800"
    link = _link(rt, a["id"])
    assert (link.credit_note_id, link.credited_at) == (None, None)
    with read_session(rt.engine) as session:
        # the convenio is billed for the order again (it stays cancelled: never pending)
        assert convenio_invoice.invoiced_order_ids(session, [a["id"], b["id"]]) == {
            a["id"],
            b["id"],
        }
        order = session.get(Order, a["id"])
        assert order is not None and order.status == "anulada"

    # replicated: the last outbox image of the link names no note any more
    images = _link_outbox(rt, link.id)
    assert [i["credit_note_id"] for i in images] == [None, nc07.id, None]
    assert images[-1]["credited_at"] is None

    expected = (
        f"SUNAT rechazó la nota de crédito {nc07.full_number}; la orden {a['number']} sigue "
        f"facturada al convenio {SALUD_NAME} (factura {factura['full_number']}) por S/ 32.00. "
        "Vuelva a emitir la nota de crédito."
    )
    (event,) = _events(rt, "convenio.credit_rejected")
    assert (event.record_type, event.record_id, event.user_id) == ("order", a["id"], None)
    assert event.details["message"] == expected
    assert (event.details["note"], event.details["sunat_code"]) == (nc07.full_number, "2800")
    # the operator sees it on the rejected note itself
    r = shop["api"].get(f"/api/billing/{nc07.id}", headers=shop["boss"])
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["last_error"].startswith(expected)) == (RECHAZADO, True)
    assert "2800" in r.json()["last_error"]
    # the cuota was restated to the whole amount again (unchanged behaviour)
    assert [(n.note_reason, n.state) for n in notes] == [
        ("07", RECHAZADO),
        (AJUSTE, ACEPTADO),
        (AJUSTE, PENDIENTE),
    ]


def test_retry_issues_the_nc07_again_then_refuses(shop: dict[str, Any], sim: Sim) -> None:
    rt: EdgeRuntime = shop["rt"]
    a, b, factura, nc07 = _cancelled_and_rejected(shop, sim)
    sender.send_round(rt, client=sim.client())  # the NC 13 of the rejection: accepted

    r = _retry(shop, a["id"])
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["order_id"], out["order_number"], out["count"]) == (a["id"], a["number"], 2)
    again, terms = out["notes"]
    assert (again["doc_type"], again["note_reason"], again["total"]) == ("07", "07", "32.00")
    assert (again["reference_invoice_id"], again["state"]) == (factura["id"], PENDIENTE)
    assert [ln["code"] for ln in again["lines"]] == [a["number"]]
    assert again["id"] != nc07.id and again["number"] > nc07.number
    assert (terms["note_reason"], terms["total"]) == (AJUSTE, "0.00")
    assert terms["payment_method"] == "Credito"

    with read_session(rt.engine) as session:
        nc13 = session.get(Invoice, terms["id"])
        assert nc13 is not None and nc13.payment_installments is not None
        assert [i["amount"] for i in nc13.payment_installments] == ["38.40"]

    link = _link(rt, a["id"])
    assert link.credit_note_id == again["id"] and link.credited_at is not None
    with read_session(rt.engine) as session:
        assert convenio_invoice.invoiced_order_ids(session, [a["id"], b["id"]]) == {b["id"]}
    assert _link_outbox(rt, link.id)[-1]["credit_note_id"] == again["id"]
    (event,) = _events(rt, "convenio.credit_retry")
    assert event.record_id == a["id"] and event.user_id is not None and event.username
    assert event.details["notes"] == [again["full_number"], terms["full_number"]]
    assert [e.details["note"] for e in _events(rt, "convenio.credit_note")] == [
        nc07.full_number,
        again["full_number"],
    ]

    # while SUNAT has not answered the new note: nothing to do yet
    err = _err(_retry(shop, a["id"]), 409)
    assert err["type"] == "convenio_credit_note_pending"
    assert again["full_number"] in err["msg"] and "SUNAT" in err["msg"]

    sender.send_round(rt, client=sim.client())
    with read_session(rt.engine) as session:
        row = session.get(Invoice, again["id"])
        assert row is not None and row.state == ACEPTADO
    err = _err(_retry(shop, a["id"]), 409)
    assert err["type"] == "convenio_nothing_to_credit"
    assert a["number"] in err["msg"] and "nada que acreditar" in err["msg"]
    assert _link(rt, a["id"]).credit_note_id == again["id"]  # untouched by the refusals


def test_only_the_rejected_note_releases_a_link(shop: dict[str, Any], sim: Sim) -> None:
    """SUNAT rejects the NC 13 (not the NC 07 that took the order off): the link stays."""
    rt: EdgeRuntime = shop["rt"]
    a, _b, factura = _billed_factura(shop)
    assert _cancel(shop, a["id"]).status_code == 200
    nc07, nc13 = _notes(rt, factura["id"])
    client = sim.client()
    assert sender.send_one(rt, client, nc07.id) == ACEPTADO
    sim.faults(reject=1, reject_code="2800")
    assert sender.send_one(rt, client, nc13.id) == RECHAZADO
    assert _link(rt, a["id"]).credit_note_id == nc07.id
    assert _events(rt, "convenio.credit_rejected") == []
    err = _err(_retry(shop, a["id"]), 409)
    assert err["type"] == "convenio_nothing_to_credit"


def test_link_left_on_a_rejected_note_is_released_by_the_retry(shop: dict[str, Any]) -> None:
    """A note rejected before the release existed (the link still names it): the retry
    releases it, with its alert, and credits the order."""
    rt: EdgeRuntime = shop["rt"]
    a, _b, factura = _billed_factura(shop)
    assert _cancel(shop, a["id"]).status_code == 200
    nc07 = _notes(rt, factura["id"])[0]
    with unit_of_work(rt.engine) as session:
        row = session.get(Invoice, nc07.id)
        assert row is not None
        row.state = RECHAZADO  # as stored by an older worker: link untouched
        session.add(row)
    assert _link(rt, a["id"]).credit_note_id == nc07.id

    r = _retry(shop, a["id"])
    assert r.status_code == 201, r.text
    again = r.json()["notes"][0]
    assert (again["note_reason"], again["total"]) == ("07", "32.00")
    assert _link(rt, a["id"]).credit_note_id == again["id"]
    (event,) = _events(rt, "convenio.credit_rejected")
    assert event.details["note"] == nc07.full_number


def test_retry_refusals(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    a = _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)
    b = _sell(shop, SALUD, ["PAN-LIP"], pay=False)
    factura = _invoice(shop, SALUD).json()["invoice"]  # waiting for SUNAT

    err = _err(_retry(shop, "0" * 36), 404)
    assert (err["type"], err["loc"]) == ("order_not_found", ["path", "order_id"])
    err = _err(_retry(shop, a["id"]), 409)  # billed, but not cancelled
    assert err["type"] == "order_not_cancelled" and a["number"] in err["msg"]
    clerk = auth_headers(rt, Role.RECEPCIONISTA)
    assert _err(_retry(shop, a["id"], clerk), 403)["type"] == "permission_denied"

    # a cancelled order whose factura still waits for SUNAT (cancelled before it was billed
    # would not be on it: forced here) is refused, writing nothing
    with unit_of_work(rt.engine) as session:
        order = session.get(Order, b["id"])
        assert order is not None
        order.status = "anulada"
        session.add(order)
    err = _err(_retry(shop, b["id"]), 409)
    assert err["type"] == "convenio_invoice_pending"
    assert factura["full_number"] in err["msg"] and "SUNAT" in err["msg"]
    assert _notes(rt, factura["id"]) == []

    # a cancelled order with no convenio: nothing to credit
    plain = _sell(shop, None, ["HEM-001"], pay=True)
    assert _cancel(shop, plain["id"]).status_code == 200
    assert _err(_retry(shop, plain["id"]), 409)["type"] == "convenio_nothing_to_credit"
    assert _events(rt, "convenio.credit_retry") == []
