"""The hub's HLC after its wall clock jumps: stamps stay strictly monotonic, the counter stays
bounded, stamps come back to wall time once the wall clock catches up, a remote stamp beyond
the 5-minute bound is never adopted, and (on the real clock) a forward step that does not hold
is never adopted at all. Fake wall and monotonic clocks throughout."""

from __future__ import annotations

import datetime as dt

import pytest

from central.sync.hub_clock import StepGuardClock, hub_hlc
from domain.clock import FixedClock, SystemClock, to_unix_ms
from domain.errors import RuleViolation
from domain.hlc import COUNTER_MAX, HLC, Timestamp
from sync.protocol import MAX_CLOCK_OFFSET_MS

T0 = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


class Mono:
    """A fake monotonic clock, moved together with the fake wall clock."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _tick(wall: FixedClock, mono: Mono, seconds: float) -> None:
    wall.advance(seconds=seconds)
    mono.t += seconds


def _ms(instant: dt.datetime) -> int:
    return to_unix_ms(instant)


def test_without_a_guard_a_jump_back_keeps_stamps_monotonic_bounded_and_then_recovers() -> None:
    """The bare HLC (injected clocks): after +1 h and back it stays at the jump's stamp, but
    its counter never exceeds 16 bits (each overflow is one logical millisecond) and the first
    stamp after the wall clock passes it is wall time with counter 0 (no restart needed)."""
    wall = FixedClock(T0)
    hlc = HLC("hub", wall)
    wall.advance(HOUR)
    ahead = hlc.now()
    wall.advance(-HOUR)  # the NTP fix back
    stamps = [hlc.now() for _ in range(200_000)]
    assert all(a < b for a, b in zip([ahead, *stamps], stamps, strict=False))
    assert max(s.counter for s in stamps) <= COUNTER_MAX
    assert stamps[-1].wall_ms - ahead.wall_ms <= 200_000 // (COUNTER_MAX + 1) + 1  # ≤ 4 ms drift
    wall.set(T0 + HOUR + dt.timedelta(milliseconds=10))
    back = hlc.now()
    assert back > stamps[-1]
    assert (back.wall_ms, back.counter) == (_ms(wall.now()), 0)


def test_the_guard_never_adopts_a_forward_step_that_does_not_hold() -> None:
    wall, mono = FixedClock(T0), Mono()
    hlc = HLC("hub", StepGuardClock(wall, max_offset_ms=MAX_CLOCK_OFFSET_MS, monotonic=mono))
    first = hlc.now()
    wall.advance(HOUR)  # a bad NTP answer: the wall clock leaps an hour ...
    stamps = []
    for _ in range(30):
        _tick(wall, mono, 1.0)
        stamps.append(hlc.now())
    true_now = T0 + dt.timedelta(seconds=30)
    assert all(s.wall_ms <= _ms(true_now) for s in stamps)  # ... never stamped
    wall.set(true_now)  # ... and is fixed back
    _tick(wall, mono, 0.5)
    after = hlc.now()
    assert (after.wall_ms, after.counter) == (_ms(wall.now()), 0)  # wall time at once
    assert all(a < b for a, b in zip([first, *stamps], [*stamps, after], strict=True))


def test_the_guard_adopts_a_real_correction_forward_once_it_holds() -> None:
    wall, mono = FixedClock(T0), Mono()
    guard = StepGuardClock(wall, max_offset_ms=MAX_CLOCK_OFFSET_MS, confirm_s=300, monotonic=mono)
    hlc = HLC("hub", guard)
    hlc.now()
    wall.advance(HOUR)  # the clock *was* an hour behind
    _tick(wall, mono, 1.0)
    assert hlc.now().wall_ms < _ms(wall.now()) and guard.stepped
    for _ in range(300):
        _tick(wall, mono, 1.0)
        stamp = hlc.now()
    assert stamp.wall_ms == _ms(wall.now()) and not guard.stepped
    _tick(wall, mono, 1.0)
    assert hlc.now().wall_ms == _ms(wall.now())  # and it stays there


def test_small_steps_and_steps_back_pass_through_the_guard() -> None:
    wall, mono = FixedClock(T0), Mono()
    guard = StepGuardClock(wall, max_offset_ms=MAX_CLOCK_OFFSET_MS, monotonic=mono)
    assert guard.now() == T0
    wall.advance(dt.timedelta(minutes=4))  # within the bound: a slewed or drifting clock
    assert guard.now() == wall.now()
    wall.advance(-HOUR)  # back: passed on (the HLC itself stays monotonic)
    assert guard.now() == wall.now() and not guard.stepped


def test_hub_hlc_refuses_remote_stamps_beyond_five_minutes() -> None:
    wall = FixedClock(T0)
    hlc = hub_hlc(wall)
    assert hlc.max_offset_ms == MAX_CLOCK_OFFSET_MS
    before = hlc.now()
    far = Timestamp(_ms(T0) + MAX_CLOCK_OFFSET_MS + 1, 0, "edge01")
    with pytest.raises(RuleViolation) as info:
        hlc.update(far)
    assert info.value.code == "hlc_clock_skew"
    assert hlc.last == before  # unchanged
    near = Timestamp(_ms(T0) + MAX_CLOCK_OFFSET_MS - 1, 7, "edge01")
    assert hlc.update(near) > near  # within the bound it is adopted
    assert hub_hlc(wall) is hlc  # one per clock (per process)


def test_hub_hlc_on_the_real_clock_is_guarded() -> None:
    hlc = hub_hlc(SystemClock())
    assert isinstance(hlc._clock, StepGuardClock)
    assert abs(hlc.now().wall_ms - _ms(dt.datetime.now(dt.UTC))) < 5_000
