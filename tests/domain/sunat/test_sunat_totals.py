"""Totals to the céntimo."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.money import q2
from domain.sunat.catalogs import DiscountCode, IgvAffectation, TaxKind
from domain.sunat.totals import compute_line, compute_totals

from .factories import line

A = IgvAffectation


def test_price_with_igv_keeps_the_charged_total() -> None:
    lt = compute_line(line("10.00"))
    assert (lt.value, lt.igv, lt.total) == (Decimal("8.47"), Decimal("1.53"), Decimal("10.00"))


def test_price_before_igv() -> None:
    lt = compute_line(line("100.00", "3", includes_igv=False, discount="10.00"))
    assert (lt.gross_value, lt.discount_value, lt.value) == (
        Decimal("300.00"),
        Decimal("10.00"),
        Decimal("290.00"),
    )
    assert (lt.igv, lt.total) == (Decimal("52.20"), Decimal("342.20"))


def test_line_discount_in_value_terms() -> None:
    lt = compute_line(line("35.00", "2", discount="7.00"))
    assert lt.total == Decimal("63.00")
    assert lt.gross_value == Decimal("59.32") and lt.value == Decimal("53.39")
    assert lt.discount_value == lt.gross_value - lt.value
    assert lt.unit_price == Decimal("31.50")


def test_free_line_charges_nothing() -> None:
    lt = compute_line(line("11.80", aff=A.GRAVADO_BONIFICACION))
    assert (lt.kind, lt.total, lt.value, lt.igv) == (
        TaxKind.GRATUITO,
        Decimal("0.00"),
        Decimal("10.00"),
        Decimal("1.80"),
    )
    lt = compute_line(line("20.00", aff=A.INAFECTO_MUESTRAS_MEDICAS))
    assert (lt.value, lt.igv) == (Decimal("20.00"), Decimal("0.00"))


def test_document_with_every_kind_and_global_discount() -> None:
    t = compute_totals(
        [
            line("35.00"),
            line("40.00", "2", A.EXONERADO, discount="5.00"),
            line("25.00", aff=A.INAFECTO),
            line("18.00", aff=A.GRAVADO_BONIFICACION),
        ],
        Decimal("5.00"),
    )
    assert t.global_discount_code == DiscountCode.GLOBAL_AFFECTS_BASE
    assert t.gravado + t.igv == Decimal("30.00")
    assert (t.exonerado, t.inafecto) == (Decimal("75.00"), Decimal("25.00"))
    assert t.gratuito == Decimal("15.25") and t.igv_gratuito == Decimal("2.75")
    assert t.payable == Decimal("130.00")
    assert t.line_extension + t.igv == t.tax_inclusive == t.payable


def test_global_discount_without_taxed_lines_is_code_03() -> None:
    t = compute_totals([line("50.00", aff=A.EXONERADO)], Decimal("8.00"))
    assert t.global_discount_code == DiscountCode.GLOBAL_NOT_AFFECTS_BASE
    assert (t.tax_inclusive, t.allowance_total, t.payable) == (
        Decimal("50.00"),
        Decimal("8.00"),
        Decimal("42.00"),
    )


@pytest.mark.parametrize(
    ("lines", "discount", "code"),
    [
        ([], Decimal("0"), "lines_empty"),
        ([line("10.00", "0")], Decimal("0"), "line_quantity"),
        ([line("10.00", discount="10.01")], Decimal("0"), "line_discount"),
        (
            [line("10.00", aff=A.GRAVADO_RETIRO, discount="1.00")],
            Decimal("0"),
            "line_discount_free",
        ),
        ([line("10.00")], Decimal("10.00"), "global_discount"),
        ([line("10.00")], Decimal("-1"), "global_discount"),
    ],
)
def test_invalid_amounts(lines: list, discount: Decimal, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        compute_totals(lines, discount)
    assert err.value.code == code


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
qtys = st.integers(min_value=1, max_value=500).map(Decimal)


@given(st.lists(st.tuples(prices, qtys), min_size=1, max_size=8), st.integers(0, 99))
def test_totals_add_up_to_the_cent(items: list[tuple[Decimal, Decimal]], pct: int) -> None:
    lines = [line(str(p), str(q)) for p, q in items]
    gross = sum((q2(p * q) for p, q in items), Decimal(0))
    discount = q2(gross * pct / 100)
    assume(discount < gross)
    t = compute_totals(lines, discount)
    assert t.payable == gross - discount  # the customer pays exactly the price list
    assert t.gravado + t.igv == t.payable
    # Without a global discount the document is the exact sum of its lines (what SUNAT's
    # rules add up); each line's IGV is off 18 % of its value by < 0.006 from rounding the
    # value, so the document's IGV stays within n × 0.006 of 18 % (SUNAT allows ±1).
    if not discount:
        assert t.gravado == sum(lt.value for lt in t.lines)
        assert t.igv == sum(lt.igv for lt in t.lines)
    bound = Decimal("0.006") * len(items) + Decimal("0.005")
    assert abs(t.igv - t.gravado * Decimal("0.18")) <= bound  # rule 3291 allows ±1
    for lt in t.lines:
        assert lt.value + lt.igv == lt.total
        assert abs(lt.igv - lt.value * Decimal("0.18")) <= Decimal("0.01")  # rule 3103
