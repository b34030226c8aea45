"""Amount in words (legend 1000)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.words import amount_in_words, integer_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "CERO CON 00/100 SOLES"),
        ("1", "UNO CON 00/100 SOLES"),
        ("0.05", "CERO CON 05/100 SOLES"),
        ("15", "QUINCE CON 00/100 SOLES"),
        ("16", "DIECISÉIS CON 00/100 SOLES"),
        ("21", "VEINTIUNO CON 00/100 SOLES"),
        ("22", "VEINTIDÓS CON 00/100 SOLES"),
        ("31", "TREINTA Y UNO CON 00/100 SOLES"),
        ("100", "CIEN CON 00/100 SOLES"),
        ("101", "CIENTO UNO CON 00/100 SOLES"),
        ("118", "CIENTO DIECIOCHO CON 00/100 SOLES"),  # SUNAT's sample boleta
        ("123.50", "CIENTO VEINTITRÉS CON 50/100 SOLES"),
        ("500", "QUINIENTOS CON 00/100 SOLES"),
        ("999.99", "NOVECIENTOS NOVENTA Y NUEVE CON 99/100 SOLES"),
        ("1000", "MIL CON 00/100 SOLES"),
        ("1001", "MIL UNO CON 00/100 SOLES"),
        ("2360", "DOS MIL TRESCIENTOS SESENTA CON 00/100 SOLES"),
        ("21000", "VEINTIÚN MIL CON 00/100 SOLES"),
        ("31000", "TREINTA Y UN MIL CON 00/100 SOLES"),
        ("100000", "CIEN MIL CON 00/100 SOLES"),
        ("101000", "CIENTO UN MIL CON 00/100 SOLES"),
        ("1000000", "UN MILLÓN CON 00/100 SOLES"),
        ("1000001", "UN MILLÓN UNO CON 00/100 SOLES"),
        ("2500000", "DOS MILLONES QUINIENTOS MIL CON 00/100 SOLES"),
        ("21000000", "VEINTIÚN MILLONES CON 00/100 SOLES"),
        ("1000000000", "MIL MILLONES CON 00/100 SOLES"),
        ("2001000000", "DOS MIL UN MILLONES CON 00/100 SOLES"),
        (
            "999999999.99",
            "NOVECIENTOS NOVENTA Y NUEVE MILLONES NOVECIENTOS NOVENTA Y NUEVE MIL"
            " NOVECIENTOS NOVENTA Y NUEVE CON 99/100 SOLES",
        ),
        ("1000000000000", "UN BILLÓN CON 00/100 SOLES"),
        ("12.345", "DOCE CON 35/100 SOLES"),  # rounded half up to céntimos
    ],
)
def test_amount_in_words(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


def test_currency_name() -> None:
    assert amount_in_words(Decimal("1.10"), "DÓLARES AMERICANOS") == (
        "UNO CON 10/100 DÓLARES AMERICANOS"
    )


@pytest.mark.parametrize("bad", [Decimal("-1"), Decimal("NaN"), Decimal("1e15")])
def test_refuses_out_of_range(bad: Decimal) -> None:
    with pytest.raises(InvalidInput):
        amount_in_words(bad)


@given(st.integers(min_value=0, max_value=99_999_999_999))
def test_never_crashes_and_ends_in_soles(cents: int) -> None:
    text = amount_in_words(Decimal(cents) / 100)
    assert text.endswith(f" CON {cents % 100:02d}/100 SOLES")
    assert "  " not in text and text == text.strip()
    assert len(text) <= 200  # SUNAT's legend limit (rule 3006)


@given(st.integers(min_value=1, max_value=999_999))
def test_thousands_compose(n: int) -> None:
    """n * 1000 + m reads as the words of n, MIL, the words of m (apocope aside)."""
    words = integer_in_words(n * 1000 + 7)
    assert words.endswith("MIL SIETE") or "MILLONES" in words or "MILLÓN" in words
