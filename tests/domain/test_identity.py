"""Identity documents: DNI, RUC (prefix and modulo-11 check digit), CE, passport."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.identity import (
    RUC_PREFIXES,
    DocType,
    is_valid_dni,
    is_valid_ruc,
    parse_doc_type,
    ruc_check_digit,
    ruc_from_dni,
    ruc_is_company,
    validate_document,
)

# Real-format RUCs; check digits worked by hand in test_hand_computed_check_digits.
VALID_RUCS = ["20100070970", "20131312955", "10417844398", "20512333797", "10458732197"]


def _reference_check_digit(body: str) -> int:
    """Independent restatement of the rule from the brief: 11 − (Σ mod 11); 10 → 0, 11 → 1."""
    weights = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    s = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    check = 11 - (s % 11)
    return {10: 0, 11: 1}.get(check, check)


def test_hand_computed_check_digits() -> None:
    assert ruc_check_digit("2010007097") == 0  # Σ = 89, 89 mod 11 = 1, 11 − 1 = 10 → 0
    assert ruc_check_digit("2051233379") == 7  # Σ = 125, 125 mod 11 = 4, 11 − 4 = 7
    assert ruc_check_digit("1041784439") == 8  # Σ = 179, 179 mod 11 = 3, 11 − 3 = 8
    assert ruc_check_digit("2013131295") == 5  # Σ = 94, 94 mod 11 = 6, 11 − 6 = 5
    assert ruc_check_digit("2010007107") == 1  # Σ = 66, 66 mod 11 = 0, 11 − 0 = 11 → 1


@pytest.mark.parametrize("ruc", VALID_RUCS)
def test_valid_rucs(ruc: str) -> None:
    assert is_valid_ruc(ruc)
    assert validate_document(DocType.RUC, ruc) == ruc
    assert ruc_check_digit(ruc[:10]) == _reference_check_digit(ruc[:10]) == int(ruc[-1])


@pytest.mark.parametrize("ruc", VALID_RUCS)
def test_every_other_check_digit_is_rejected(ruc: str) -> None:
    for d in "0123456789":
        if d == ruc[-1]:
            continue
        wrong = ruc[:10] + d
        assert not is_valid_ruc(wrong)
        with pytest.raises(InvalidInput) as exc:
            validate_document("6", wrong)
        assert exc.value.code == "ruc_check_digit"
        assert exc.value.loc == ["document_number"]
        assert "dígito verificador" in exc.value.msg


@pytest.mark.parametrize(
    ("ruc", "code"),
    [
        ("2010007097", "ruc_invalid"),
        ("201000709701", "ruc_invalid"),
        ("2010007097A", "ruc_invalid"),
        ("", "ruc_invalid"),
        ("２０１０００７０９７０", "ruc_invalid"),  # full-width digits
        ("30100070970", "ruc_prefix"),
        ("11100070970", "ruc_prefix"),
    ],
)
def test_ruc_format_and_prefix(ruc: str, code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_document(DocType.RUC, ruc)
    assert exc.value.code == code
    assert not is_valid_ruc(ruc)


def test_ruc_prefix_checked_even_with_a_matching_check_digit() -> None:
    body = "3010007097"
    ruc = body + str(ruc_check_digit(body))
    with pytest.raises(InvalidInput) as exc:
        validate_document(DocType.RUC, ruc)
    assert exc.value.code == "ruc_prefix"


@given(
    st.sampled_from(sorted(RUC_PREFIXES)),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)
def test_each_body_has_exactly_one_valid_check_digit(prefix: str, rest: str) -> None:
    body = prefix + rest
    valid = [d for d in "0123456789" if is_valid_ruc(body + d)]
    assert valid == [str(_reference_check_digit(body))]


def test_is_valid_ruc_tolerates_blanks_and_junk() -> None:
    assert is_valid_ruc(" 20100070970 ")
    assert not is_valid_ruc(20100070970)
    assert not is_valid_ruc(None)


def test_ruc_is_company() -> None:
    assert ruc_is_company("20100070970")
    assert not ruc_is_company("10417844398")
    with pytest.raises(InvalidInput) as exc:
        ruc_is_company("20100070971")
    assert exc.value.code == "ruc_check_digit"


def test_ruc_from_dni() -> None:
    assert ruc_from_dni("45873219") == "10458732197"
    with pytest.raises(InvalidInput) as exc:
        ruc_from_dni("4587321")
    assert exc.value.code == "dni_invalid"


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_ruc_from_any_dni_is_valid_and_personal(dni: str) -> None:
    ruc = ruc_from_dni(dni)
    assert is_valid_ruc(ruc) and ruc[2:10] == dni and not ruc_is_company(ruc)


# --- DNI, CE, passport, others --------------------------------------------------------


@pytest.mark.parametrize("dni", ["45873219", " 00000001 ", "\t12345678\n"])
def test_valid_dni_is_normalized(dni: str) -> None:
    assert validate_document(DocType.DNI, dni) == dni.strip()
    assert is_valid_dni(dni)


@pytest.mark.parametrize("dni", ["1234567", "123456789", "1234567A", "1234 5678", "", "٤٥٨٧٣٢١٩"])
def test_invalid_dni(dni: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_document("1", dni)
    assert exc.value.code == "dni_invalid"
    assert exc.value.loc == ["document_number"]
    assert exc.value.msg == "El DNI debe tener exactamente 8 dígitos."
    assert not is_valid_dni(dni)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("001234567", "001234567"), (" ab1234567 ", "AB1234567"), ("123456789012", "123456789012")],
)
def test_valid_ce(raw: str, normalized: str) -> None:
    assert validate_document(DocType.CARNE_EXTRANJERIA, raw) == normalized


@pytest.mark.parametrize("ce", ["12345678", "1234567890123", "12345-6789", "ÑA1234567"])
def test_invalid_ce(ce: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_document("4", ce)
    assert exc.value.code == "ce_invalid"


@pytest.mark.parametrize(
    ("raw", "normalized"), [("ab123456", "AB123456"), ("123456", "123456"), ("X" * 12, "X" * 12)]
)
def test_valid_passport(raw: str, normalized: str) -> None:
    assert validate_document(DocType.PASAPORTE, raw) == normalized


@pytest.mark.parametrize("passport", ["12345", "X" * 13, "AB 12345", "AB-12345"])
def test_invalid_passport(passport: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_document("7", passport)
    assert exc.value.code == "passport_invalid"


def test_no_document_and_diplomatic() -> None:
    assert validate_document("0", "  ") == "-"
    assert validate_document("0", "-") == "-"
    assert validate_document("a", "cd12345") == "CD12345"
    with pytest.raises(InvalidInput) as exc:
        validate_document("A", "")
    assert exc.value.code == "diplomatic_id_invalid"
    with pytest.raises(InvalidInput) as exc:
        validate_document("0", "X" * 16)
    assert exc.value.code == "document_number_invalid"


@pytest.mark.parametrize("bad", ["2", "DNI", "", None, 9])
def test_unknown_doc_type(bad: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_document(bad, "45873219")  # type: ignore[arg-type]
    assert exc.value.code == "doc_type_invalid"
    assert exc.value.loc == ["document_type"]


def test_doc_type_codes_and_labels() -> None:
    assert [t.value for t in DocType] == ["0", "1", "4", "6", "7", "A"]
    assert parse_doc_type(6) is DocType.RUC
    assert parse_doc_type(" 1 ") is DocType.DNI
    assert DocType.CARNE_EXTRANJERIA.label == "Carné de extranjería"
    assert all(t.label for t in DocType)


def test_number_must_be_text() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_document(DocType.DNI, 45873219)
    assert exc.value.code == "document_number_invalid"
