"""Login throttling: after 5 failed sign-ins a (username, IP) pair waits 15 minutes.

The state lives in the ``login_throttle`` table, so a restart does not reset it. Failures older
than the window are forgotten; the fifth failure within the window locks the pair and clears
the list, so after the lock the pair has five fresh attempts. A successful sign-in deletes
the row. Attempts made while locked are refused without checking the password.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session

from domain.clock import Clock
from domain.errors import TooManyRequests
from domain.throttle import (
    LOCK,
    WINDOW,
    after_failure,
    seconds_locked,
    throttle_key,
    throttled_error,
)
from edge.auth.models import LoginThrottle


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
    """Forget the pair's failures (after a successful sign-in)."""
    row = session.get(LoginThrottle, throttle_key(username, ip))
    if row is not None:
        session.delete(row)


# --------------------------------------------------------------------------- counter approvals
# A supervisor's password typed at the counter (discount, cash difference) is checked inside the
# sale's unit of work, which rolls back when it is wrong, so its failures cannot live in the
# table above. They are counted outside the database under (approver, requesting user): the
# same five-in-fifteen-minutes rule, so the approval fields are no way round the login throttle.
# In this process's memory by default; in a small JSON file under an flock when the node runs
# several API processes (:func:`share_approvals`), so the count is per node, not per process.
_Approval = tuple[list[str], dt.datetime | None]
_approvals: dict[tuple[str, str], _Approval] = {}
_approvals_lock = threading.Lock()
_approvals_file: Path | None = None


def share_approvals(path: Path | None) -> None:
    """Keep the approval counts in ``path`` (shared by the node's processes); None: memory."""
    global _approvals_file
    _approvals_file = path


@contextmanager
def _approval_state(write: bool) -> Iterator[dict[tuple[str, str], _Approval]]:
    """The counts, exclusively; saved back after the block when ``write``."""
    path = _approvals_file
    with _approvals_lock:
        if path is None:
            yield _approvals
            return
        with path.open("a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file closes
            fh.seek(0)
            try:
                raw = json.loads(fh.read() or "[]")
                state = {
                    (a, r): (list(f), dt.datetime.fromisoformat(u) if u else None)
                    for a, r, f, u in raw
                }
            except (ValueError, TypeError):  # a torn or foreign file: start again
                state = {}
            yield state
            if write:
                fh.seek(0)
                fh.truncate()
                rows = [[a, r, f, u.isoformat() if u else None] for (a, r), (f, u) in state.items()]
                fh.write(json.dumps(rows))


def _approval_key(approver: str, requester_id: str) -> tuple[str, str]:
    return approver.strip().lower()[:60], requester_id


def check_approval_allowed(
    *, approver: str, requester_id: str, now: dt.datetime, loc: list[str | int]
) -> None:
    """429 ``approval_throttled`` while the pair is locked (before any password is checked)."""
    with _approval_state(write=False) as state:
        _, locked_until = state.get(_approval_key(approver, requester_id), ([], None))
    wait = seconds_locked(locked_until, now)
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        error = TooManyRequests(
            "Demasiados intentos fallidos con la contraseña del supervisor. "
            f"Espere {minutes} minuto{'s' if minutes != 1 else ''} e intente de nuevo.",
            retry_after=wait,
            code="approval_throttled",
        )
        error.loc = list(loc)
        raise error


def register_approval_failure(*, approver: str, requester_id: str, now: dt.datetime) -> bool:
    """Count one wrong approver password; True when it locks the pair."""
    key = _approval_key(approver, requester_id)
    with _approval_state(write=True) as state:
        failures, locked_until = state.get(key, ([], None))
        failures, locked_until, locked = after_failure(failures, locked_until, now)
        state[key] = (failures, locked_until)
        for stale in [k for k, (f, u) in state.items() if _forgotten(f, u, now)]:
            del state[stale]
    return locked


def _forgotten(failures: list[str], locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    """Neither locked nor holding a failure inside the window: nothing left to remember."""
    if locked_until is not None and locked_until > now:
        return False
    return all(now - dt.datetime.fromisoformat(t) >= WINDOW for t in failures)


def reset_approvals(*, approver: str, requester_id: str) -> None:
    with _approval_state(write=True) as state:
        state.pop(_approval_key(approver, requester_id), None)


__all__ = [
    "LOCK",
    "check_approval_allowed",
    "locked_for",
    "register_approval_failure",
    "register_failure",
    "reset",
    "reset_approvals",
    "share_approvals",
    "throttle_key",
    "throttled_error",
]
