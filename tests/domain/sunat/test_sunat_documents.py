"""Every document type and a matrix of scenarios, signed, through SUNAT's own XSD + XSL rules.

Each case must give no error and no observation in ``../shared/sunat/validate.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from domain.sunat.catalogs import (
    CreditNoteReason,
    DebitNoteReason,
    DocumentType,
    IdentityType,
    IgvAffectation,
    SummaryCondition,
    UnitCode,
)
from domain.sunat.models import (
    Customer,
    Detraccion,
    Document,
    Installment,
    PaymentTerms,
    SummaryDocument,
    VoidedDocument,
    VoidedLine,
)
from domain.sunat.rules import check_document, check_summary, check_voided
from domain.sunat.signing import Signer
from domain.sunat.totals import document_totals
from domain.sunat.ubl import (
    NS_CBC,
    render,
    summary_line_from_document,
    sunat_filename,
)

from .conftest import Checker
from .factories import (
    ANONYMOUS,
    GLUCOSA,
    HEMOGRAMA,
    ISSUE_DATE,
    ISSUER,
    PERFIL,
    D,
    doc,
    line,
    ref,
)

F, B = DocumentType.FACTURA, DocumentType.BOLETA
NC, ND = DocumentType.NOTA_CREDITO, DocumentType.NOTA_DEBITO
A = IgvAffectation

LONG_NAME = (
    "ASOCIACIÓN DE BENEFICENCIA «SEÑOR DE LOS MILAGROS» & HERMANOS <PEÑA> — CLÍNICA"
    " DE ESPECIALIDADES MÉDICAS, DIAGNÓSTICO POR IMÁGENES Y LABORATORIO ÑUÑOA E.I.R.L."
)
AMPERSAND_COMPANY = Customer(IdentityType.RUC, "20100066603", LONG_NAME, "AV. <SIN NÚMERO> & JR. B")
CREDIT = PaymentTerms.credito(
    Installment(D("500.00"), dt.date(2025, 4, 14)),
    Installment(D("680.00"), dt.date(2025, 5, 14)),
)


#: Export and IVAP (rice) adjustments: SUNAT requires export / IVAP lines; rules refuse them.
NOT_FOR_A_LAB = (CreditNoteReason.AJUSTE_EXPORTACION, CreditNoteReason.AJUSTE_IVAP)


def _note(
    doc_type: DocumentType,
    reason: CreditNoteReason | DebitNoteReason,
    lines: tuple = (HEMOGRAMA,),
    original: DocumentType = F,
    **kw: Any,
) -> Document:
    series = (
        ("FC01" if doc_type == NC else "FD01")
        if original == F
        else ("BC01" if doc_type == NC else "BD01")
    )
    return doc(
        doc_type,
        lines,
        series=series,
        reference=ref(original),
        note_reason=reason,
        note_description=reason.label,
        **kw,
    )


def _scenarios() -> dict[str, Callable[[], Document | SummaryDocument | VoidedDocument]]:
    s: dict[str, Callable[[], Document | SummaryDocument | VoidedDocument]] = {
        "factura-simple": lambda: doc(F),
        "factura-quantities": lambda: doc(
            F, (line("12.50", "3"), line("35.00", "12"), line("0.10", "7"))
        ),
        "factura-fractional-qty": lambda: doc(F, (line("19.99", "2.5", unit=UnitCode.NIU),)),
        "factura-line-discount": lambda: doc(F, (line("35.00", "2", discount="7.00"), GLUCOSA)),
        "factura-global-discount": lambda: doc(F, (HEMOGRAMA, PERFIL), global_discount=D("12.90")),
        "factura-line-and-global-discount": lambda: doc(
            F, (line("89.90", "3", discount="20.00"), GLUCOSA), global_discount=D("5.55")
        ),
        "factura-exonerado": lambda: doc(F, (line("50.00", aff=A.EXONERADO),)),
        "factura-inafecto": lambda: doc(F, (line("80.00", "2", aff=A.INAFECTO),)),
        "factura-exonerado-global-discount": lambda: doc(
            F,
            (line("50.00", aff=A.EXONERADO), line("30.00", aff=A.INAFECTO)),
            global_discount=D("8.00"),
        ),
        "factura-mixed-kinds": lambda: doc(
            F,
            (
                HEMOGRAMA,
                line("40.00", "2", A.EXONERADO, discount="5.00"),
                line("25.00", aff=A.INAFECTO),
                line("18.00", aff=A.GRAVADO_BONIFICACION),
            ),
        ),
        "factura-mixed-global-discount": lambda: doc(
            F, (HEMOGRAMA, PERFIL, line("40.00", aff=A.EXONERADO)), global_discount=D("20.00")
        ),
        "factura-free-items": lambda: doc(
            F,
            (
                PERFIL,
                line("35.00", aff=A.GRAVADO_RETIRO_PREMIO),
                line("20.00", aff=A.EXONERADO_GRATUITO),
                line("15.00", "2", A.INAFECTO_MUESTRAS_MEDICAS),
            ),
        ),
        "factura-price-before-igv": lambda: doc(
            F,
            (
                line("100.00", "3", includes_igv=False, discount="10.00"),
                line("7.33", "9", includes_igv=False),
            ),
        ),
        "factura-large-amounts": lambda: doc(
            F, (line("1234567.89", "80"), line("99999.99", "150", A.EXONERADO)), payment_terms=None
        ),
        "factura-credit": lambda: doc(F, (line("590.00", "2"),), payment_terms=CREDIT),
        "factura-detraccion": lambda: doc(
            F,
            (line("1500.00"),),
            detraccion=Detraccion(account="00-000-123456", percent=D("12")),
        ),
        "factura-detraccion-credit": lambda: doc(
            F,
            (line("1500.00"),),
            detraccion=Detraccion(account="00-000-123456", percent=D("12")),
            payment_terms=PaymentTerms.credito(Installment(D("1320.00"), dt.date(2025, 4, 30))),
        ),
        "factura-special-chars": lambda: doc(
            F,
            (line("45.00", desc="Prueba <especial> & «urgente» — niño/niña, 2.º control"),),
            customer=AMPERSAND_COMPANY,
            observations="Paciente derivado por convenio «A&B» <prioridad>",
        ),
        "boleta-dni": lambda: doc(B),
        "boleta-anonymous": lambda: doc(B, (HEMOGRAMA,), customer=ANONYMOUS),
        "boleta-carnet-extranjeria": lambda: doc(
            B, customer=Customer(IdentityType.CARNET_EXTRANJERIA, "001234567", "JOSÉ GONZÁLEZ")
        ),
        "boleta-pasaporte": lambda: doc(
            B, customer=Customer(IdentityType.PASAPORTE, "AB1234567", "JOHN O'NEIL & SONS <US>")
        ),
        "boleta-mixed-discounts-free": lambda: doc(
            B,
            (
                line("35.00", "2", discount="3.50"),
                line("40.00", aff=A.EXONERADO),
                line("22.00", aff=A.INAFECTO),
                line("12.50", aff=A.GRAVADO_BONIFICACION),
            ),
            global_discount=D("4.00"),
        ),
        "boleta-large-identified": lambda: doc(B, (line("850.00", "3"),)),
        "boleta-long-names": lambda: doc(
            B,
            (line("35.00", desc="Á" * 20 + " " + LONG_NAME),),
            customer=Customer(IdentityType.DNI, "45678912", LONG_NAME),
        ),
        "debit-note-mora": lambda: _note(ND, DebitNoteReason.INTERESES_MORA, (line("15.00"),)),
        "debit-note-aumento": lambda: _note(
            ND, DebitNoteReason.AUMENTO_VALOR, (line("20.00", "2"),)
        ),
        "debit-note-penalidad": lambda: _note(
            ND, DebitNoteReason.PENALIDADES, (line("50.00", aff=A.INAFECTO),)
        ),
        "debit-note-boleta": lambda: _note(ND, DebitNoteReason.AUMENTO_VALOR, (line("10.00"),), B),
        "credit-note-boleta": lambda: _note(
            NC, CreditNoteReason.ANULACION_OPERACION, (HEMOGRAMA, GLUCOSA), B
        ),
        "credit-note-13-payment-dates": lambda: _note(
            NC,
            CreditNoteReason.AJUSTE_MONTOS_FECHAS_PAGO,
            (line("0.00"),),
            payment_terms=PaymentTerms.credito(Installment(D("1180.00"), dt.date(2025, 6, 30))),
        ),
    }
    for reason in CreditNoteReason:
        if reason in NOT_FOR_A_LAB or reason == CreditNoteReason.AJUSTE_MONTOS_FECHAS_PAGO:
            continue
        lines = (line("35.00", "2"), line("12.50", aff=A.EXONERADO))
        s[f"credit-note-{reason.value}"] = functools.partial(_note, NC, reason, lines)
    s["summary-conditions"] = _summary
    s["voided-facturas"] = lambda: VoidedDocument(
        issuer=ISSUER,
        issue_date=ISSUE_DATE + dt.timedelta(days=1),
        reference_date=ISSUE_DATE,
        correlative=1,
        lines=(
            VoidedLine(F, "F001", 15, "Error en el RUC del cliente & <datos>"),
            VoidedLine(NC, "FC01", 3, "Anulación de la operación"),
        ),
    )
    return s


def _summary() -> SummaryDocument:
    b1 = doc(B, number=11)
    b2 = doc(B, (line("1200.00", "1"),), number=12)
    b3 = doc(B, (HEMOGRAMA,), number=13, customer=ANONYMOUS)
    b4 = doc(
        B,
        (
            line("40.00", aff=A.EXONERADO),
            line("22.00", aff=A.INAFECTO),
            line("9.00", aff=A.GRAVADO_BONIFICACION),
        ),
        number=14,
    )
    nc = _note(NC, CreditNoteReason.DEVOLUCION_ITEM, (GLUCOSA,), B)
    return SummaryDocument(
        issuer=ISSUER,
        issue_date=ISSUE_DATE + dt.timedelta(days=1),
        reference_date=ISSUE_DATE,
        correlative=1,
        lines=(
            summary_line_from_document(b1, SummaryCondition.ADD),
            summary_line_from_document(b2, SummaryCondition.MODIFY),
            summary_line_from_document(b3, SummaryCondition.VOID),
            summary_line_from_document(b4, SummaryCondition.ADD),
            summary_line_from_document(nc, SummaryCondition.ADD),
        ),
    )


SCENARIOS = _scenarios()

#: Observations SUNAT's published factura sheet raises on *every* crédito factura: rule 3249
#: ("debe existir al menos una cuota") counts ``cac:PaymentTerms[...Cuota...]`` relative to
#: the ``cac:PaymentTerms`` node it is matching, where no such child can exist (the UBL
#: schema has no nested PaymentTerms), so the count is always 0. Observations (>= 4000 or
#: flagged as such) do not reject the document; the Cuota terms are present and checked by
#: rules 3252-3267 above, which pass.
KNOWN_SHEET_OBSERVATIONS = {
    "factura-credit": {"3249"},
    "factura-detraccion-credit": {"3249"},
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_signed_document_passes_sunat_rules(
    name: str, signer: Signer, sunat_check: Checker
) -> None:
    model = SCENARIOS[name]()
    if isinstance(model, Document):
        remaining = Decimal("1000000000") if model.doc_type == NC else None
        check_document(model, remaining=remaining, detraccion_enabled=True)
    elif isinstance(model, SummaryDocument):
        check_summary(model)
    else:
        check_voided(model)
    signed = signer.sign(render(model))
    errors, observations = sunat_check(signed.xml)
    assert errors == [], f"{name}: SUNAT errors {errors}"
    expected = KNOWN_SHEET_OBSERVATIONS.get(name, set())
    assert {o.split(":", 1)[0] for o in observations} == expected, (
        f"{name}: SUNAT observations {observations}"
    )
    assert len(observations) == len(expected), observations


def test_every_document_type_is_covered() -> None:
    kinds = {type(f()).__name__ + ":" + getattr(f(), "doc_type", "") for f in SCENARIOS.values()}
    assert {"Document:01", "Document:03", "Document:07", "Document:08"} <= kinds
    assert {"SummaryDocument:", "VoidedDocument:"} <= kinds
    reasons = {getattr(f(), "note_reason", None) for f in SCENARIOS.values()}
    assert set(CreditNoteReason) - set(NOT_FOR_A_LAB) <= reasons


def test_amounts_in_xml_add_up_to_the_cent() -> None:
    """The rendered totals equal the computed ones (no ±1 tolerance on our side)."""
    d = SCENARIOS["factura-mixed-global-discount"]()
    assert isinstance(d, Document)
    t = document_totals(d)
    root = etree.fromstring(render(d))
    ns = {
        "cbc": NS_CBC,
        "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    }
    payable = D(root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=ns))
    assert (
        payable == t.payable == HEMOGRAMA.unit_price + PERFIL.unit_price + D("40.00") - D("20.00")
    )
    assert t.gravado + t.igv == HEMOGRAMA.unit_price + PERFIL.unit_price - D("20.00")


def test_text_values_are_not_pretty_printed(signer: Signer) -> None:
    xml = signer.sign(render(doc(F))).xml
    assert b"\n    <" not in xml
    root = etree.fromstring(xml)
    for el in root.iter():
        if (
            el.text is not None
            and len(el) == 0
            and el.tag != "{http://www.w3.org/2000/09/xmldsig#}X509Certificate"
        ):
            assert el.text == el.text.strip(), el.tag


def test_special_characters_survive_escaping(signer: Signer) -> None:
    d = SCENARIOS["factura-special-chars"]()
    assert isinstance(d, Document)
    root = etree.fromstring(signer.sign(render(d)).xml)
    names = root.xpath("//cbc:RegistrationName/text()", namespaces={"cbc": NS_CBC})
    assert " ".join(LONG_NAME.split()) in names


def test_boleta_has_no_payment_terms_and_factura_has() -> None:
    ns = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}
    assert etree.fromstring(render(doc(B))).findall("cac:PaymentTerms", ns) == []
    assert len(etree.fromstring(render(doc(F))).findall("cac:PaymentTerms", ns)) == 1


def test_unsigned_document_has_one_empty_extension_slot() -> None:
    root = etree.fromstring(render(doc(B)))
    slots = root.findall(
        "{urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2}UBLExtensions/*/*"
    )
    assert len(slots) == 1 and len(slots[0]) == 0 and not slots[0].text


def test_sunat_filename() -> None:
    assert sunat_filename("20100070970", F, "F001", 1) == "20100070970-01-F001-1"
    assert sunat_filename("20100070970", "07", "BC01", 12345678) == "20100070970-07-BC01-12345678"
