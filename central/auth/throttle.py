"""Login throttling: after 5 failed sign-ins a (username, IP) pair waits 15 minutes.

Kept in the ``login_throttle`` table so a restart does not reset it. Failures older than the
window are forgotten; the fifth failure within the window locks the pair and clears the list.
A successful sign-in deletes the row; attempts while locked are refused without checking the
password.
"""

from __future__ import annotations

from sqlmodel import Session

from central.auth.models import LoginThrottle
from domain.clock import Clock
from domain.throttle import (
    LOCK,
    after_failure,
    seconds_locked,
    throttle_key,
    throttled_error,
)


def locked_for(*, session: Session, clock: Clock, username: str, ip: str) -> int | None:
    """Seconds the pair must still wait (rounded up), or None when it may try."""
    row = session.get(LoginThrottle, throttle_key(username, ip))
    return None if row is None else seconds_locked(row.locked_until, clock.now())


def register_failure(*, session: Session, clock: Clock, username: str, ip: str) -> bool:
    """Count one failed attempt; True when this failure locks the pair."""
    now = clock.now()
    key = throttle_key(username, ip)
    row = session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(username=key[0], ip=key[1], failures=[], updated_at=now)
    row.failures, row.locked_until, locked = after_failure(row.failures, row.locked_until, now)
    row.updated_at = now
    session.add(row)
    return locked


def reset(*, session: Session, username: str, ip: str) -> None:
    row = session.get(LoginThrottle, throttle_key(username, ip))
    if row is not None:
        session.delete(row)


__all__ = ["LOCK", "locked_for", "register_failure", "reset", "throttle_key", "throttled_error"]
