"""Business rules enforced before a number is taken."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import InvalidInput, LabError, RuleViolation
from domain.sunat.catalogs import (
    CreditNoteReason,
    DebitNoteReason,
    DocumentType,
    IdentityType,
    SummaryCondition,
)
from domain.sunat.models import (
    Customer,
    Detraccion,
    Document,
    DocumentReference,
    Installment,
    PaymentTerms,
    SummaryDocument,
    VoidedDocument,
    VoidedLine,
)
from domain.sunat.rules import (
    check_credit_note_amount,
    check_document,
    check_summary,
    check_voided,
    detraccion_applies,
    is_valid_ruc,
    ruc_check_digit_ok,
)
from domain.sunat.ubl import summary_line_from_document

from .factories import ANONYMOUS, ISSUE_DATE, ISSUER, PERSON, D, doc, line, ref

F, B = DocumentType.FACTURA, DocumentType.BOLETA
NC, ND = DocumentType.NOTA_CREDITO, DocumentType.NOTA_DEBITO


def _code(exc: type[LabError], fn: object, *args: object, **kw: object) -> str:
    with pytest.raises(exc) as err:
        fn(*args, **kw)  # type: ignore[operator]
    assert err.value.msg  # Spanish message for the user
    return err.value.code


@pytest.mark.parametrize(
    ("ruc", "ok"),
    [
        ("20100070970", True),
        ("20100066603", True),
        ("10456789125", None),
        ("20100070971", False),
        ("30100070970", False),
        ("2010007097", False),
    ],
)
def test_ruc_check_digit(ruc: str, ok: bool | None) -> None:
    if ok is None:
        ok = ruc_check_digit_ok(ruc)
    assert ruc_check_digit_ok(ruc) is ok
    assert is_valid_ruc(ruc) is ok  # own check and domain.identity agree


def test_factura_needs_a_valid_ruc() -> None:
    assert check_document(doc(F)).payable == Decimal("47.50")
    assert _code(RuleViolation, check_document, doc(F, customer=PERSON)) == "invoice_requires_ruc"
    bad = Customer(IdentityType.RUC, "20100070971", "RUC CON DÍGITO ERRADO")
    code = _code(LabError, check_document, doc(F, customer=bad))
    assert code in ("invoice_requires_ruc", "customer_document_invalid")


def test_boleta_above_700_needs_the_customer() -> None:
    check_document(doc(B, (line("700.00"),), customer=ANONYMOUS))  # exactly 700: allowed
    big = doc(B, (line("700.01"),), customer=ANONYMOUS)
    assert _code(RuleViolation, check_document, big) == "boleta_requires_customer"
    check_document(doc(B, (line("700.01"),), customer=PERSON))


def test_customer_document_format() -> None:
    bad_dni = Customer(IdentityType.DNI, "1234567", "JUAN")
    assert (
        _code(InvalidInput, check_document, doc(B, customer=bad_dni)) == "customer_document_invalid"
    )


def test_series_must_fit_the_type() -> None:
    assert _code(InvalidInput, check_document, doc(F, series="B001")) == "sunat_series_invalid"
    assert _code(InvalidInput, check_document, doc(B, series="F001")) == "sunat_series_invalid"
    assert _code(InvalidInput, check_document, doc(B, series="B01")) == "sunat_series_invalid"
    assert _code(InvalidInput, check_document, doc(B, number=0)) == "sunat_number_invalid"


def _nc(series: str, original: DocumentType, **kw: Any) -> Document:
    return doc(
        NC,
        (line("35.00"),),
        series=series,
        reference=ref(original),
        note_reason=kw.pop("reason", CreditNoteReason.ANULACION_OPERACION),
        **kw,
    )


def test_credit_note_keeps_the_series_letter() -> None:
    check_document(_nc("FC01", F))
    check_document(_nc("BC01", B))
    assert _code(RuleViolation, check_document, _nc("BC01", F)) == "note_series_mismatch"
    assert _code(RuleViolation, check_document, _nc("FC01", B)) == "note_series_mismatch"


def test_credit_note_never_exceeds_what_remains() -> None:
    check_document(_nc("FC01", F), remaining=Decimal("35.00"))
    code = _code(RuleViolation, check_document, _nc("FC01", F), remaining=Decimal("34.99"))
    assert code == "credit_note_exceeds_remaining"
    check_credit_note_amount(Decimal("10.00"), Decimal("10.00"))
    with pytest.raises(RuleViolation):
        check_credit_note_amount(Decimal("10.01"), Decimal("10.00"))


def test_note_needs_reference_and_matching_reason() -> None:
    no_ref = doc(
        NC, (line("1.00"),), series="FC01", note_reason=CreditNoteReason.ANULACION_OPERACION
    )
    assert _code(RuleViolation, check_document, no_ref) == "note_reference_required"
    wrong = _nc("FD01", F, reason=CreditNoteReason.ANULACION_OPERACION)
    assert (
        _code(
            InvalidInput,
            check_document,
            doc(
                ND,
                wrong.lines,
                series="FD01",
                reference=ref(F),
                note_reason=CreditNoteReason.ANULACION_OPERACION,
            ),
        )
        == "note_reason_invalid"
    )
    check_document(
        doc(
            ND,
            (line("5.00"),),
            series="FD01",
            reference=ref(F),
            note_reason=DebitNoteReason.INTERESES_MORA,
        )
    )


@pytest.mark.parametrize(
    "reason", [CreditNoteReason.AJUSTE_EXPORTACION, CreditNoteReason.AJUSTE_IVAP]
)
def test_export_and_ivap_adjustments_are_refused(reason: CreditNoteReason) -> None:
    assert _code(RuleViolation, check_document, _nc("FC01", F, reason=reason)) == (
        "note_reason_not_applicable"
    )


def test_notes_take_no_global_discount() -> None:
    nc = _nc("FC01", F, global_discount=Decimal("1.00"))
    assert _code(InvalidInput, check_document, nc) == "note_global_discount"


def test_reason_13_only_zero_amount_credit_factura() -> None:
    terms = PaymentTerms.credito(Installment(D("100.00"), dt.date(2025, 5, 1)))
    ok = doc(
        NC,
        (line("0.00"),),
        series="FC01",
        reference=ref(F),
        note_reason=CreditNoteReason.AJUSTE_MONTOS_FECHAS_PAGO,
        payment_terms=terms,
    )
    check_document(ok)
    bad = doc(
        NC,
        (line("5.00"),),
        series="FC01",
        reference=ref(F),
        note_reason=CreditNoteReason.AJUSTE_MONTOS_FECHAS_PAGO,
        payment_terms=terms,
    )
    assert _code(RuleViolation, check_document, bad) == "note_reason_invalid"


def test_detraccion_only_when_enabled_on_facturas_above_700() -> None:
    det = Detraccion(account="00-000-123456")
    assert detraccion_applies(F, Decimal("700.01"), enabled=True)
    assert not detraccion_applies(F, Decimal("700.00"), enabled=True)
    assert not detraccion_applies(F, Decimal("5000"), enabled=False)
    assert not detraccion_applies(B, Decimal("5000"), enabled=True)
    big = doc(F, (line("1500.00"),), detraccion=det)
    check_document(big, detraccion_enabled=True)
    assert _code(RuleViolation, check_document, big) == "detraccion_not_enabled"
    small = doc(F, (line("700.00"),), detraccion=det)
    assert _code(RuleViolation, check_document, small, detraccion_enabled=True) == (
        "detraccion_not_applicable"
    )
    boleta = doc(B, (line("1500.00"),), detraccion=det)
    assert _code(RuleViolation, check_document, boleta, detraccion_enabled=True) == (
        "detraccion_not_applicable"
    )


def test_credit_terms() -> None:
    ok = PaymentTerms.credito(
        Installment(D("20.00"), dt.date(2025, 4, 1)), Installment(D("27.50"), dt.date(2025, 5, 1))
    )
    check_document(doc(F, payment_terms=ok))
    short = PaymentTerms.credito(Installment(D("20.00"), dt.date(2025, 4, 1)))
    assert (
        _code(InvalidInput, check_document, doc(F, payment_terms=short)) == "payment_terms_invalid"
    )
    past = PaymentTerms.credito(Installment(D("47.50"), ISSUE_DATE))
    assert (
        _code(InvalidInput, check_document, doc(F, payment_terms=past)) == "payment_terms_invalid"
    )
    assert _code(InvalidInput, check_document, doc(F, payment_terms=PaymentTerms.credito())) == (
        "payment_terms_invalid"
    )
    assert _code(RuleViolation, check_document, doc(B, payment_terms=ok)) == "payment_terms_invalid"


def test_summary_only_boletas_and_voided_only_facturas() -> None:
    summary = SummaryDocument(
        ISSUER,
        ISSUE_DATE,
        ISSUE_DATE,
        1,
        (summary_line_from_document(doc(B), SummaryCondition.VOID),),
    )
    check_summary(summary)
    bad = SummaryDocument(ISSUER, ISSUE_DATE, ISSUE_DATE, 1, (summary_line_from_document(doc(F)),))
    assert _code(RuleViolation, check_summary, bad) == "summary_line_invalid"
    check_voided(
        VoidedDocument(ISSUER, ISSUE_DATE, ISSUE_DATE, 1, (VoidedLine(F, "F001", 1, "Error"),))
    )
    boleta = VoidedDocument(ISSUER, ISSUE_DATE, ISSUE_DATE, 1, (VoidedLine(B, "B001", 1, "Error"),))
    assert _code(RuleViolation, check_voided, boleta) == "voided_line_invalid"


def test_only_soles() -> None:
    assert _code(InvalidInput, check_document, doc(B, currency="USD")) == "currency_not_supported"


def test_reference_id() -> None:
    assert DocumentReference(F, "F001", 12).id == "F001-12"
