"""``restate_installments`` (the cuotas a nota de crédito 13 restates) and the forma de pago
rules for notes 13; the rule modules split out of ``rules`` stay importable from it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from domain import sunat
from domain.errors import InvalidInput
from domain.sunat import rules
from domain.sunat.catalogs import CreditNoteReason, DocumentType
from domain.sunat.models import Document, Installment, PaymentTerms
from domain.sunat.payment_rules import restate_installments
from domain.sunat.rules import check_document

from .factories import ISSUE_DATE, D, doc, line, ref

NC, F = DocumentType.NOTA_CREDITO, DocumentType.FACTURA
D1, D2, D3 = dt.date(2025, 4, 14), dt.date(2025, 5, 14), dt.date(2025, 6, 14)
CUOTAS = (Installment(D("40.00"), D1), Installment(D("35.00"), D2), Installment(D("25.00"), D3))


def _amounts(cuotas: tuple[Installment, ...]) -> list[tuple[Decimal, dt.date]]:
    return [(c.amount, c.due_date) for c in cuotas]


@pytest.mark.parametrize(
    ("owed", "expected"),
    [
        ("100.00", [("40.00", D1), ("35.00", D2), ("25.00", D3)]),  # nothing to restate
        ("90.00", [("40.00", D1), ("35.00", D2), ("15.00", D3)]),  # the last cuota first
        ("75.00", [("40.00", D1), ("35.00", D2)]),  # a cuota at zero is dropped
        ("70.00", [("40.00", D1), ("30.00", D2)]),  # then the one before it
        ("0.01", [("0.01", D1)]),
        ("0.00", []),  # nothing owed: no cuota
        ("-5.00", []),
        ("110.00", [("40.00", D1), ("35.00", D2), ("35.00", D3)]),  # more owed: the last one
    ],
)
def test_restate_cuts_from_the_last_cuota_backwards(owed: str, expected: list[Any]) -> None:
    out = restate_installments(CUOTAS, D(owed))
    assert _amounts(out) == [(D(a), d) for a, d in expected]
    assert sum((c.amount for c in out), D("0.00")) == max(D(owed), D("0.00"))


def test_restate_without_cuotas_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        restate_installments((), D("10.00"))
    assert err.value.code == "payment_terms_invalid"


def test_restate_is_exported_from_the_package_and_rules() -> None:
    assert sunat.restate_installments is restate_installments
    assert rules.restate_installments is restate_installments
    for name in ("check_summary", "check_voided", "check_payment_terms", "detraccion_applies"):
        assert callable(getattr(rules, name))


def _nc13(*cuotas: Installment) -> Document:
    return doc(
        NC,
        (line("0.00"),),
        series="FC01",
        reference=ref(F),
        note_reason=CreditNoteReason.AJUSTE_MONTOS_FECHAS_PAGO,
        payment_terms=PaymentTerms.credito(*cuotas),
    )


def test_nc13_keeps_a_cuota_already_due_but_not_a_zero_one() -> None:
    past = ISSUE_DATE - dt.timedelta(days=3)  # the factura's date, already due at the note
    totals = check_document(_nc13(Installment(D("38.40"), past)))
    assert totals.payable == D("0.00")
    with pytest.raises(InvalidInput) as err:
        check_document(_nc13(Installment(D("0.00"), D1)))
    assert err.value.code == "payment_terms_invalid"


def test_factura_cuota_still_must_fall_after_its_issue_date() -> None:
    terms = PaymentTerms.credito(Installment(D("47.50"), ISSUE_DATE))
    with pytest.raises(InvalidInput) as err:
        check_document(doc(F, payment_terms=terms))
    assert err.value.loc[-1] == "due_date"
