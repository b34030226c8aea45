"""UUIDv7 ids and human order numbers."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.clock import to_unix_ms
from domain.errors import InvalidInput
from domain.ids import (
    OrderNumber,
    UUIDv7Generator,
    format_order_number,
    new_id,
    parse_id,
    parse_order_number,
    uuid7_time,
)

CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_new_id_is_canonical_v7() -> None:
    value = new_id()
    assert CANONICAL.fullmatch(value)
    parsed = uuid.UUID(value)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert str(parsed) == value


def test_new_id_time_is_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = uuid7_time(new_id())
    after = datetime.now(UTC)
    assert before <= stamp <= after
    assert stamp.tzinfo is UTC


def test_new_ids_are_unique_and_sorted_in_process() -> None:
    ids = [new_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_known_layout() -> None:
    gen = UUIDv7Generator(ms_source=lambda: 0x017F22E279B0, rand_source=lambda bits: 0)
    # RFC 9562 appendix A.6 timestamp (2022-02-22 19:22:22 UTC) with zero random bits.
    value = gen()
    assert value == "017f22e2-79b0-7000-8000-000000000000"
    assert uuid7_time(value) == datetime(2022, 2, 22, 19, 22, 22, tzinfo=UTC)


def test_same_millisecond_counts_up_and_backwards_clock_keeps_order() -> None:
    times = iter([1000, 1000, 1000, 999, 500, 1001])
    gen = UUIDv7Generator(ms_source=lambda: next(times), rand_source=lambda bits: 41)
    ids = [gen() for _ in range(6)]
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert [uuid.UUID(i).int & ((1 << 62) - 1) for i in ids[:5]] == [41, 42, 43, 44, 45]
    assert [uuid7_time(i) for i in ids[:5]] == [uuid7_time(ids[0])] * 5
    assert to_unix_ms(uuid7_time(ids[5])) == 1001


def test_random_field_overflow_moves_to_next_ms() -> None:
    rand_max = (1 << 74) - 1
    gen = UUIDv7Generator(ms_source=lambda: 2000, rand_source=lambda bits: rand_max)
    first, second = gen(), gen()
    assert first < second
    assert uuid.UUID(first).version == uuid.UUID(second).version == 7
    assert to_unix_ms(uuid7_time(first)) == 2000
    assert to_unix_ms(uuid7_time(second)) == 2001


@given(st.lists(st.integers(min_value=0, max_value=2**48 - 2), min_size=1, max_size=50))
def test_monotonic_under_any_clock(times: list[int]) -> None:
    it = iter(times)
    gen = UUIDv7Generator(ms_source=lambda: next(it))
    ids = [gen() for _ in times]
    assert all(a < b for a, b in zip(ids, ids[1:], strict=False))
    assert all(CANONICAL.fullmatch(i) for i in ids)


def test_thread_safe_uniqueness() -> None:
    gen = UUIDv7Generator()
    out: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [gen() for _ in range(2000)]
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(out)) == 8000


def test_parse_id() -> None:
    upper = "017F22E2-79B0-7CC3-98C4-DC0C0C07398F"
    assert parse_id(f" {upper} ") == upper.lower()
    for bad in ("nope", "", None, 123, "017f22e2-79b0-7cc3-98c4"):
        with pytest.raises(InvalidInput) as exc:
            parse_id(bad)
        assert exc.value.code == "id_invalid"
        assert exc.value.loc == ["id"]


def test_uuid7_time_refuses_other_versions() -> None:
    with pytest.raises(InvalidInput) as exc:
        uuid7_time(str(uuid.uuid4()))
    assert exc.value.code == "id_invalid"


# --- order numbers --------------------------------------------------------------------


def test_format_order_number() -> None:
    assert format_order_number("S01", date(2026, 11, 29), 1) == "S01-20261129-0001"
    assert format_order_number("mira", date(2026, 1, 2), 12345) == "MIRA-20260102-12345"


@pytest.mark.parametrize(
    ("code", "n", "err"),
    [
        ("1AB", 1, "sede_code_invalid"),
        ("S", 1, "sede_code_invalid"),
        ("S-01", 1, "sede_code_invalid"),
        ("SEDE12345", 1, "sede_code_invalid"),
        ("S01", 0, "order_seq_invalid"),
        ("S01", 1_000_000, "order_seq_invalid"),
        ("S01", True, "order_seq_invalid"),
    ],
)
def test_format_order_number_errors(code: str, n: int, err: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        format_order_number(code, date(2026, 11, 29), n)
    assert exc.value.code == err


def test_parse_order_number() -> None:
    parsed = parse_order_number(" s01-20261129-0042 ")
    assert parsed == OrderNumber("S01", date(2026, 11, 29), 42)
    assert str(parsed) == "S01-20261129-0042"


@pytest.mark.parametrize(
    "bad",
    [
        "S01-20261129-00042",  # not canonical
        "S01-20261129-042",
        "S01-20261129-0000",
        "S01-20261131-0001",  # 31 Nov
        "S01-2026-11-29-0001",
        "20261129-0001",
        "",
        None,
    ],
)
def test_parse_order_number_errors(bad: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_order_number(bad)
    assert exc.value.code == "order_number_invalid"
    assert exc.value.loc == ["order_number"]
    assert "SEDE-AAAAMMDD-NNNN" in exc.value.msg


sede_codes = st.from_regex(r"[A-Z][A-Z0-9]{1,7}", fullmatch=True)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(9999, 12, 31))
seqs = st.integers(min_value=1, max_value=999_999)


@given(sede_codes, days, seqs)
def test_order_number_round_trip(code: str, day: date, n: int) -> None:
    text = format_order_number(code, day, n)
    assert parse_order_number(text) == OrderNumber(code, day, n)


@given(sede_codes, sede_codes, days, days, seqs, seqs)
def test_order_numbers_of_different_sedes_never_collide(
    a: str, b: str, d1: date, d2: date, n1: int, n2: int
) -> None:
    if a != b:
        assert format_order_number(a, d1, n1) != format_order_number(b, d2, n2)


@given(sede_codes, days, st.integers(1, 9998))
def test_order_numbers_sort_within_a_sede_day(code: str, day: date, n: int) -> None:
    assert format_order_number(code, day, n) < format_order_number(code, day, n + 1)
