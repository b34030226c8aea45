"""The physical clock of the hub's HLC: the wall clock, except that a forward *step* is only
believed once it has held.

An HLC never goes back, so a wall clock that jumps ahead (a bad NTP answer, a mistyped date)
and back leaves every later stamp as far ahead as the jump until real time catches up with it
(an hour's jump: an hour of hub stamps "in the future"; a year's: a year). The hub's stamps
decide last-writer-wins ties at the hub and travel to every sede, so this clock compares each
wall reading with the one before plus the time a monotonic clock says has passed: a reading more
than ``max_offset_ms`` ahead of that (the same 5-minute bound the hub puts on a sede's stamps)
is a step, and until it has held for ``confirm_s`` seconds the HLC is given the projected time
instead. A transient step is thus never adopted; a real correction forward (the clock *was*
behind) is adopted after ``confirm_s``. Steps back need nothing here: the HLC stays monotonic
by itself and is back to wall time once the wall clock passes its last stamp.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

from domain.clock import Clock, SystemClock, to_unix_ms
from domain.hlc import HLC
from sync.protocol import MAX_CLOCK_OFFSET_MS

CONFIRM_S = 300.0


class StepGuardClock:
    """A :class:`domain.clock.Clock` that hides forward steps of ``clock`` until they hold."""

    def __init__(
        self,
        clock: Clock,
        *,
        max_offset_ms: int,
        confirm_s: float = CONFIRM_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock, self.max_offset_ms, self.confirm_s = clock, max_offset_ms, confirm_s
        self.monotonic = monotonic
        self._anchor: tuple[dt.datetime, float] | None = None  # last believed reading
        self._step_since: float | None = None  # monotonic time a forward step was first seen
        self._lock = threading.Lock()

    @property
    def stepped(self) -> bool:
        """True while a forward step is being held back."""
        return self._step_since is not None

    def now(self) -> dt.datetime:
        wall, mono = self.clock.now(), self.monotonic()
        with self._lock:
            if self._anchor is None:
                self._anchor = (wall, mono)
                return wall
            base, base_mono = self._anchor
            expected = base + dt.timedelta(seconds=max(0.0, mono - base_mono))
            if to_unix_ms(wall) - to_unix_ms(expected) > self.max_offset_ms:
                if self._step_since is None:
                    self._step_since = mono
                if mono - self._step_since < self.confirm_s:
                    return expected  # not believed yet (and not re-anchored on)
            self._step_since = None
            self._anchor = (wall, mono)
            return wall


_HLCS: dict[int, tuple[Clock, HLC]] = {}


def hub_hlc(clock: Clock) -> HLC:
    """The hub's hybrid logical clock (one per clock object, i.e. per hub process).

    It refuses a remote stamp more than ``MAX_CLOCK_OFFSET_MS`` ahead of its physical time (the
    ingest only offers it trusted stamps anyway), and on the real clock a forward step of the
    wall clock is only believed once it has held (:mod:`central.sync.hub_clock`), so a clock
    that jumps ahead and back does not leave the hub stamping in the future. Injected clocks
    (tests, the simulation, the demo's offset clock) are used as they are: they have no
    monotonic clock to compare with."""
    entry = _HLCS.get(id(clock))
    if entry is None or entry[0] is not clock:
        physical: Clock = clock
        if type(clock) is SystemClock:
            physical = StepGuardClock(clock, max_offset_ms=MAX_CLOCK_OFFSET_MS)
        entry = (clock, HLC("hub", physical, max_offset_ms=MAX_CLOCK_OFFSET_MS))
        _HLCS[id(clock)] = entry
    return entry[1]


__all__ = ["CONFIRM_S", "StepGuardClock", "hub_hlc"]
