"""Pricing rules: panels, discounts, convenio coverage, bancarización, change, balance."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput, RuleViolation
from domain.pricing import (
    Discount,
    DiscountKind,
    PricedLine,
    allocate,
    balance,
    cash_change,
    check_cash_threshold,
    coverage_split,
    discount_amount,
    effective_pct,
    needs_approval,
    panel_child_price,
    price_order,
    unit_price_for,
)

D = Decimal
PCT, AMT = DiscountKind.PERCENT, DiscountKind.AMOUNT

cents = st.integers(min_value=1, max_value=5_000_00).map(lambda c: D(c).scaleb(-2))


@pytest.mark.parametrize(
    ("subtotal", "kind", "value", "expected"),
    [
        ("100.00", PCT, "10", "10.00"),
        ("89.90", PCT, "15", "13.49"),  # 13.485 rounds half up
        ("33.33", PCT, "100", "33.33"),
        ("50.00", AMT, "5.50", "5.50"),
        ("50.00", AMT, "50.00", "50.00"),
    ],
)
def test_discount_amount(subtotal: str, kind: DiscountKind, value: str, expected: str) -> None:
    assert discount_amount(D(subtotal), Discount(kind, D(value))) == D(expected)


@pytest.mark.parametrize(
    ("kind", "value", "code"),
    [
        (PCT, "0", "discount_not_positive"),
        (PCT, "100.01", "discount_exceeds_total"),
        (AMT, "50.01", "discount_exceeds_total"),
        (AMT, "-1", "discount_not_positive"),
        (AMT, "1.001", "discount_invalid"),
    ],
)
def test_discount_refusals(kind: DiscountKind, value: str, code: str) -> None:
    with pytest.raises((InvalidInput, RuleViolation)) as info:
        discount_amount(D("50.00"), Discount(kind, D(value)))
    assert info.value.code == code
    assert info.value.loc[-1] == "value"


def test_approval_threshold_is_strictly_above() -> None:
    assert not needs_approval(D("100"), Discount(PCT, D("10")), D("10.00"), D("10"))
    assert needs_approval(D("100"), Discount(PCT, D("10.01")), D("10.01"), D("10"))
    assert not needs_approval(D("200"), Discount(AMT, D("20")), D("20.00"), D("10"))
    assert needs_approval(D("200"), Discount(AMT, D("20.01")), D("20.01"), D("10"))
    assert effective_pct(D("200"), D("30")) == D("15.00")


def test_panel_and_convenio_prices() -> None:
    assert panel_child_price() == D("0.00")
    assert unit_price_for("a", D("35.00"), {"a": D("28.00")}) == (D("28.00"), True)
    assert unit_price_for("b", D("35.00"), {"a": D("28.00")}) == (D("35.00"), False)
    assert unit_price_for("a", D("35.00"), None) == (D("35.00"), False)


def test_price_order_with_coverage_on_eligible_lines_only() -> None:
    lines = [PricedLine(D("28.00"), True), PricedLine(D("12.00"), False)]
    totals = price_order(lines, discount=Discount(PCT, D("10")), coverage_pct=D("100"))
    assert totals.subtotal == D("40.00")
    assert totals.discount_total == D("4.00")
    assert totals.line_discounts == (D("2.80"), D("1.20"))
    assert totals.covered_total == D("25.20")  # 28.00 - 2.80, fully covered
    assert totals.patient_due == D("10.80")


def test_coverage_split_rounds_half_up_and_checks_range() -> None:
    assert coverage_split(D("10.05"), D("80")) == D("8.04")
    assert coverage_split(D("0.05"), D("50")) == D("0.03")
    with pytest.raises(InvalidInput) as info:
        coverage_split(D("10"), D("120"))
    assert info.value.code == "pct_out_of_range"


def test_bancarizacion_threshold_is_inclusive() -> None:
    check_cash_threshold(D("1999.99"), D("2000.00"))
    with pytest.raises(RuleViolation) as info:
        check_cash_threshold(D("2000.00"), D("2000.00"), loc=["payments", 0, "amount"])
    assert info.value.code == "bancarizacion"
    assert info.value.loc == ["payments", 0, "amount"]


def test_change_and_short_tender() -> None:
    assert cash_change(D("36.50"), D("50.00")) == D("13.50")
    assert cash_change(D("36.50"), D("36.50")) == D("0.00")
    with pytest.raises(RuleViolation) as info:
        cash_change(D("36.50"), D("36.49"))
    assert info.value.code == "tendered_insufficient"


def test_balance_refuses_overpayment() -> None:
    assert balance(D("100.00"), D("80.00"), D("20.00")) == D("0.00")
    with pytest.raises(RuleViolation) as info:
        balance(D("100.00"), D("80.00"), D("20.01"))
    assert info.value.code == "overpayment"


@given(st.lists(cents, min_size=1, max_size=12), st.data())
def test_allocate_is_exact_and_bounded(weights: list[Decimal], data: st.DataObject) -> None:
    total_cents = int(sum(weights) * 100)
    amount = D(data.draw(st.integers(min_value=0, max_value=total_cents))).scaleb(-2)
    parts = allocate(amount, weights)
    assert sum(parts, D("0")) == amount
    assert all(D("0") <= p <= w for p, w in zip(parts, weights, strict=True))


@given(
    st.lists(st.tuples(cents, st.booleans()), min_size=1, max_size=10),
    st.one_of(
        st.none(),
        st.integers(min_value=1, max_value=10000).map(lambda v: Discount(PCT, D(v).scaleb(-2))),
        st.integers(min_value=1, max_value=10**7).map(lambda v: Discount(AMT, D(v).scaleb(-2))),
    ),
    st.integers(min_value=0, max_value=10000).map(lambda v: D(v).scaleb(-2)),
    st.integers(min_value=0, max_value=100),
)
def test_order_totals_identities(
    raw: list[tuple[Decimal, bool]],
    discount: Discount | None,
    coverage: Decimal,
    paid_share: int,
) -> None:
    lines = [PricedLine(price, eligible) for price, eligible in raw]
    subtotal = sum((p for p, _ in raw), D("0"))
    if discount and discount.kind is AMT and discount.value > subtotal:
        with pytest.raises(RuleViolation):
            price_order(lines, discount=discount, coverage_pct=coverage)
        return
    t = price_order(lines, discount=discount, coverage_pct=coverage)
    # discounts never exceed the totals, and add up over the lines exactly
    assert D("0") <= t.discount_total <= t.subtotal
    assert sum(t.line_discounts, D("0")) == t.discount_total
    assert t.total == t.subtotal - t.discount_total >= 0
    # the convenio never covers more than the total
    assert D("0") <= t.covered_total <= t.total
    # balance identity: paying any part of what is due leaves exactly the rest
    due = t.patient_due
    paid = (due * paid_share / 100).quantize(D("0.01"))
    assert balance(t.total, t.covered_total, paid) == t.total - t.covered_total - paid >= 0
    assert balance(t.total, t.covered_total, due) == 0
