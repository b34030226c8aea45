"""QA: the edge's billing corners the generated sales found, one explicit case each.

Every document issued here goes through SUNAT's XSD + XSL rules
(:func:`tests.domain.test_sunat_property.sunat_problems`), and every refusal is a 4xx with a
Spanish message, a stable code and the field, leaving nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from domain.errors import LabError
from domain.permissions import Role
from domain.sunat import CreditNoteReason
from edge.billing import service
from edge.billing.models import ACEPTADO, Invoice, InvoiceFile
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.domain.test_sunat_property import needs_sunat, sunat_problems, totals_problems
from tests.edge.billing.helpers import issue
from tests.edge.orders.helpers import count_rows, load_catalog, make_patient, seller, sid

D = Decimal
MakeOrder = Callable[..., Order]


def _accept(rt: EdgeRuntime, inv: Invoice) -> None:
    with unit_of_work(rt.engine) as session:
        row = session.get(Invoice, inv.id)
        assert row is not None
        row.state = ACEPTADO
        session.add(row)


def _clean(rt: EdgeRuntime, inv: Invoice | str) -> list[str]:
    owner = inv if isinstance(inv, str) else inv.id
    with read_session(rt.engine) as session:
        xml = session.exec(select(InvoiceFile).where(InvoiceFile.owner_id == owner)).one().content
    return sunat_problems(xml) + totals_problems(xml)


@needs_sunat
def test_whole_credit_note_spreads_the_convenio_part_within_each_line(
    rt: EdgeRuntime, make_order: MakeOrder
) -> None:
    """Lines 21.32 + 24.33 + 20.51 + 0.88 with S/ 66.86 covered by the convenio: the old
    proportional split gave the last line a share of 0.89 > 0.88 and the anulación failed
    (422 ``line_discount``); now each share stays within its line and adds up exactly."""
    order = make_order(
        items=(
            ("HEM-001", "Hemograma completo", 1, "21.32"),
            ("BIO-010", "Glucosa basal", 1, "24.33"),
            ("BIO-020", "Perfil hepático", 1, "20.51"),
            ("BIO-030", "Potasio", 1, "0.88"),
        ),
        covered="66.86",
    )
    boleta = issue(rt, order)
    assert boleta.total == D("0.18") and _clean(rt, boleta) == []
    _accept(rt, boleta)
    with unit_of_work(rt.engine) as session:
        note = service.credit_note(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            invoice_id=boleta.id,
            reason=CreditNoteReason.ANULACION_OPERACION,
            description="Anulación de la operación",
        )
    assert note.total == boleta.total
    assert _clean(rt, note) == []


@needs_sunat
def test_whole_credit_note_of_a_discounted_sale_passes_the_schema(
    rt: EdgeRuntime, make_order: MakeOrder
) -> None:
    """A total credit note of a sale with a global discount carries the discount on its lines;
    CreditNoteLine/cac:AllowanceCharge went before cac:TaxTotal and failed SUNAT's XSD."""
    boleta = issue(rt, make_order(discount="6.00"))
    _accept(rt, boleta)
    with unit_of_work(rt.engine) as session:
        note = service.credit_note(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            invoice_id=boleta.id,
            reason=CreditNoteReason.DEVOLUCION_TOTAL,
            description="Devolución total",
        )
    assert note.total == boleta.total == D("54.00")
    assert _clean(rt, note) == []


@needs_sunat
def test_item_that_charges_nothing_is_not_billed(rt: EdgeRuntime, make_order: MakeOrder) -> None:
    """An item priced 0 (courtesy test) made a boleta line without taxable amount, which SUNAT
    rejects (3105); the item is left out of the document, the sale still gets its boleta."""
    order = make_order(
        items=(
            ("HEM-001", "Hemograma completo", 1, "35.00"),
            ("HEM-002", "Grupo sanguíneo (cortesía)", 1, "0.00"),
        )
    )
    boleta = issue(rt, order)
    assert boleta.total == D("35.00")
    with read_session(rt.engine) as session:
        assert [ln.code for ln in service.lines_of(session, boleta.id)] == ["HEM-001"]
    assert _clean(rt, boleta) == []


def _sell(client: Any, headers: dict[str, str], rt: EdgeRuntime, **customer: str) -> Any:
    patient = make_patient(rt)
    body = {
        "patient_id": patient.id,
        "items": [sid("HEM-001")],
        "document_type": "03",
        "customer": {"doc_type": "1", "doc_number": "45678912", **customer},
        "payments": [{"method": "tarjeta", "amount": "35.00", "reference": "OP-1"}],
    }
    return client.post("/api/orders", json=body, headers=headers)


@pytest.mark.parametrize(
    ("name", "code", "loc"),
    [
        ("Lú", "customer_name_too_short", ["customer", "name"]),
        ("Ana\u0001Pérez", "text_not_allowed", ["customer", "name"]),
    ],
)
def test_unrenderable_customer_name_is_a_422_not_a_500(
    edge_runtime: EdgeRuntime, edge_client: Any, name: str, code: str, loc: list[str]
) -> None:
    """A control character crashed the XML writer inside the sale (500); a 2-letter name made a
    boleta SUNAT rejects (2022). Both are a 422 with the field, and no order is saved."""
    load_catalog(edge_runtime)
    _user, headers = seller(edge_runtime, Role.ADMIN)
    before = count_rows(edge_runtime, "invoice"), count_rows(edge_runtime, "lab_order")
    resp = _sell(edge_client, headers, edge_runtime, name=name)
    assert resp.status_code == 422, resp.text
    detail = resp.json()["detail"][0]
    assert (detail["type"], detail["loc"]) == (code, loc)
    assert detail["msg"] and "Traceback" not in resp.text
    assert (count_rows(edge_runtime, "invoice"), count_rows(edge_runtime, "lab_order")) == before
    ok = _sell(edge_client, headers, edge_runtime, name="  Ana Lú  ")
    assert ok.status_code == 201, ok.text


def test_one_character_note_description_refused_before_numbering(
    rt: EdgeRuntime, make_order: MakeOrder
) -> None:
    """SUNAT rejects a sustento of 1 character (2135): 422 and no number is taken."""
    boleta = issue(rt, make_order())
    _accept(rt, boleta)
    with pytest.raises(LabError) as err, unit_of_work(rt.engine) as session:
        service.credit_note(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            invoice_id=boleta.id,
            reason=CreditNoteReason.DESCUENTO_GLOBAL,
            description="x",
            amount=D("5.00"),
        )
    assert err.value.code == "note_description_invalid"
    with read_session(rt.engine) as session:
        notes = session.exec(select(Invoice).where(Invoice.doc_type == "07")).all()
    assert notes == []


@needs_sunat
@pytest.mark.parametrize("percent", ["99.00", "100.00"])
def test_item_discounted_below_four_centimos_keeps_its_price(
    edge_runtime: EdgeRuntime, edge_client: Any, percent: str
) -> None:
    """Items at S/ 100.00 and S/ 1.00 with a 99 % order discount leave the second at S/ 0.01,
    whose IGV rounds to 0.00 (SUNAT 3111): the sale was refused. Now that item is billed at
    its price and its discount joins the global one; the boleta's total is the order's. At
    100 % nothing is owed and no boleta is issued."""
    load_catalog(edge_runtime)
    _user, headers = seller(edge_runtime, Role.ADMIN)
    patient = make_patient(edge_runtime)
    body: dict[str, Any] = {
        "patient_id": patient.id,
        "items": [
            {"service_id": sid("HEM-001"), "unit_price": "100.00", "override_reason": "QA"},
            {"service_id": sid("BIO-010"), "unit_price": "1.00", "override_reason": "QA"},
        ],
        "discount": {"kind": "percent", "value": percent, "reason": "Campaña QA"},
        "document_type": "03",
    }
    resp = edge_client.post("/api/orders", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert D(order["total"]) == (D("1.01") if percent == "99.00" else D("0.00"))
    if percent == "99.00":
        pay = {"payments": [{"method": "tarjeta", "amount": "1.01", "reference": "OP-9"}]}
        paid = edge_client.post(f"/api/orders/{order['id']}/payments", json=pay, headers=headers)
        assert paid.status_code == 201, paid.text
    with read_session(edge_runtime.engine) as session:
        docs = service.by_order(session, order["id"])
        lines = [
            (ln.unit_price, ln.discount) for d in docs for ln in service.lines_of(session, d.id)
        ]
        amounts = [(d.total, d.global_discount, d.id) for d in docs]
    if percent == "100.00":
        assert docs == []
        return
    assert [a[:2] for a in amounts] == [(D("1.01"), D("0.99"))]
    assert lines == [(D("100.00"), D("99.00")), (D("1.00"), D("0.00"))]
    assert _clean(edge_runtime, str(amounts[0][2])) == []
