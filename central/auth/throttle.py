"""Login throttling: after 5 failed sign-ins a (username, IP) pair waits 15 minutes.

Kept in the ``login_throttle`` table so a restart does not reset it. Failures older than the
window are forgotten; the fifth failure within the window locks the pair and clears the list.
A successful sign-in deletes the row; attempts while locked are refused without checking the
password.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlmodel import Session

from central.auth.models import LoginThrottle
from domain.clock import Clock
from domain.errors import TooManyRequests

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
LOCK = dt.timedelta(minutes=15)


def throttle_key(username: str, ip: str) -> tuple[str, str]:
    return username.strip().lower()[:60], (ip or "desconocida")[:45]


def locked_for(*, session: Session, clock: Clock, username: str, ip: str) -> int | None:
    """Seconds the pair must still wait (rounded up), or None when it may try."""
    row = session.get(LoginThrottle, throttle_key(username, ip))
    if row is None or row.locked_until is None:
        return None
    remaining = (row.locked_until - clock.now()).total_seconds()
    return math.ceil(remaining) if remaining > 0 else None


def throttled_error(seconds: int) -> TooManyRequests:
    minutes = max(1, math.ceil(seconds / 60))
    return TooManyRequests(
        "Demasiados intentos fallidos de inicio de sesión. "
        f"Espere {minutes} minuto{'s' if minutes != 1 else ''} e intente de nuevo.",
        retry_after=seconds,
        code="login_throttled",
    )


def register_failure(*, session: Session, clock: Clock, username: str, ip: str) -> bool:
    """Count one failed attempt; True when this failure locks the pair."""
    now = clock.now()
    key = throttle_key(username, ip)
    row = session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(username=key[0], ip=key[1], failures=[], updated_at=now)
    if row.locked_until is not None and row.locked_until <= now:
        row.locked_until = None
    recent = [t for t in row.failures if now - dt.datetime.fromisoformat(t) < WINDOW]
    recent.append(now.isoformat())
    locked = len(recent) >= MAX_FAILURES
    if locked:
        row.locked_until = now + LOCK
        recent = []
    row.failures = recent
    row.updated_at = now
    session.add(row)
    return locked


def reset(*, session: Session, username: str, ip: str) -> None:
    row = session.get(LoginThrottle, throttle_key(username, ip))
    if row is not None:
        session.delete(row)
