from __future__ import annotations

import datetime as dt

from domain.throttle import LOCK, MAX_FAILURES, WINDOW, after_failure, seconds_locked

T0 = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


def test_fifth_failure_within_the_window_locks_and_clears() -> None:
    failures: list[str] = []
    locked_until = None
    for i in range(MAX_FAILURES):
        failures, locked_until, locked = after_failure(
            failures, locked_until, T0 + dt.timedelta(seconds=i)
        )
        assert locked is (i == MAX_FAILURES - 1)
    assert failures == [] and locked_until == T0 + dt.timedelta(seconds=4) + LOCK
    assert seconds_locked(locked_until, T0 + dt.timedelta(seconds=4)) == int(LOCK.total_seconds())
    assert seconds_locked(locked_until, locked_until) is None


def test_old_failures_are_forgotten() -> None:
    old = [(T0 - WINDOW - dt.timedelta(seconds=1)).isoformat()] * (MAX_FAILURES - 1)
    failures, locked_until, locked = after_failure(old, None, T0)
    assert not locked and locked_until is None and failures == [T0.isoformat()]
