"""Issuing in the sale's transaction: rules first, gapless numbers, signed bytes, SUNAT files."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lxml import etree
from sqlmodel import select

from domain.clock import FixedClock
from domain.errors import Conflict, RuleViolation
from domain.sunat import CreditNoteReason, DocumentType, verify
from domain.sunat.signing import digest_value
from edge.billing import copies, hooks, service
from edge.billing.models import (
    ACEPTADO,
    PENDIENTE,
    SEND_SUMMARY,
    Invoice,
    InvoiceFile,
    InvoiceLine,
    SeriesCounter,
)
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.conftest import CUSTOMER_RUC, RUC, D, add_order
from tests.edge.billing.helpers import issue

MakeOrder = Callable[..., Order]


def numbers(rt: EdgeRuntime, series: str) -> list[int]:
    with read_session(rt.engine) as session:
        return sorted(session.exec(select(Invoice.number).where(Invoice.series == series)).all())


def xml_of(rt: EdgeRuntime, inv: Invoice) -> bytes:
    with read_session(rt.engine) as session:
        row = session.exec(
            select(InvoiceFile).where(InvoiceFile.owner_id == inv.id, InvoiceFile.kind == "xml")
        ).one()
        return row.content


def test_boleta_for_a_paid_order(rt: EdgeRuntime, make_order: MakeOrder) -> None:
    order = make_order()
    inv = issue(rt, order)
    assert (inv.doc_type, inv.series, inv.number) == ("03", "B001", 1)
    assert inv.state == PENDIENTE and inv.order_id == order.id
    assert inv.total == D("60.00") and inv.igv == D("9.15") and inv.gravado == D("50.85")
    assert inv.customer_doc_number == "45678912"
    assert inv.customer_name == "María Josefina Ñahui Quispe"
    assert inv.business_date == dt.date(2026, 3, 10)
    assert inv.deadline == dt.date(2026, 3, 11)
    with read_session(rt.engine) as session:
        lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)).all()
        got = [(ln.code, ln.quantity, ln.total) for ln in lines]
    assert got == [
        ("HEM-001", 1, D("35.00")),
        ("BIO-010", 2, D("25.00")),
    ]


def test_signed_bytes_kept_in_db_and_file_with_sunat_name(
    rt: EdgeRuntime, make_order: MakeOrder
) -> None:
    inv = issue(rt, make_order())
    xml = xml_of(rt, inv)
    path = rt.settings.data_dir / "documents" / "2026-03-10" / f"{RUC}-03-B001-1.xml"
    assert inv.xml_path == f"documents/2026-03-10/{RUC}-03-B001-1.xml"
    assert not path.exists()  # the file is the worker's (billing.copies)
    assert copies.write_new(rt) == 1
    assert path.read_bytes() == xml  # the exact signed bytes
    assert digest_value(xml) == inv.digest_value  # the hash printed is the one signed
    assert verify(xml) == inv.digest_value
    root = etree.fromstring(xml)
    assert root.findtext("{*}ID") == "B001-1"


def test_factura_needs_ruc_refused_before_numbering(rt: EdgeRuntime, make_order: MakeOrder) -> None:
    order = make_order(document_type="01")  # patient with DNI, no RUC
    with pytest.raises(RuleViolation) as err:
        issue(rt, order)
    assert err.value.code == "invoice_requires_ruc"
    with read_session(rt.engine) as session:
        assert session.get(SeriesCounter, "F001") is None  # no number was taken
    ok = make_order(document_type="01", customer=("6", CUSTOMER_RUC, "CORPORACIÓN ANDINA S.A."))
    inv = issue(rt, ok)
    assert (inv.series, inv.number, inv.customer_doc_number) == ("F001", 1, CUSTOMER_RUC)
    assert inv.deadline == dt.date(2026, 3, 13)  # 3 calendar days from the day after


def test_anonymous_boleta_above_700_refused(rt: EdgeRuntime, make_order: MakeOrder) -> None:
    order = make_order(
        items=(("PRF-900", "Perfil ejecutivo", 1, "750.00"),), patient_doc=("0", "-")
    )
    with pytest.raises(RuleViolation) as err:
        issue(rt, order)
    assert err.value.code == "boleta_requires_customer"
    assert numbers(rt, "B001") == []


def test_numbers_gapless_and_rollback_leaves_no_gap(
    rt: EdgeRuntime, make_order: MakeOrder, clock: FixedClock
) -> None:
    issue(rt, make_order())
    issue(rt, make_order())

    class Boom(Exception):
        pass

    with pytest.raises(Boom), unit_of_work(rt.engine) as session:  # the sale fails after issuing
        order = add_order(session, clock)
        inv = service.issue_for_order(
            session=session, settings=rt.settings, clock=clock, order=order
        )
        assert inv.number == 3
        raise Boom
    assert not (rt.settings.data_dir / "documents" / "2026-03-10" / f"{RUC}-03-B001-3.xml").exists()
    issue(rt, make_order())
    assert numbers(rt, "B001") == [1, 2, 3]
    with read_session(rt.engine) as session:
        counter = session.get(SeriesCounter, "B001")
        assert counter is not None and counter.last_number == 3


def test_second_document_for_the_same_order_refused(rt: EdgeRuntime, make_order: MakeOrder) -> None:
    order = make_order()
    issue(rt, order)
    with pytest.raises(Conflict) as err:
        issue(rt, order)
    assert err.value.code == "order_already_invoiced"


def test_global_discount_and_convenio_part(rt: EdgeRuntime, make_order: MakeOrder) -> None:
    order = make_order(discount="10.00", covered="20.00")
    inv = issue(rt, order)
    assert inv.total == D("30.00")  # 60 - 10 discount - 20 billed to the convenio
    assert inv.global_discount == D("30.00")


def test_hook_issues_when_paid_and_not_before(rt: EdgeRuntime, clock: FixedClock) -> None:
    with unit_of_work(rt.engine) as session:
        unpaid = add_order(session, clock, paid=False)
        hooks.issue_if_paid(session=session, order=unpaid, user=None, clock=clock)
        paid = add_order(session, clock)
        hooks.issue_if_paid(session=session, order=paid, user=None, clock=clock)
        hooks.issue_if_paid(session=session, order=paid, user=None, clock=clock)  # idempotent
    with read_session(rt.engine) as session:
        assert service.by_order(session, unpaid.id) == []
        docs = [d.full_number for d in service.by_order(session, paid.id)]
    assert docs == ["B001-1"]


def _accept(rt: EdgeRuntime, inv: Invoice) -> None:
    with unit_of_work(rt.engine) as session:
        row = session.get(Invoice, inv.id)
        assert row is not None
        row.state = ACEPTADO
        session.add(row)


def credit(rt: EdgeRuntime, inv: Invoice, **kw: Any) -> Invoice:
    kw.setdefault("reason", CreditNoteReason.DESCUENTO_GLOBAL)
    kw.setdefault("description", "Descuento por reclamo")
    with unit_of_work(rt.engine) as session:
        return service.credit_note(
            session=session, settings=rt.settings, clock=rt.clock, invoice_id=inv.id, **kw
        )


def test_credit_note_series_letter_and_limits(rt: EdgeRuntime, make_order: MakeOrder) -> None:
    boleta = issue(rt, make_order())
    with pytest.raises(RuleViolation) as err:
        credit(rt, boleta, amount=D("5.00"))
    assert err.value.code == "reference_not_accepted"
    _accept(rt, boleta)
    nc = credit(rt, boleta, amount=D("20.00"))
    assert (nc.doc_type, nc.series, nc.number) == ("07", "BC01", 1)
    assert nc.reference_series == "B001" and nc.total == D("20.00")
    with pytest.raises(RuleViolation) as err:
        credit(rt, boleta, amount=D("40.01"))
    assert err.value.code == "credit_note_exceeds_remaining"
    assert numbers(rt, "BC01") == [1]  # refused before numbering
    rest = credit(rt, boleta, reason=CreditNoteReason.ANULACION_OPERACION)
    assert rest.total == D("40.00")
    with pytest.raises(RuleViolation):
        credit(rt, boleta, amount=D("0.01"))

    factura = issue(rt, make_order(document_type="01", customer=("6", CUSTOMER_RUC, "ANDINA S.A.")))
    _accept(rt, factura)
    whole = credit(rt, factura, reason=CreditNoteReason.ANULACION_OPERACION)
    assert (whole.series, whole.total) == ("FC01", factura.total)


def test_cancel_same_day_unsent_boleta_voids_via_summary(
    rt: EdgeRuntime, make_order: MakeOrder
) -> None:
    boleta = issue(rt, make_order())
    with unit_of_work(rt.engine) as session:
        order = session.get(Order, boleta.order_id)
        assert order is not None
        hooks.void_for_cancelled(session=session, order=order, user=None, clock=rt.clock)
        inv = session.get(Invoice, boleta.id)
        assert inv is not None
        assert inv.void_requested and inv.send_mode == SEND_SUMMARY and inv.next_attempt_at is None
        assert service.by_order(session, order.id) == [inv]  # never deleted, no note


def test_cancel_factura_issues_credit_note(rt: EdgeRuntime, make_order: MakeOrder) -> None:
    factura = issue(rt, make_order(document_type="01", customer=("6", CUSTOMER_RUC, "ANDINA S.A.")))
    with unit_of_work(rt.engine) as session:
        order = session.get(Order, factura.order_id)
        assert order is not None
        hooks.void_for_cancelled(session=session, order=order, user=None, clock=rt.clock)
    with read_session(rt.engine) as session:
        docs = service.by_order(session, factura.order_id or "")
        assert [(d.doc_type, d.series, d.total) for d in docs] == [
            ("01", "F001", D("60.00")),
            ("07", "FC01", D("60.00")),
        ]
        assert docs[1].note_reason == "01" and docs[1].reference_invoice_id == factura.id


# --------------------------------------------------------------------- SUNAT's own rules


def _validator(sunat_data: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "sunat_validate_billing", sunat_data / "validate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sunat_errors(sunat_data: Path, xml: bytes) -> list[str]:
    v = _validator(sunat_data)
    doc = etree.fromstring(xml, v._parser()).getroottree()
    info = v.detect(doc.getroot())
    assert info is not None
    _rel, xsd = v.check_xsd(doc, info, str(sunat_data))
    _rel, errors, warnings, _note = v.check_rules(
        doc, info, str(sunat_data), info.sunat_filename(), False
    )
    state, problem = v.check_digest(doc)
    return [*xsd, *errors, *(f"{c}: {m}" for c, m in warnings), *([problem] if problem else [])]


def test_every_emitted_document_passes_sunat_rules(
    rt: EdgeRuntime, make_order: MakeOrder, sunat_data: Path
) -> None:
    boleta = issue(rt, make_order(discount="5.00"))
    factura = issue(
        rt,
        make_order(
            document_type="01",
            customer=("6", CUSTOMER_RUC, "SALUD & VIDA <ANDINA> S.A.C."),
            items=(("PRF-100", "Perfil lipídico (colesterol, HDL, LDL)", 3, "89.90"),),
        ),
    )
    _accept(rt, boleta)
    _accept(rt, factura)
    notes = [
        credit(rt, boleta, amount=D("10.00")),
        credit(rt, factura, reason=CreditNoteReason.ANULACION_OPERACION),
    ]
    for inv in [boleta, factura, *notes]:
        assert sunat_errors(sunat_data, xml_of(rt, inv)) == [], inv.full_number
    assert DocumentType(notes[1].doc_type) == DocumentType.NOTA_CREDITO
