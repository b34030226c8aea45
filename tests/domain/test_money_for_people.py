"""Amounts shown to people read "S/ 2,000.00" (es-PE) everywhere; the wire keeps "2000.00"."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from domain.errors import LabError
from domain.money import fmt, fmt_soles
from domain.pricing import cash_change, check_cash_threshold


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (D("2000"), "S/ 2,000.00"),
        (D("1234567.891"), "S/ 1,234,567.89"),
        (D("999.995"), "S/ 1,000.00"),
        (D("0"), "S/ 0.00"),
        (D("35.5"), "S/ 35.50"),
        # the sign before the currency, as es-PE writes it; nothing left after rounding: no sign
        (D("-19.5"), "-S/ 19.50"),
        (D("-1234567.891"), "-S/ 1,234,567.89"),
        (D("-0.004"), "S/ 0.00"),
        ("-2000.00", "-S/ 2,000.00"),
    ],
)
def test_fmt_soles(amount: D | str, shown: str) -> None:
    assert fmt_soles(amount) == shown


def test_the_wire_format_is_unchanged() -> None:
    assert fmt(D("2000")) == "2000.00"


def test_bancarizacion_message_separates_thousands() -> None:
    with pytest.raises(LabError) as info:
        check_cash_threshold(D("2500.00"), D("2000.00"))
    assert "S/ 2,000.00 o más" in info.value.msg
    assert "se intentó S/ 2,500.00" in info.value.msg


def test_short_tender_message_separates_thousands() -> None:
    with pytest.raises(LabError) as info:
        cash_change(D("1500.00"), D("1200.00"))
    assert "(S/ 1,200.00)" in info.value.msg and "(S/ 1,500.00)" in info.value.msg
