"""Money: parsing, céntimos, IGV from a base and from a tax-inclusive price, line totals."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.money import (
    IGV_RATE,
    LineAmounts,
    fmt,
    from_cents,
    igv_from_base,
    line_from_price,
    line_from_value,
    parse_amount,
    parse_quantity,
    q2,
    split_inclusive,
    sum_lines,
    to_cents,
    within_tolerance,
)

D = Decimal
cents = st.integers(min_value=0, max_value=10**12)
amounts = cents.map(from_cents)
quantities = st.integers(min_value=1, max_value=1000).map(Decimal)


# --- rounding and parsing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("2.675", "2.68"),  # float would give 2.67
        ("1.004", "1.00"),
        ("-0.005", "-0.01"),  # half away from zero
    ],
)
def test_q2_rounds_half_up(raw: str, rounded: str) -> None:
    assert q2(D(raw)) == D(rounded)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12.5", D("12.50")), (" 7 ", D("7.00")), (3, D("3.00")), (D("0.10"), D("0.10"))],
)
def test_parse_amount_accepts_text_int_and_decimal(raw: object, expected: Decimal) -> None:
    parsed = parse_amount(raw)
    assert parsed == expected
    assert str(parsed) == str(expected)


@pytest.mark.parametrize("raw", [12.5, 0.1, True])
def test_parse_amount_refuses_float_in_spanish(raw: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_amount(raw, field="precio")
    assert exc.value.code == "amount_not_decimal"
    assert exc.value.loc == ["precio"]
    assert "coma flotante" in exc.value.msg


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("abc", "amount_invalid"),
        ("", "amount_invalid"),
        ("NaN", "amount_invalid"),
        ("Infinity", "amount_invalid"),
        ("1.234", "amount_precision"),
        ("-1.00", "amount_negative"),
    ],
)
def test_parse_amount_errors(raw: str, code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_amount(raw)
    assert exc.value.code == code


def test_parse_amount_allows_negative_when_asked() -> None:
    assert parse_amount("-3.50", allow_negative=True) == D("-3.50")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (1.0, "quantity_not_decimal"),
        ("x", "quantity_invalid"),
        ("0", "quantity_not_positive"),
        ("-2", "quantity_not_positive"),
        ("1.00000000001", "quantity_invalid"),
    ],
)
def test_parse_quantity_errors(raw: object, code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_quantity(raw)
    assert exc.value.code == code


def test_parse_quantity_accepts_fractions() -> None:
    assert parse_quantity("2.5") == D("2.5")


# --- céntimos -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "n"), [("0.00", 0), ("0.01", 1), ("12.50", 1250), ("-3.07", -307), ("1E+2", 10000)]
)
def test_to_cents(amount: str, n: int) -> None:
    assert to_cents(D(amount)) == n


def test_to_cents_refuses_sub_centimo_and_float() -> None:
    with pytest.raises(InvalidInput) as exc:
        to_cents(D("1.005"))
    assert exc.value.code == "amount_precision"
    with pytest.raises(InvalidInput) as exc:
        to_cents(1.5)  # type: ignore[arg-type]
    assert exc.value.code == "amount_not_decimal"


def test_from_cents_refuses_non_int() -> None:
    for bad in (1.5, "100", True):
        with pytest.raises(InvalidInput):
            from_cents(bad)  # type: ignore[arg-type]


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_cents_round_trip_from_int(n: int) -> None:
    amount = from_cents(n)
    assert amount.as_tuple().exponent == -2
    assert to_cents(amount) == n


@given(amounts)
def test_cents_round_trip_from_decimal(amount: Decimal) -> None:
    assert from_cents(to_cents(amount)) == amount
    if abs(amount) < 10**9:  # the wire takes up to 9 integer digits
        assert parse_amount(fmt(amount), allow_negative=True) == amount
    else:
        with pytest.raises(InvalidInput, match="demasiado grande"):
            parse_amount(fmt(amount), allow_negative=True)


def test_fmt_always_two_decimals() -> None:
    assert fmt(D("5")) == "5.00"
    assert fmt(D("1234567.1")) == "1234567.10"


# --- IGV ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "igv"),
    [("100.00", "18.00"), ("29.66", "5.34"), ("0.03", "0.01"), ("0.02", "0.00"), ("0", "0.00")],
)
def test_igv_from_base(base: str, igv: str) -> None:
    assert igv_from_base(D(base)) == D(igv)


@pytest.mark.parametrize(
    ("total", "base", "igv"),
    [
        ("118.00", "100.00", "18.00"),
        ("35.00", "29.66", "5.34"),
        ("50.00", "42.37", "7.63"),
        ("0.01", "0.01", "0.00"),
        ("0.00", "0.00", "0.00"),
        ("1.18", "1.00", "0.18"),
    ],
)
def test_split_inclusive_table(total: str, base: str, igv: str) -> None:
    assert split_inclusive(D(total)) == (D(base), D(igv))


def test_igv_refuses_negative_and_float() -> None:
    fns: list[Callable[[Decimal], object]] = [igv_from_base, split_inclusive]
    for fn in fns:
        with pytest.raises(InvalidInput) as exc:
            fn(D("-1.00"))
        assert exc.value.code == "amount_negative"
        with pytest.raises(InvalidInput) as exc:
            fn(10.0)  # type: ignore[arg-type]
        assert exc.value.code == "amount_not_decimal"


def test_igv_refuses_bad_rate() -> None:
    with pytest.raises(InvalidInput) as exc:
        igv_from_base(D("10.00"), rate=0.18)  # type: ignore[arg-type]
    assert exc.value.code == "tax_rate_invalid"


def test_zero_rate_means_no_igv() -> None:
    assert split_inclusive(D("40.00"), rate=D("0")) == (D("40.00"), D("0.00"))


@given(amounts)
def test_split_inclusive_adds_up_exactly(total: Decimal) -> None:
    base, igv = split_inclusive(total)
    assert base + igv == total
    assert base >= 0 and igv >= 0
    assert to_cents(base) + to_cents(igv) == to_cents(total)


@given(amounts)
def test_split_inclusive_igv_is_18_percent_within_rounding(total: Decimal) -> None:
    base, igv = split_inclusive(total)
    assert abs(igv - base * IGV_RATE) <= D("0.01")
    assert within_tolerance(igv, igv_from_base(base))


@given(amounts)
def test_igv_from_base_within_half_centimo(base: Decimal) -> None:
    assert abs(igv_from_base(base) - base * IGV_RATE) <= D("0.005")


# --- lines and totals -----------------------------------------------------------------


def test_line_from_price_single_test() -> None:
    line = line_from_price(D("1"), D("35.00"))
    assert line == LineAmounts(
        quantity=D("1"),
        unit_value=D("29.6610169492"),
        unit_price=D("35.00"),
        value=D("29.66"),
        igv=D("5.34"),
        total=D("35.00"),
    )


def test_line_from_price_quantity_three() -> None:
    line = line_from_price(D("3"), D("19.90"))
    assert (line.value, line.igv, line.total) == (D("50.59"), D("9.11"), D("59.70"))


def test_line_from_value_convenio_price() -> None:
    line = line_from_value(D("2"), D("42.37"))
    assert (line.value, line.igv, line.total, line.unit_price) == (
        D("84.74"),
        D("15.25"),
        D("99.99"),
        D("50.00"),
    )


def test_line_refuses_float_quantity_and_negative_price() -> None:
    with pytest.raises(InvalidInput) as exc:
        line_from_price(1.0, D("10.00"))  # type: ignore[arg-type]
    assert exc.value.code == "quantity_not_decimal"
    with pytest.raises(InvalidInput) as exc:
        line_from_price(D("1"), D("-10.00"))
    assert exc.value.code == "amount_negative"


@given(quantities, amounts)
def test_line_from_price_passes_sunat_recomputation(qty: Decimal, price: Decimal) -> None:
    line = line_from_price(qty, price)
    assert line.value + line.igv == line.total == q2(qty * price)
    # 4288: valor de venta ≈ cantidad × valor unitario
    assert within_tolerance(line.value, qty * line.unit_value)
    # 3291/4290: IGV ≈ base × 18 %
    assert within_tolerance(line.igv, line.value * IGV_RATE)
    # 4287: precio unitario ≈ (valor + IGV) / cantidad
    assert within_tolerance(line.unit_price, line.total / qty)


@given(quantities, amounts)
def test_line_from_value_passes_sunat_recomputation(qty: Decimal, unit_value: Decimal) -> None:
    line = line_from_value(qty, unit_value)
    assert line.value + line.igv == line.total
    assert line.value == qty * unit_value
    assert within_tolerance(line.igv, line.value * IGV_RATE)
    assert within_tolerance(line.unit_price, line.total / qty)


@given(st.lists(st.tuples(quantities, amounts), max_size=30))
def test_document_totals_are_the_sum_of_lines(items: list[tuple[Decimal, Decimal]]) -> None:
    lines = [line_from_price(q, p) for q, p in items]
    totals = sum_lines(lines)
    assert totals.value == sum((ln.value for ln in lines), D("0"))
    assert totals.igv == sum((ln.igv for ln in lines), D("0"))
    assert totals.total == totals.value + totals.igv
    # the IGV of the whole document stays close to 18 % of its base (SUNAT tolerates ±1)
    assert abs(totals.igv - totals.value * IGV_RATE) <= D("0.01") * max(len(lines), 1)


def test_sum_of_no_lines_is_zero() -> None:
    totals = sum_lines([])
    assert (fmt(totals.value), fmt(totals.igv), fmt(totals.total)) == ("0.00", "0.00", "0.00")
