"""One explicit case per defect the generated SUNAT documents found (test_sunat_property.py).

Each fails on the code before the fix: SUNAT's XSD/XSL rules rejected or observed the
document, or rendering crashed (a 500 at the counter).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from domain.errors import LabError
from domain.sunat import (
    CreditNoteReason,
    Customer,
    DebitNoteReason,
    Document,
    DocumentReference,
    DocumentType,
    IdentityType,
    Line,
    VoidedDocument,
    VoidedLine,
    build_document,
    build_voided,
    check_document,
    check_voided,
)
from tests.domain.test_sunat_property import (
    ISSUE,
    ISSUER,
    SIGNER,
    check_signed,
    needs_sunat,
    sunat_problems,
)

D = Decimal

PERSON = Customer(IdentityType.DNI, "45678912", "MARÍA JOSEFINA ÑAHUI QUISPE")
COMPANY = Customer(IdentityType.RUC, "20100066603", "CORPORACIÓN ANDINA DE SALUD S.A.")


def _sale(doc_type: DocumentType = DocumentType.FACTURA, *items: Line, **kw: object) -> Document:
    series = "F001" if doc_type == DocumentType.FACTURA else "B001"
    customer = COMPANY if series == "F001" else PERSON
    fields: dict[str, object] = {"customer": customer, **kw}
    return Document(doc_type, series, 1, ISSUE, ISSUER, lines=items or (HEMOGRAMA,), **fields)  # type: ignore[arg-type]


def _note(original: Document, *items: Line, **kw: object) -> Document:
    fields: dict[str, object] = {
        "doc_type": DocumentType.NOTA_CREDITO,
        "number": 5,
        "lines": items,
        "global_discount": D("0"),
        "reference": DocumentReference(original.doc_type, original.series, original.number),
        "note_reason": CreditNoteReason.ANULACION_OPERACION,
        "note_description": "Anulación de la operación",
        **kw,
    }
    return dataclasses.replace(original, **fields)  # type: ignore[arg-type]


HEMOGRAMA = Line("HEM-001", "Hemograma completo", D(1), D("35.00"))


@needs_sunat
def test_defect_credit_note_line_discount_in_schema_order() -> None:
    """A total credit note of a sale with a line discount: CreditNoteLine carries
    cac:AllowanceCharge *after* cac:TaxTotal (the old order failed the XSD: rejection)."""
    discounted = Line("HEM-001", "Hemograma completo", D(2), D("35.00"), discount=D("7.00"))
    note = _note(_sale(DocumentType.BOLETA, discounted), discounted)
    assert check_signed(note) == []
    debit = dataclasses.replace(
        note, doc_type=DocumentType.NOTA_DEBITO, note_reason=DebitNoteReason.AUMENTO_VALOR
    )
    assert check_signed(debit) == []


@needs_sunat
def test_defect_global_discount_factor_on_a_large_base() -> None:
    """Rule 4322 (base × factor within ±1 of the amount) cannot hold with a 5-decimal factor
    on a base above ~S/ 200,000: the optional factor is left out instead."""
    items = tuple(Line(f"P{i}", "Perfil ejecutivo", D(5), D("9999.99")) for i in range(30))
    doc = _sale(DocumentType.FACTURA, *items, global_discount=D("82058.24"))
    assert check_signed(doc) == []
    small = _sale(DocumentType.FACTURA, HEMOGRAMA, global_discount=D("5.00"))
    xml = SIGNER.sign_tree(build_document(small)).xml
    assert b"<cbc:MultiplierFactorNumeric>0.14295<" in xml  # kept where it adds up (4.24/29.66)


@pytest.mark.parametrize("name", ["Lú", "Ñ", "   Ñ  ", "x"])
def test_defect_customer_name_under_three_characters_refused(name: str) -> None:
    """SUNAT rejects a RegistrationName under 3 characters (2022); refused before numbering."""
    for doc_type in (DocumentType.FACTURA, DocumentType.BOLETA):
        customer = dataclasses.replace(
            COMPANY if doc_type == DocumentType.FACTURA else PERSON, name=name
        )
        with pytest.raises(LabError) as err:
            check_document(_sale(doc_type, customer=customer))
        assert (err.value.code, err.value.loc) == ("customer_name_too_short", ["customer", "name"])
        assert "al menos 3 caracteres" in err.value.msg


@needs_sunat
def test_defect_long_name_fits_the_note_limit() -> None:
    """Notes allow 3-1000 characters of RegistrationName (facturas 1500): a 1200-character
    name passes on the factura and on its credit note."""
    customer = dataclasses.replace(COMPANY, name=("CLÍNICA ÑUÑOA & <ASOCIADOS> " * 50)[:1200])
    factura = _sale(DocumentType.FACTURA, customer=customer)
    assert check_signed(factura) == []
    assert check_signed(_note(factura, HEMOGRAMA)) == []


@pytest.mark.parametrize("text", ["Ana\x01 Pérez", "Ana\x00", "Ana\x0bPérez", "Ana\ufffe"])
def test_defect_control_characters_refused_not_crashing(text: str) -> None:
    """A control character made lxml raise ValueError (a 500) while rendering; now a 422."""
    cases = [
        (
            _sale(DocumentType.BOLETA, customer=dataclasses.replace(PERSON, name=text)),
            ["customer", "name"],
        ),
        (
            _sale(DocumentType.BOLETA, customer=dataclasses.replace(PERSON, address=text)),
            ["customer", "address"],
        ),
        (_sale(DocumentType.BOLETA, Line("A", text, D(1), D("10"))), ["lines", 0, "description"]),
        (_note(_sale(), HEMOGRAMA, note_description=text), ["note_description"]),
    ]
    for doc, loc in cases:
        with pytest.raises(LabError) as err:
            check_document(doc, remaining=D("100"))
        assert (err.value.code, err.value.loc) == ("text_not_allowed", loc)
    voided = VoidedDocument(
        ISSUER, ISSUE, ISSUE, 1, (VoidedLine(DocumentType.FACTURA, "F001", 1, text),)
    )
    with pytest.raises(LabError) as err:
        check_voided(voided)
    assert err.value.code == "text_not_allowed"


def test_defect_blank_item_description_refused() -> None:
    """An item without description is rejected by SUNAT (2026/2027): refused before numbering."""
    with pytest.raises(LabError) as err:
        check_document(_sale(DocumentType.BOLETA, Line("A", "  \t ", D(1), D("10"))))
    assert (err.value.code, err.value.loc) == (
        "line_description_required",
        ["lines", 0, "description"],
    )


def test_defect_one_character_note_description_refused() -> None:
    """DiscrepancyResponse/Description needs 2+ characters (2135, a rejection)."""
    with pytest.raises(LabError) as err:
        check_document(_note(_sale(), HEMOGRAMA, note_description=" x "), remaining=D("100"))
    assert (err.value.code, err.value.loc) == ("note_description_invalid", ["note_description"])


@needs_sunat
def test_defect_blank_note_description_falls_back_to_the_reason() -> None:
    note = _note(_sale(), HEMOGRAMA, note_description="   ")
    assert check_signed(note) == []
    xml = SIGNER.sign_tree(build_document(note)).xml
    assert "<cbc:Description>Anulación de la operación</cbc:Description>".encode() in xml


@needs_sunat
def test_defect_short_item_description_on_a_note() -> None:
    """A test called "K" passes on the boleta, but a note's item needs 3+ characters (4084):
    the note appends the item code."""
    potassium = Line("BIO-020", "K", D(1), D("18.00"))
    boleta = _sale(DocumentType.BOLETA, potassium)
    assert check_signed(boleta) == []
    note = _note(boleta, potassium)
    assert check_signed(note) == []
    assert (
        b"<cbc:Description>K (BIO-020)</cbc:Description>"
        in SIGNER.sign_tree(build_document(note)).xml
    )


@needs_sunat
@pytest.mark.parametrize("reason", ["no", "x", "Error de digitación"])
def test_defect_short_void_reason(reason: str) -> None:
    """VoidReasonDescription under 3 characters is observed (2314/4203): it goes out as
    "Anulación: no"; longer reasons are kept as they are."""
    voided = VoidedDocument(
        ISSUER, ISSUE, ISSUE, 1, (VoidedLine(DocumentType.FACTURA, "F001", 9, reason),)
    )
    check_voided(voided)
    xml = SIGNER.sign_tree(build_voided(voided)).xml
    assert sunat_problems(xml) == []
    expected = reason if len(reason) >= 3 else f"Anulación: {reason}"
    assert f"<sac:VoidReasonDescription>{expected}</sac:VoidReasonDescription>".encode() in xml


def test_defect_zero_line_in_boleta_refused() -> None:
    """A boleta line discounted to 0 (or priced 0) is rejected by SUNAT (3105): refused."""
    free = Line("HEM-002", "Grupo sanguíneo", D(1), D("15.00"), discount=D("15.00"))
    with pytest.raises(LabError) as err:
        check_document(_sale(DocumentType.BOLETA, HEMOGRAMA, free))
    assert (err.value.code, err.value.loc) == ("line_amount_zero", ["lines", 1])


@pytest.mark.parametrize("total", ["0.01", "0.02", "0.03"])
def test_defect_taxed_line_whose_igv_rounds_to_zero_refused(total: str) -> None:
    """A taxed line of S/ 0.01-0.03 has IGV 0.00, which SUNAT rejects (3111)."""
    tiny = Line("AJUSTE", "Descuento por reclamo", D(1), D(total))
    with pytest.raises(LabError) as err:
        check_document(_note(_sale(), tiny), remaining=D("100"))
    assert err.value.code == "line_amount_too_small"
    assert check_document(
        _note(_sale(), dataclasses.replace(tiny, unit_price=D("0.04"))), remaining=D("100")
    ).igv == D("0.01")
