"""Cash-drawer arithmetic: denominations, totals, expected vs counted, approval threshold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import cash
from domain.errors import InvalidInput

D = Decimal


def test_denominations_are_the_pen_bills_and_coins() -> None:
    keys = [cash.denomination_key(d) for d in cash.DENOMINATIONS]
    assert keys == [
        "200.00", "100.00", "50.00", "20.00", "10.00",
        "5.00", "2.00", "1.00", "0.50", "0.20", "0.10",
    ]  # fmt: skip


@pytest.mark.parametrize("key", ["200", "200.00", " 200.0 ", 200])
def test_denomination_spellings(key: object) -> None:
    assert cash.parse_denomination(key) == D("200.00")


@pytest.mark.parametrize("key", ["3", "0.05", "500", "abc", "", True, "NaN", "Infinity"])
def test_unknown_denominations_are_refused(key: object) -> None:
    with pytest.raises(InvalidInput) as err:
        cash.parse_denomination(key)
    assert err.value.code == "denomination_unknown"


@pytest.mark.parametrize(
    ("pieces", "code"),
    [(-1, "pieces_negative"), (True, "pieces_invalid"), (1.5, "pieces_invalid"),
     (cash.MAX_PIECES + 1, "pieces_too_many")],
)  # fmt: skip
def test_bad_piece_counts(pieces: object, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        cash.parse_counts({"10": pieces})
    assert err.value.code == code and err.value.loc == ["denominations", "10"]


def test_a_denomination_given_twice_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        cash.parse_counts({"0.5": 1, "0.50": 2})
    assert err.value.code == "denomination_repeated"


def test_count_total_example() -> None:
    counts = {"200": 1, "50": 3, "0.10": 7, "0.50": 1, "2": 4}
    assert cash.count_total(counts) == D("359.20")
    assert list(cash.parse_counts(counts)) == ["200.00", "50.00", "2.00", "0.50", "0.10"]


@given(st.lists(st.integers(min_value=0, max_value=cash.MAX_PIECES), min_size=11, max_size=11))
def test_count_total_is_exact_in_cents(pieces: list[int]) -> None:
    counts = {cash.denomination_key(d): n for d, n in zip(cash.DENOMINATIONS, pieces, strict=True)}
    total = cash.count_total(counts)
    cents = sum(int(d * 100) * n for d, n in zip(cash.DENOMINATIONS, pieces, strict=True))
    assert total == Decimal(cents) / 100
    assert total == total.quantize(D("0.01"))


@given(
    st.dictionaries(
        st.sampled_from([cash.denomination_key(d) for d in cash.DENOMINATIONS]),
        st.integers(min_value=0, max_value=1000),
    ),
    st.dictionaries(
        st.sampled_from([cash.denomination_key(d) for d in cash.DENOMINATIONS]),
        st.integers(min_value=0, max_value=1000),
    ),
)
def test_count_total_is_additive(a: dict[str, int], b: dict[str, int]) -> None:
    merged = {k: a.get(k, 0) + b.get(k, 0) for k in {*a, *b}}
    assert cash.count_total(merged) == cash.count_total(a) + cash.count_total(b)


def test_expected_cash() -> None:
    assert cash.expected_cash(
        opening_float=D("100.00"),
        cash_payments=[D("80.00"), D("-20.00")],
        ingresos=[D("50.00")],
        egresos=[D("30.00"), D("0.50")],
    ) == D("179.50")


def test_compare_and_threshold() -> None:
    cmp = cash.compare(
        {"efectivo": D("180.00"), "tarjeta": D("120.00")},
        {"efectivo": D("174.00"), "tarjeta": D("125.00")},
    )
    assert cmp.line("efectivo").difference == D("-6.00")
    assert cmp.line("yape").difference == D("0.00")
    assert cmp.difference == D("-1.00")
    assert cmp.absolute_difference == D("11.00")  # a card surplus does not hide a cash shortage
    assert cash.needs_approval(cmp, threshold=D("10.00"))
    assert not cash.needs_approval(cmp, threshold=D("11.00"))
    with pytest.raises(InvalidInput):
        cash.compare({"bitcoin": D("1.00")}, {})


@given(
    st.dictionaries(st.sampled_from(cash.METHODS), st.integers(-(10**7), 10**7)),
    st.dictionaries(st.sampled_from(cash.METHODS), st.integers(0, 10**7)),
)
def test_difference_is_counted_minus_expected(exp: dict[str, int], cnt: dict[str, int]) -> None:
    cmp = cash.compare(
        {m: D(v).scaleb(-2) for m, v in exp.items()}, {m: D(v).scaleb(-2) for m, v in cnt.items()}
    )
    assert cmp.difference == cmp.counted_total - cmp.expected_total
    assert abs(cmp.difference) <= cmp.absolute_difference
    assert [line.method for line in cmp.lines] == list(cash.METHODS)


def test_check_amount_bounds() -> None:
    assert cash.check_amount(cash.MAX_AMOUNT, loc=["x"]) == cash.MAX_AMOUNT
    assert cash.check_amount(-cash.MAX_AMOUNT, loc=["x"]) == -cash.MAX_AMOUNT
    with pytest.raises(InvalidInput) as err:
        cash.check_amount(cash.MAX_AMOUNT + D("0.01"), loc=["x"])
    assert err.value.code == "amount_too_large" and err.value.loc == ["x"]
