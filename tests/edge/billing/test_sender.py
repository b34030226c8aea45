"""The queue worker against the SUNAT simulator over real HTTP (127.0.0.1).

Time is a FixedClock the tests move forward, so backoff, retries and the circuit breaker are
exercised without waiting.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from io import BytesIO

from sqlmodel import select

from domain.clock import FixedClock
from edge.billing import sender, service
from edge.billing.models import (
    ACEPTADO,
    ENVIADO,
    ERROR_RED,
    POR_REENVIAR,
    RECHAZADO,
    Invoice,
    InvoiceFile,
    SunatSubmission,
)
from edge.billing.sunat_payload import build_zip
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.conftest import CUSTOMER_RUC, RUC, Sim
from tests.edge.billing.helpers import issue

MakeOrder = Callable[..., Order]


def state(rt: EdgeRuntime, inv: Invoice) -> Invoice:
    with read_session(rt.engine) as session:
        row = session.get(Invoice, inv.id)
        assert row is not None
        session.expunge(row)
        return row


def stem(inv: Invoice) -> str:
    return f"{RUC}-{inv.doc_type}-{inv.series}-{inv.number}"


def test_happy_path_accepted_with_cdr_stored(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim
) -> None:
    boleta = issue(rt, make_order())
    factura = issue(rt, make_order(document_type="01", customer=("6", CUSTOMER_RUC, "ANDINA SA")))
    report = sender.send_round(rt, client=sim.client())
    assert report.sent == 2 and report.answered == {ACEPTADO: 2}
    for inv in (boleta, factura):
        row = state(rt, inv)
        assert (row.state, row.sunat_code, row.attempts) == (ACEPTADO, "0", 1)
        assert row.cdr_path == f"documents/2026-03-10/R-{stem(inv)}.zip"
        cdr_file = rt.settings.data_dir / row.cdr_path
        with read_session(rt.engine) as session:
            kept = (
                session.exec(
                    select(InvoiceFile).where(
                        InvoiceFile.owner_id == inv.id, InvoiceFile.kind == "cdr"
                    )
                )
                .one()
                .content
            )
        assert kept == cdr_file.read_bytes()
        assert f"R-{stem(inv)}.xml" in zipfile.ZipFile(BytesIO(kept)).namelist()
        assert sim.doc(stem(inv))["sends"] == 1
    assert sender.send_round(rt, client=sim.client()).sent == 0  # nothing left


def test_outage_for_an_hour_then_every_document_sent_exactly_once(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    docs = [issue(rt, make_order()) for _ in range(4)]
    sim.faults(http_500=-1)
    opened = 0
    for _ in range(120):  # one hour, a round every 30 s
        report = sender.send_round(rt, client=sim.client())
        opened += report.breaker_open
        clock.advance(seconds=30)
    during = sim.documents()["requests"]
    assert all(state(rt, d).state == ERROR_RED for d in docs)
    assert opened > 0  # the breaker stopped the calls for a while
    # 4 documents × 120 rounds would be 480 tries; backoff + breaker keep it far lower.
    assert 4 <= sum(during.values()) < 120, during
    sim.faults(http_500=0)
    for _ in range(200):
        clock.advance(seconds=30)
        sender.send_round(rt, client=sim.client())
        if all(state(rt, d).state == ACEPTADO for d in docs):
            break
    assert [state(rt, d).state for d in docs] == [ACEPTADO] * 4
    for d in docs:
        assert sim.doc(stem(d))["sends"] == 1  # exactly once
    with read_session(rt.engine) as session:
        attempts = session.exec(
            select(SunatSubmission).where(SunatSubmission.invoice_id == docs[0].id)
        ).all()
        assert attempts[-1].outcome == ACEPTADO
        assert all(a.outcome == ERROR_RED for a in attempts[:-1])


def test_answer_lost_after_accept_resolved_by_get_status_cdr(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    inv = issue(rt, make_order())
    sim.faults(drop_after_accept=1)  # SUNAT registers it, the answer never arrives
    sender.send_round(rt, client=sim.client())
    row = state(rt, inv)
    assert (row.state, row.in_doubt) == (ERROR_RED, True)
    clock.advance(seconds=60)
    sender.send_round(rt, client=sim.client())
    row = state(rt, inv)
    assert (row.state, row.sunat_code) == (ACEPTADO, "0")
    record = sim.doc(stem(inv))
    assert record["sends"] == 1 and record["duplicate_sends"] == 0
    assert sim.documents()["requests"].get("getStatusCdr") == 1


def test_worker_killed_between_send_and_store_resolved_by_get_status_cdr(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim
) -> None:
    inv = issue(rt, make_order())
    begun = sender._begin(rt, inv.id)  # transaction 1 committed: "enviado" + open attempt
    assert begun is not None
    sent, xml, ruc, _sub = begun
    sender._call(sim.client(), sent, xml, ruc)  # SUNAT accepted it ... and the worker dies
    assert state(rt, inv).state == ENVIADO
    report = sender.send_round(rt, client=sim.client())  # the restarted worker
    assert report.recovered == 1
    row = state(rt, inv)
    assert (row.state, row.sunat_code, row.in_doubt) == (ACEPTADO, "0", False)
    assert sim.doc(stem(inv))["sends"] == 1
    with read_session(rt.engine) as session:
        outcomes = [
            (s.operation, s.outcome)
            for s in session.exec(
                select(SunatSubmission)
                .where(SunatSubmission.invoice_id == inv.id)
                .order_by(SunatSubmission.attempt)  # type: ignore[arg-type]
            )
        ]
    assert outcomes == [("sendBill", "interrumpido"), ("getStatusCdr", ACEPTADO)]


def test_already_registered_1033_resolved_by_fetching_the_cdr(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim
) -> None:
    inv = issue(rt, make_order())
    with read_session(rt.engine) as session:
        xml = (
            session.exec(
                select(InvoiceFile).where(InvoiceFile.owner_id == inv.id, InvoiceFile.kind == "xml")
            )
            .one()
            .content
        )
    sim.client().send_bill(stem(inv) + ".zip", xml)  # an earlier send the edge never recorded
    sender.send_round(rt, client=sim.client())
    row = state(rt, inv)
    assert (row.state, row.number, row.sunat_code) == (ACEPTADO, 1, "0")
    assert row.cdr_path is not None
    record = sim.doc(stem(inv))
    assert record["duplicate_sends"] == 1  # SUNAT answered 1033 ...
    with read_session(rt.engine) as session:  # ... and no new number was taken
        assert session.exec(select(Invoice)).all()[0].number == 1
        assert len(session.exec(select(Invoice)).all()) == 1
    assert build_zip(stem(inv), xml)  # same bytes, same name


def test_rejection_stored_with_code_and_cdr(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    inv = issue(rt, make_order())
    sim.faults(reject=1, reject_code="2800")
    sender.send_round(rt, client=sim.client())
    row = state(rt, inv)
    assert (row.state, row.sunat_code) == (RECHAZADO, "2800")
    assert row.cdr_path is not None and (rt.settings.data_dir / row.cdr_path).exists()
    clock.advance(seconds=3600)
    assert sender.send_round(rt, client=sim.client()).sent == 0  # final: not retried
    with unit_of_work(rt.engine) as session:  # an operator may queue it again
        again = service.resend(session=session, clock=clock, invoice_id=inv.id)
        assert (again.state, again.in_doubt) == (POR_REENVIAR, True)


def test_no_endpoint_configured_keeps_documents_queued(
    rt: EdgeRuntime, make_order: MakeOrder
) -> None:
    inv = issue(rt, make_order())
    assert rt.settings.sunat_url is None
    report = sender.send_round(rt)
    assert report.sent == 0 and state(rt, inv).state == "pendiente"
