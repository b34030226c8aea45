"""Hybrid logical clock: monotonic under clock jumps, receive rule, encoding, restore."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.clock import FixedClock, from_unix_ms
from domain.errors import InvalidInput, RuleViolation
from domain.hlc import COUNTER_MAX, HLC, Timestamp, encode, is_beyond, parse

T0 = 1_780_000_000_000  # a 2026 instant in Unix ms


def clock_at(ms: int) -> FixedClock:
    return FixedClock(from_unix_ms(ms))


def test_encoding_is_fixed_width_hex() -> None:
    ts = Timestamp(T0, 3, "edge01")
    assert encode(ts) == str(ts) == f"{T0:012x}-0003-edge01"
    assert parse(encode(ts)) == ts


@pytest.mark.parametrize(
    "bad",
    [
        "",
        None,
        "19e7c3e0c00-0000-edge01",  # 11 hex digits
        "019e7c3e0c00-00000-edge01",
        "019E7C3E0C00-0000-edge01",  # uppercase breaks byte order
        "019e7c3e0c00-0000-",
        "019e7c3e0c00-0000-Edge",
        "019e7c3e0c00-0000-edge 01",
    ],
)
def test_parse_rejects_malformed(bad: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(bad)
    assert exc.value.code == "hlc_invalid"
    assert exc.value.loc == ["hlc"]


def test_timestamp_range_and_node_checked() -> None:
    with pytest.raises(InvalidInput):
        Timestamp(-1, 0, "a")
    with pytest.raises(InvalidInput):
        Timestamp(0, COUNTER_MAX + 1, "a")
    with pytest.raises(InvalidInput) as exc:
        HLC("Sede 1", clock_at(T0))
    assert exc.value.code == "node_id_invalid"


nodes = st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True)
stamps = st.builds(Timestamp, st.integers(0, 2**48 - 1), st.integers(0, COUNTER_MAX), nodes)


@given(stamps, stamps)
def test_lexical_order_is_timestamp_order(a: Timestamp, b: Timestamp) -> None:
    assert (a < b) == (encode(a) < encode(b))
    assert (a == b) == (encode(a) == encode(b))
    assert (encode(a).encode() < encode(b).encode()) == (a < b)  # byte order too


@given(stamps)
def test_parse_encode_round_trip(ts: Timestamp) -> None:
    assert parse(encode(ts)) == ts


def test_now_follows_the_wall_clock() -> None:
    clock = clock_at(T0)
    hlc = HLC("edge01", clock)
    assert hlc.last is None
    assert hlc.now() == Timestamp(T0, 0, "edge01")
    assert hlc.now() == Timestamp(T0, 1, "edge01")
    clock.advance(seconds=0.005)
    assert hlc.now() == Timestamp(T0 + 5, 0, "edge01")
    assert hlc.last == Timestamp(T0 + 5, 0, "edge01")


def test_now_survives_the_wall_clock_going_back() -> None:
    clock = clock_at(T0)
    hlc = HLC("edge01", clock)
    first = hlc.now()
    clock.advance(seconds=-3600)
    second = hlc.now()
    assert second == Timestamp(T0, 1, "edge01")
    assert second > first


def test_counter_overflow_moves_to_the_next_millisecond() -> None:
    hlc = HLC("edge01", clock_at(T0), last=Timestamp(T0, COUNTER_MAX - 1, "edge01"))
    a = hlc.now()
    b = hlc.now()
    assert a == Timestamp(T0, COUNTER_MAX, "edge01")
    assert b == Timestamp(T0 + 1, 0, "edge01")
    assert encode(a) < encode(b)


def test_update_receive_rules() -> None:
    clock = clock_at(T0)
    hlc = HLC("hub", clock)
    hlc.now()  # (T0, 0)
    # remote ahead of us: adopt its wall, counter + 1
    assert hlc.update(Timestamp(T0 + 50, 7, "edge01")) == Timestamp(T0 + 50, 8, "hub")
    # remote behind: keep our wall, bump our counter
    assert hlc.update(Timestamp(T0 - 10, 99, "edge02")) == Timestamp(T0 + 50, 9, "hub")
    # same wall on both: max of counters + 1
    assert hlc.update(Timestamp(T0 + 50, 30, "edge03")) == Timestamp(T0 + 50, 31, "hub")
    # wall clock overtakes both: counter resets
    clock.advance(seconds=1)
    assert hlc.update(f"{T0 + 60:012x}-0005-edge01") == Timestamp(T0 + 1000, 0, "hub")


def test_update_with_max_offset_refuses_stamps_from_the_future() -> None:
    hlc = HLC("hub", clock_at(T0), max_offset_ms=500)
    before = hlc.now()
    with pytest.raises(RuleViolation) as exc:
        hlc.update(Timestamp(T0 + 501, 0, "edge01"))
    assert exc.value.code == "hlc_clock_skew"
    assert "edge01" in exc.value.msg
    assert hlc.last == before  # state untouched
    assert hlc.update(Timestamp(T0 + 500, 0, "edge01")) == Timestamp(T0 + 500, 1, "hub")


def test_is_beyond() -> None:
    assert not is_beyond(Timestamp(T0 + 1000, 0, "a"), T0, 1000)
    assert is_beyond(Timestamp(T0 + 1001, 0, "a"), T0, 1000)
    assert is_beyond(f"{T0 + 1001:012x}-0000-a", T0, 1000)
    assert not is_beyond(Timestamp(T0 - 99_999, 0, "a"), T0, 0)


def test_restore_resumes_after_restart_even_with_a_late_clock() -> None:
    clock = clock_at(T0)
    hlc = HLC("edge01", clock)
    for _ in range(3):
        last = hlc.now()
    persisted = encode(last)
    # restart with a wall clock an hour late (e.g. a CMOS battery reset)
    reborn = HLC.restore(persisted, node_id="edge01", clock=clock_at(T0 - 3_600_000))
    assert reborn.last == last
    assert reborn.now() > last
    fresh = HLC.restore(None, node_id="edge01", clock=clock_at(T0))
    assert fresh.last is None
    with pytest.raises(InvalidInput):
        HLC.restore("garbage", node_id="edge01", clock=clock)


def test_hlc_wall_is_unix_ms_of_the_clock() -> None:
    clock = FixedClock(datetime(2026, 11, 29, 23, 30, 0, 123_456, tzinfo=UTC))
    ts = HLC("n1", clock).now()
    assert from_unix_ms(ts.wall_ms) == datetime(2026, 11, 29, 23, 30, 0, 123_000, tzinfo=UTC)


# --- properties -----------------------------------------------------------------------

walls = st.integers(min_value=0, max_value=2**47)
events = st.lists(
    st.tuples(
        walls,  # wall clock reading at this event (jumps anywhere, back or forth)
        st.none() | st.tuples(walls, st.integers(0, COUNTER_MAX), nodes),  # received stamp
    ),
    min_size=1,
    max_size=60,
)


@given(events)
def test_stamps_strictly_increase_under_arbitrary_clock_jumps(
    evts: list[tuple[int, tuple[int, int, str] | None]],
) -> None:
    clock = clock_at(0)
    hlc = HLC("edge01", clock)
    issued: list[Timestamp] = []
    for wall, remote in evts:
        clock.set(from_unix_ms(wall))
        if remote is None:
            ts = hlc.now()
        else:
            rts = Timestamp(*remote)
            ts = hlc.update(rts)
            assert ts > rts
            assert (ts.wall_ms, ts.counter) > (rts.wall_ms, rts.counter)
        if issued:
            assert ts > issued[-1]
            assert encode(ts) > encode(issued[-1])
        # never behind the wall clock
        assert ts.wall_ms >= wall
        issued.append(ts)


@given(st.lists(walls, min_size=1, max_size=40), walls)
def test_restored_clock_continues_monotonically(before: list[int], restart_wall: int) -> None:
    clock = clock_at(0)
    hlc = HLC("edge01", clock)
    for w in before:
        clock.set(from_unix_ms(w))
        last = hlc.now()
    reborn = HLC.restore(encode(last), node_id="edge01", clock=clock_at(restart_wall))
    assert reborn.now() > last


late_stamps = st.builds(Timestamp, walls, st.integers(0, COUNTER_MAX), nodes)


@given(late_stamps, late_stamps, walls)
def test_update_is_after_local_last_and_remote(
    local: Timestamp, remote: Timestamp, wall: int
) -> None:
    mine = Timestamp(local.wall_ms, local.counter, "edge01")
    hlc = HLC("edge01", clock_at(wall), last=mine)
    ts = hlc.update(remote)
    assert ts > remote
    assert (ts.wall_ms, ts.counter) > (local.wall_ms, local.counter)
