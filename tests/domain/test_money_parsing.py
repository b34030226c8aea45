"""The one amount parser on the wire (``domain.money.parse_amount``) and the payment reference
rule (``domain.payment_reference``): ASCII only, one format, stable codes, Spanish hints."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.money import AMOUNT_FORMAT, parse_amount, to_cents
from domain.payment_reference import check_payment_reference

WIRE = re.compile(r"-?[0-9]{1,9}(\.[0-9]{1,2})?")


@pytest.mark.parametrize(
    ("raw", "cents"),
    [
        ("35.00", 3500),
        ("35", 3500),
        ("35.5", 3550),
        ("0", 0),
        ("0.01", 1),
        ("  35.00 ", 3500),  # ASCII spaces around are stripped
        ("000035.00", 3500),
        ("999999999.99", 99_999_999_999),
        (35, 3500),
    ],
)
def test_accepted_amounts(raw: object, cents: int) -> None:
    assert to_cents(parse_amount(raw)) == cents


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1e3", "amount_invalid"),
        ("1E2", "amount_invalid"),
        ("٣٥.٠٠", "amount_invalid"),  # Arabic-Indic digits
        ("３５.００", "amount_invalid"),  # fullwidth digits
        ("३५", "amount_invalid"),  # Devanagari digits
        ("\t35.00", "amount_invalid"),
        ("35.00\n", "amount_invalid"),
        ("\u00a035.00", "amount_invalid"),  # no-break space
        ("+35", "amount_invalid"),
        ("35.", "amount_invalid"),
        (".5", "amount_invalid"),
        ("NaN", "amount_invalid"),
        ("nan", "amount_invalid"),
        ("Infinity", "amount_invalid"),
        ("-Infinity", "amount_invalid"),
        ("35,00", "amount_invalid"),
        ("1,000.00", "amount_invalid"),
        ("3 5", "amount_invalid"),
        ("0x10", "amount_invalid"),
        ("1_000", "amount_invalid"),
        ("", "amount_invalid"),
        ("   ", "amount_invalid"),
        ("S/ 35", "amount_invalid"),
        ("35.001", "amount_precision"),
        ("1234567890", "amount_too_large"),
        ("99999999999999999999.00", "amount_too_large"),
        (10**9, "amount_too_large"),
        ("-1.00", "amount_negative"),
        (-1, "amount_negative"),
        (35.0, "amount_not_decimal"),
        (True, "amount_not_decimal"),
        (None, "amount_invalid"),
        ({"a": 1}, "amount_invalid"),
        (["35.00"], "amount_invalid"),
    ],
)
def test_refused_amounts_have_stable_codes_and_spanish_messages(raw: object, code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_amount(raw, field="monto")
    assert exc.value.code == code
    assert exc.value.loc == ["monto"]
    assert exc.value.msg.startswith("El monto")
    if code == "amount_invalid":
        assert "Use un monto como 35.00" in exc.value.msg


def test_message_quotes_short_printable_input_only() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_amount("1e3", field="precio")
    assert exc.value.msg == f"El precio «1e3» no es un monto válido. {AMOUNT_FORMAT}"
    assert exc.value.loc == ["precio"]
    with pytest.raises(InvalidInput) as exc:
        parse_amount("x" * 500)
    assert "x" * 21 not in exc.value.msg  # never echoes a long payload


def test_negative_only_when_allowed() -> None:
    assert parse_amount("-3.50", allow_negative=True) == Decimal("-3.50")
    for bad in ("--3", "-+3", "- 3", "−3.50"):  # the last is U+2212 MINUS SIGN
        with pytest.raises(InvalidInput) as exc:
            parse_amount(bad, allow_negative=True)
        assert exc.value.code == "amount_invalid"


def test_decimals_from_code_keep_their_rules() -> None:
    assert parse_amount(Decimal("1E+2")) == Decimal("100.00")  # code, not the wire
    with pytest.raises(InvalidInput) as exc:
        parse_amount(Decimal("NaN"))
    assert exc.value.code == "amount_invalid"


wire_text = st.from_regex(r"\A[0-9]{1,9}(\.[0-9]{1,2})?\Z")


@given(wire_text, st.sampled_from(["", " ", "  "]), st.sampled_from(["", " "]))
@example("000000000.00", "", "")
@example("999999999.99", " ", " ")
def test_every_accepted_string_round_trips_to_the_same_centimos(
    text: str, before: str, after: str
) -> None:
    whole, _, frac = text.partition(".")
    expected = int(whole) * 100 + int(frac.ljust(2, "0") or "0")
    amount = parse_amount(before + text + after)
    assert to_cents(amount) == expected
    assert amount.as_tuple().exponent == -2
    # and what ``fmt`` writes parses back to the same céntimos
    assert to_cents(parse_amount(f"{amount:.2f}")) == expected


@given(st.text(max_size=16))
@example("٣٥.٠٠")
@example("1e3")
@example("35\n")
def test_nothing_outside_the_ascii_format_is_accepted(text: str) -> None:
    try:
        amount = parse_amount(text, allow_negative=True)
    except InvalidInput as exc:
        assert exc.code in {"amount_invalid", "amount_precision", "amount_too_large"}
        return
    assert text.isascii()
    assert WIRE.fullmatch(text.strip(" ")) is not None
    assert to_cents(amount) == round(Decimal(text.strip(" ")) * 100)


@given(
    st.text(alphabet=st.characters(min_codepoint=128), min_size=1, max_size=3),
    wire_text,
    st.integers(min_value=0, max_value=12),
)
def test_any_non_ascii_character_is_refused(junk: str, text: str, at: int) -> None:
    at = min(at, len(text))
    with pytest.raises(InvalidInput) as exc:
        parse_amount(text[:at] + junk + text[at:])
    assert exc.value.code == "amount_invalid"


# ------------------------------------------------------------------ payment reference
@pytest.mark.parametrize("method", ["tarjeta", "yape", "plin", "transferencia"])
@pytest.mark.parametrize("reference", [None, "", "   "])
def test_non_cash_needs_a_reference(method: str, reference: str | None) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_payment_reference(method, reference, loc=["body", "payments", 0, "reference"])
    assert exc.value.code == "payment_reference_required"
    assert exc.value.loc == ["body", "payments", 0, "reference"]
    assert exc.value.msg.startswith("Indique el número de")


@pytest.mark.parametrize("reference", ["AB", "x" * 41, "OP\x001234", "OP\n1234"])
def test_reference_format(reference: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_payment_reference("yape", reference)
    assert exc.value.code == "payment_reference_invalid"
    assert "de 3 a 40 caracteres" in exc.value.msg


def test_reference_is_stripped_and_optional_for_cash() -> None:
    assert check_payment_reference("yape", "  OP 12345  ") == "OP 12345"
    assert check_payment_reference("tarjeta", "x" * 40) == "x" * 40
    assert check_payment_reference("efectivo", None) is None
    assert check_payment_reference("efectivo", "  ") is None
    assert check_payment_reference("efectivo", "Caja 2") == "Caja 2"
    with pytest.raises(InvalidInput):
        check_payment_reference("efectivo", "x" * 41)
