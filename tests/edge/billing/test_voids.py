"""Comunicación de baja (RA) of accepted facturas, through the order-cancellation hook and the
worker's summary job, against the SUNAT simulator over real HTTP (and as a real process)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import select

from domain.clock import FixedClock
from edge.billing import hooks, sender, service, summaries, voids
from edge.billing.models import (
    ACEPTADO,
    ANULADO,
    ERROR_RED,
    RECHAZADO,
    Invoice,
    InvoiceFile,
    SunatSummary,
)
from edge.billing.sunat_client import SunatClient
from edge.config.models import Setting
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.conftest import BILL_PATH, CONSULT_PATH, CUSTOMER_RUC, RUC, Sim
from tests.edge.billing.helpers import invoice_row
from tests.edge.billing.test_issuing import sunat_errors
from tests.procs import free_port, running

MakeOrder = Callable[..., Order]
CLIENTE = ("6", CUSTOMER_RUC, "CLÍNICA ANDINA & ASOCIADOS S.A.C.")


def accepted_factura(rt: EdgeRuntime, make_order: MakeOrder, client: SunatClient) -> Invoice:
    order = make_order(document_type="01", customer=CLIENTE)
    with unit_of_work(rt.engine) as session:
        inv = service.issue_for_order(
            session=session, settings=rt.settings, clock=rt.clock, order=order
        )
    sender.send_round(rt, client=client)
    row = invoice_row(rt, inv.id)
    assert (row.doc_type, row.state) == ("01", ACEPTADO)
    return row


def cancel(rt: EdgeRuntime, inv: Invoice) -> None:
    """What ``POST /api/orders/{id}/cancel`` does for billing: the cancellation hook."""
    with unit_of_work(rt.engine) as session:
        order = session.get(Order, inv.order_id)
        assert order is not None
        order.status, order.cancel_reason = "anulada", "Paciente desistió"
        session.add(order)
        hooks.void_for_cancelled(session=session, order=order, user=None, clock=rt.clock)


def rounds(rt: EdgeRuntime, client: SunatClient, clock: FixedClock, n: int = 4) -> list[Any]:
    reports = []
    for _ in range(n):
        reports.append(summaries.summaries_round(rt, client=client))
        clock.advance(seconds=60)
    return reports


def notes_of(rt: EdgeRuntime, inv: Invoice) -> list[Invoice]:
    with read_session(rt.engine) as session:
        rows = list(
            session.exec(select(Invoice).where(Invoice.reference_invoice_id == inv.id)).all()
        )
        for r in rows:
            session.expunge(r)
        return rows


def ra_rows(rt: EdgeRuntime) -> list[SunatSummary]:
    with read_session(rt.engine) as session:
        rows = list(session.exec(select(SunatSummary).where(SunatSummary.kind == "RA")).all())
        for r in rows:
            session.expunge(r)
        return rows


def set_policy(rt: EdgeRuntime, **values: object) -> None:
    keys = {"mode": voids.SETTING_MODE, "days": voids.SETTING_DAYS}
    with unit_of_work(rt.engine) as session:
        for name, value in values.items():
            session.add(Setting(id=f"test-{name}", key=keys[name], value=value))


def test_accepted_factura_is_voided_by_a_comunicacion_de_baja(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    inv = accepted_factura(rt, make_order, sim.client())
    cancel(rt, inv)
    row = invoice_row(rt, inv.id)
    assert (row.state, row.void_requested) == (ACEPTADO, True)  # until SUNAT accepts the RA
    assert notes_of(rt, inv) == []  # no nota de crédito: the baja replaces it
    reports = rounds(rt, sim.client(), clock)
    assert reports[0].created == ["RA-20260310-101"] and len(reports[0].sent) == 1
    assert [list(r.polled.values()) for r in reports[1:3]] == [[98], [0]]
    (ra,) = ra_rows(rt)
    assert (ra.state, ra.status_code, ra.reference_date) == (ACEPTADO, 0, inv.business_date)
    assert invoice_row(rt, inv.id).state == ANULADO
    assert notes_of(rt, inv) == []
    assert sim.doc(f"{RUC}-01-{inv.series}-{inv.number}")["status"] == "anulado"
    base = rt.settings.data_dir / "documents" / "2026-03-10"
    assert (base / f"{RUC}-RA-20260310-101.xml").exists()
    assert (base / f"R-{RUC}-RA-20260310-101.zip").exists()
    cancel(rt, inv)  # a second cancellation changes nothing
    assert len(ra_rows(rt)) == 1 and notes_of(rt, inv) == []


def test_ra_xml_passes_sunat_rules(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, sunat_data: Path
) -> None:
    first = accepted_factura(rt, make_order, sim.client())
    second = accepted_factura(rt, make_order, sim.client())
    cancel(rt, first)
    cancel(rt, second)
    assert voids.build_due_voids(rt) == ["RA-20260310-101"]  # one RA, both facturas
    (ra,) = ra_rows(rt)
    assert [ln["invoice_id"] for ln in ra.lines] == [first.id, second.id]
    with read_session(rt.engine) as session:
        xml = session.exec(
            select(InvoiceFile).where(InvoiceFile.owner_id == ra.id, InvoiceFile.kind == "xml")
        ).one()
        filename, content = xml.filename, xml.content
    assert filename == f"{RUC}-RA-20260310-101.xml"
    assert sunat_errors(sunat_data, content) == []


def test_chain_that_always_uses_credit_notes(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    set_policy(rt, mode=voids.MODE_CREDIT_NOTE)
    inv = accepted_factura(rt, make_order, sim.client())
    cancel(rt, inv)
    (note,) = notes_of(rt, inv)
    assert (note.doc_type, note.series, note.note_reason, note.total) == (
        "07",
        "FC01",
        "01",
        inv.total,
    )
    assert invoice_row(rt, inv.id).void_requested is False
    assert rounds(rt, sim.client(), clock, n=1)[0].created == []


def test_outside_the_window_a_credit_note_is_issued(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    inv = accepted_factura(rt, make_order, sim.client())
    clock.advance(dt.timedelta(days=4))  # default window: 3 days after the issue date
    cancel(rt, inv)
    (note,) = notes_of(rt, inv)
    assert note.doc_type == "07" and invoice_row(rt, inv.id).void_requested is False
    assert ra_rows(rt) == []


def test_window_passed_before_the_worker_ran_credits_instead(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    set_policy(rt, days=1)
    inv = accepted_factura(rt, make_order, sim.client())
    cancel(rt, inv)  # inside the window, but the node stays offline two days
    clock.advance(dt.timedelta(days=2))
    assert voids.build_due_voids(rt) == []
    (note,) = notes_of(rt, inv)
    row = invoice_row(rt, inv.id)
    assert (row.state, row.void_requested, note.doc_type) == (ACEPTADO, False, "07")
    assert row.last_error is not None and "Plazo" in row.last_error


def test_ra_rejected_by_sunat_falls_back_to_a_credit_note(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    inv = accepted_factura(rt, make_order, sim.client())
    sim.faults(baja_days=0)  # SUNAT's window shorter than ours: the RA arrives late (2374)
    clock.advance(dt.timedelta(days=1))
    cancel(rt, inv)
    rounds(rt, sim.client(), clock)
    (ra,) = ra_rows(rt)
    assert (ra.state, ra.sunat_code, ra.status_code) == (RECHAZADO, "2374", 99)
    row = invoice_row(rt, inv.id)
    assert (row.state, row.void_requested) == (ACEPTADO, False)
    assert "2374" in (row.last_error or "")
    (note,) = notes_of(rt, inv)
    sender.send_round(rt, client=sim.client())
    assert invoice_row(rt, note.id).state == ACEPTADO  # the note goes like any other document


def test_network_errors_on_the_ra_are_retried(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    inv = accepted_factura(rt, make_order, sim.client())
    cancel(rt, inv)
    sim.faults(http_500=2, operations=["sendSummary"])
    summaries.summaries_round(rt, client=sim.client())
    (ra,) = ra_rows(rt)
    assert (ra.state, ra.attempts) == (ERROR_RED, 1)
    summaries.summaries_round(rt, client=sim.client())  # not due yet: backoff
    assert ra_rows(rt)[0].attempts == 1
    for _ in range(6):
        clock.advance(dt.timedelta(minutes=10))
        summaries.summaries_round(rt, client=sim.client())
    (ra,) = ra_rows(rt)
    assert (ra.state, ra.attempts) == (ACEPTADO, 3)
    assert invoice_row(rt, inv.id).state == ANULADO
    (registered,) = [t for t in sim.documents()["summaries"] if t["kind"] == "RA"]
    assert registered["sends"] == 1  # the two failures never reached SUNAT's registry


def test_boletas_keep_the_resumen_diario(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    """A boleta is never put in an RA: same-day unsent → RC condition 3; accepted → NC."""
    order = make_order()
    with unit_of_work(rt.engine) as session:
        boleta = service.issue_for_order(
            session=session, settings=rt.settings, clock=rt.clock, order=order
        )
    sender.send_round(rt, client=sim.client())
    cancel(rt, boleta)
    (note,) = notes_of(rt, boleta)
    assert note.series == "BC01"
    assert voids.build_due_voids(rt) == [] and ra_rows(rt) == []


def test_real_simulator_process_voids_a_factura(
    rt: EdgeRuntime, make_order: MakeOrder, clock: FixedClock, tmp_path: Path, sunat_data: Path
) -> None:
    """`labred sandbox sunat` as its own process, with SUNAT's XSD/XSL rules: the factura and
    its RA are both checked by the rules and the RA is applied."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (
        running(
            "sandbox",
            "sunat",
            "--port",
            str(port),
            "--sunat-data",
            str(sunat_data),
            ready_url=base + "/_sim/faults",
            log=tmp_path / "sim.log",
        ),
        httpx.Client() as http,
    ):
        client = SunatClient(
            http,
            endpoint_bill=base + BILL_PATH,
            endpoint_consult=base + CONSULT_PATH,
            username=RUC + "MODDATOS",
            password="MODDATOS",
            timeout=30.0,
        )
        inv = accepted_factura(rt, make_order, client)
        cancel(rt, inv)
        rounds(rt, client, clock)
        assert invoice_row(rt, inv.id).state == ANULADO
        (ra,) = ra_rows(rt)
        assert (ra.state, ra.sunat_code) == (ACEPTADO, "0")
        docs = http.get(base + "/_sim/documents").json()
    (doc,) = [d for d in docs["documents"] if d["series"] == inv.series]
    assert doc["status"] == "anulado"
