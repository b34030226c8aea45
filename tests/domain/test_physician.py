"""The ordering physician's CMP and name as reception types them, and the order's priority."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.physician import Priority, clean_cmp, clean_physician_name

LOC: list[str | int] = ["body", "physician_cmp"]


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("45123", "45123"),
        ("045123", "45123"),
        (" 45 123 ", "45123"),
        ("CMP 45123", "45123"),
        ("cmp: 045123", "45123"),
        ("C.M.P. Nº 7", "7"),
        ("123456", "123456"),
    ],
)
def test_a_cmp_is_kept_as_its_digits(typed: str, kept: str) -> None:
    assert clean_cmp(typed, loc=LOC) == kept


@pytest.mark.parametrize("typed", ["", "CMP", "000", "1234567", "45A23", "４５１２３", "-45123"])
def test_a_cmp_that_is_not_a_registration_number_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as info:
        clean_cmp(typed, loc=LOC)
    assert info.value.code == "cmp_invalid" and info.value.loc == LOC
    assert "CMP" in info.value.msg


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Juan Pérez Rojas", "JUAN PÉREZ ROJAS"),
        ("  dr.   juan  pérez ", "JUAN PÉREZ"),
        ("Dra. Ana O'Neill", "ANA O'NEILL"),
        ("DR JOSÉ NÚÑEZ-CCORI", "JOSÉ NÚÑEZ-CCORI"),
        ("Drago Luna", "DRAGO LUNA"),  # a name, not a title
    ],
)
def test_a_name_is_single_spaced_uppercase_without_title(typed: str, kept: str) -> None:
    assert clean_physician_name(typed, loc=LOC) == kept


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "physician_name_required"),
        ("Dr. ", "physician_name_required"),
        ("J", "physician_name_required"),
        ("Juan 2", "physician_name_invalid"),
        ("<b>Juan</b>", "physician_name_invalid"),
        ("A" * 121, "physician_name_too_long"),
    ],
)
def test_a_name_that_is_not_one_is_refused(typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        clean_physician_name(typed, loc=LOC)
    assert info.value.code == code


def test_priorities_are_named_in_spanish() -> None:
    assert [(p.value, p.label) for p in Priority] == [("rutina", "Rutina"), ("urgente", "Urgente")]
