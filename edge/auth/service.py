"""Sign-in at the edge: checking credentials, the throttle and audit bookkeeping of each
attempt, the signed-in profile, and the approver's password of a supervised action.

Users are the local mirror of the hub's (plus the bootstrap admin of ``edge init``), so signing
in never calls the hub. A sign-in is two steps so the slow password hash is never computed
while holding the node's single write lock:

1. :func:`check_credentials` (read-only session): throttle state, user, argon2 verification;
2. :func:`complete_login` (unit of work): throttle bookkeeping, refresh token, audit.

Failures that must still be written (a failed attempt) are *returned* inside an
:class:`~edge.auth.sessions.Outcome` rather than raised, so the unit of work commits them; the
router raises with :meth:`Outcome.unwrap` once the transaction is committed. What a sign-in
hands out, refresh-token rotation and sign-out live in :mod:`edge.auth.sessions`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select

from domain.clock import Clock
from domain.errors import Unauthorized
from domain.ids import new_id
from edge.audit import service as audit_service
from edge.auth import throttle
from edge.auth.models import User
from edge.auth.passwords import hash_password, verify_password
from edge.auth.sessions import (
    REFRESH_GRACE,
    Outcome,
    hash_refresh_token,
    open_session,
    principal_of,
    sede_denied,
    user_inactive,
)
from edge.auth.tokens import Principal

_FAILURES = {
    "unknown_user": "invalid_credentials",
    "bad_password": "invalid_credentials",
}


@dataclass(frozen=True)
class CredentialCheck:
    """What step 1 of a sign-in found (no row is held: step 2 re-reads the user)."""

    username: str
    ip: str
    user_id: str | None = None
    failure: str | None = None  # unknown_user | bad_password | inactive | throttled
    retry_after: int | None = None


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _invalid_credentials() -> Unauthorized:
    return Unauthorized(
        "Usuario o contraseña incorrectos.", code="invalid_credentials", loc=["body", "password"]
    )


def _find_user(session: Session, username: str) -> User | None:
    name = username.strip()
    return session.exec(select(User).where(col(User.username) == name)).first()


def check_credentials(
    *, session: Session, clock: Clock, username: str, password: str, ip: str
) -> CredentialCheck:
    """Step 1 of a sign-in (read-only): is the pair throttled, does the password match?"""
    wait = throttle.locked_for(session=session, clock=clock, username=username, ip=ip)
    if wait is not None:
        return CredentialCheck(username=username, ip=ip, failure="throttled", retry_after=wait)
    user = _find_user(session, username)
    if user is None:
        verify_password(_dummy_hash(), password)  # same cost as a real check
        return CredentialCheck(username=username, ip=ip, failure="unknown_user")
    if not verify_password(user.password_hash, password):
        return CredentialCheck(username=username, ip=ip, user_id=user.id, failure="bad_password")
    if not user.active:
        return CredentialCheck(username=username, ip=ip, user_id=user.id, failure="inactive")
    return CredentialCheck(username=username, ip=ip, user_id=user.id)


def complete_login(
    *, session: Session, clock: Clock, check: CredentialCheck, secret: str, sede_id: str | None
) -> Outcome:
    """Step 2 of a sign-in (unit of work): record the attempt, open a session if it succeeded.

    The lock is read again here, under the writer lock: attempts whose step 1 ran in parallel
    with the failure that locked the pair are refused too (no password is evaluated past the
    limit, and a right one arriving then does not lift the lock)."""
    username = check.username.strip()[:60]
    if check.failure != "throttled":
        wait = throttle.locked_for(
            session=session, clock=clock, username=check.username, ip=check.ip
        )
        if wait is not None:
            check = CredentialCheck(
                username=check.username,
                ip=check.ip,
                user_id=check.user_id,
                failure="throttled",
                retry_after=wait,
            )

    def audit(action: str, *, user_id: str | None, details: dict[str, Any]) -> None:
        audit_service.record(
            session,
            action=action,
            clock=clock,
            sede_id=sede_id,
            user_id=user_id,
            username=username,
            record_type="user",
            record_id=user_id,
            ip=check.ip,
            details=details,
        )

    if check.failure == "throttled":
        wait = check.retry_after or 1
        audit("login_throttled", user_id=check.user_id, details={"retry_after": wait})
        return Outcome(error=throttle.throttled_error(wait))
    if check.failure in _FAILURES:
        locked = throttle.register_failure(
            session=session, clock=clock, username=check.username, ip=check.ip
        )
        audit(
            "login_failed",
            user_id=check.user_id,
            details={"reason": check.failure, "locked": locked},
        )
        if locked:
            lock_seconds = int(throttle.LOCK.total_seconds())
            audit(
                "login_throttled",
                user_id=check.user_id,
                details={"retry_after": lock_seconds, "started": True},
            )
        return Outcome(error=_invalid_credentials())
    user = session.get(User, check.user_id) if check.user_id else None
    if user is None or check.failure == "inactive" or not user.active:
        audit("login_failed", user_id=check.user_id, details={"reason": "inactive"})
        return Outcome(error=user_inactive() if user is not None else _invalid_credentials())
    principal = principal_of(user)
    denied = sede_denied(principal, sede_id)
    if denied is not None:
        audit("login_failed", user_id=user.id, details={"reason": "sede_not_assigned"})
        return Outcome(error=denied)
    throttle.reset(session=session, username=check.username, ip=check.ip)
    now = clock.now()
    token_id = new_id()
    sign_in = open_session(
        session=session,
        user=user,
        principal=principal,
        secret=secret,
        now=now,
        family_id=token_id,
        token_id=token_id,
    )
    audit("login", user_id=user.id, details={"role": user.role})
    return Outcome(sign_in=sign_in)


def profile(*, session: Session, principal: Principal) -> User:
    """The signed-in user's current row (401 if it vanished or was deactivated)."""
    user = session.get(User, principal.user_id)
    if user is None:
        raise Unauthorized("Credenciales inválidas.", code="token_invalid")
    if not user.active:
        raise user_inactive()
    return user


def check_approver_password(
    session: Session,
    *,
    clock: Clock,
    username: str,
    password: str,
    requester_id: str,
    loc: list[str | int],
) -> User | None:
    """The active user ``username`` when ``password`` is theirs, else None (a failure counted
    against the requester; 429 ``approval_throttled`` after five, like a sign-in)."""
    now = clock.now()
    throttle.check_approval_allowed(approver=username, requester_id=requester_id, now=now, loc=loc)
    user = _find_user(session, username)
    if user is None:
        verify_password(_dummy_hash(), password)  # same cost as a real check
    elif user.active and verify_password(user.password_hash, password):
        throttle.reset_approvals(approver=username, requester_id=requester_id)
        return user
    throttle.register_approval_failure(approver=username, requester_id=requester_id, now=now)
    return None


# Imported from here by edge.auth.live, edge.orders.approval, edge.cash.closing and tests.
__all__ = [
    "REFRESH_GRACE",
    "CredentialCheck",
    "Outcome",
    "check_approver_password",
    "check_credentials",
    "complete_login",
    "hash_refresh_token",
    "profile",
    "user_inactive",
]
