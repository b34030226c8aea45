"""Login throttling, the rule both apps apply: after 5 failed sign-ins within 15 minutes a
(username, IP) pair waits 15 minutes. Pure: the apps keep the state in their own tables."""

from __future__ import annotations

import datetime as dt
import math

from domain.errors import TooManyRequests

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
LOCK = dt.timedelta(minutes=15)


def throttle_key(username: str, ip: str) -> tuple[str, str]:
    """The key a sign-in attempt is counted under."""
    return username.strip().lower()[:60], (ip or "desconocida")[:45]


def seconds_locked(locked_until: dt.datetime | None, now: dt.datetime) -> int | None:
    """Seconds still to wait (rounded up), or None when the pair may try."""
    if locked_until is None:
        return None
    remaining = (locked_until - now).total_seconds()
    return math.ceil(remaining) if remaining > 0 else None


def after_failure(
    failures: list[str], locked_until: dt.datetime | None, now: dt.datetime
) -> tuple[list[str], dt.datetime | None, bool]:
    """State after one more failure: (recent failures as ISO strings, locked_until, locked now).

    Failures older than the window are forgotten; the fifth within it locks the pair and clears
    the list, so after the lock the pair has five fresh attempts."""
    if locked_until is not None and locked_until <= now:
        locked_until = None
    recent = [t for t in failures if now - dt.datetime.fromisoformat(t) < WINDOW]
    recent.append(now.isoformat())
    if len(recent) >= MAX_FAILURES:
        return [], now + LOCK, True
    return recent, locked_until, False


def throttled_error(seconds: int) -> TooManyRequests:
    minutes = max(1, math.ceil(seconds / 60))
    return TooManyRequests(
        "Demasiados intentos fallidos de inicio de sesión. "
        f"Espere {minutes} minuto{'s' if minutes != 1 else ''} e intente de nuevo.",
        retry_after=seconds,
        code="login_throttled",
    )
