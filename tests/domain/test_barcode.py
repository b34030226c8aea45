"""Code 128 encoding and the sample barcode format."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import barcode
from domain.errors import InvalidInput


def test_pattern_table_is_well_formed() -> None:
    assert len(barcode.PATTERNS) == 107 and len(set(barcode.PATTERNS)) == 107
    assert all(sum(map(int, p)) == 11 for p in barcode.PATTERNS[:106])
    assert barcode.PATTERNS[104] == "211214"  # START B
    assert barcode.PATTERNS[106] == "2331112"  # STOP, 13 modules


def test_known_checksum_set_b() -> None:
    # "PJJ123C" in set B: (104 + 1·48 + 2·42 + 3·42 + 4·17 + 5·18 + 6·19 + 7·35) mod 103 = 55
    values = barcode.encode("PJJ123C")
    assert values[0] == 104 and values[-2] == 55 and values[-1] == 106


def test_sample_barcode_uses_set_c_for_the_digits() -> None:
    values = barcode.encode("S012611290007")
    # START B, 'S', CODE C, 01 26 11 29 00 07, check, STOP
    assert values[:3] == [104, ord("S") - 32, 99]
    assert values[3:9] == [1, 26, 11, 29, 0, 7]
    assert sum(barcode.modules("S012611290007")) == 123


@given(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40)
)
def test_encode_decode_round_trip(text: str) -> None:
    assert barcode.decode(barcode.modules(text)) == text


@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_digits_are_never_longer_than_set_b(digits: str) -> None:
    assert len(barcode.encode(digits)) <= len(digits) + 3


def test_non_printable_is_refused() -> None:
    with pytest.raises(InvalidInput):
        barcode.encode("ABC\n")
    with pytest.raises(InvalidInput):
        barcode.encode("")


def test_sample_barcode_format_and_parse() -> None:
    code = barcode.format_sample_barcode("s01", date(2026, 11, 29), 7)
    assert code == "S012611290007"
    assert barcode.human_readable(code) == "S01 261129 0007"
    parsed = barcode.parse_sample_barcode(code)
    assert (parsed.sede_code, parsed.business_date, parsed.seq) == ("S01", date(2026, 11, 29), 7)
    with pytest.raises(InvalidInput) as err:
        barcode.format_sample_barcode("S01", date(2026, 11, 29), 10_000)
    assert err.value.code == "sample_seq_exhausted"
    with pytest.raises(InvalidInput):
        barcode.parse_sample_barcode("S012613290007")  # month 13


sede_codes = st.from_regex(r"[A-Z][A-Z0-9]{1,7}", fullmatch=True)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
seqs = st.integers(min_value=1, max_value=barcode.SAMPLE_SEQ_MAX)


@given(sede_codes, days, seqs, sede_codes, days, seqs)
def test_barcodes_never_collide(c1: str, d1: date, s1: int, c2: str, d2: date, s2: int) -> None:
    a = barcode.format_sample_barcode(c1, d1, s1)
    b = barcode.format_sample_barcode(c2, d2, s2)
    assert (a == b) == ((c1, d1, s1) == (c2, d2, s2))
    assert barcode.parse_sample_barcode(a) == barcode.SampleBarcode(c1, d1, s1)
