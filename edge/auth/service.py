"""Sign-in at the edge: credentials, refresh-token rotation, logout, the signed-in profile.

Users are the local mirror of the hub's (plus the bootstrap admin of ``edge init``), so signing
in never calls the hub. A sign-in is two steps so the slow password hash is never computed
while holding the node's single write lock:

1. :func:`check_credentials` (read-only session): throttle state, user, argon2 verification;
2. :func:`complete_login` (unit of work): throttle bookkeeping, refresh token, audit.

Failures that must still be written (a failed attempt, a reused refresh token) are *returned*
inside an :class:`Outcome` rather than raised, so the unit of work commits them; the router
raises with :meth:`Outcome.unwrap` once the transaction is committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select, update

from domain.clock import Clock
from domain.errors import Forbidden, LabError, Unauthorized
from domain.ids import new_id
from domain.permissions import MATRIX, Role, parse_role
from edge.audit import service as audit_service
from edge.auth import throttle
from edge.auth.models import RefreshToken, User
from edge.auth.passwords import hash_password, verify_password
from edge.auth.tokens import ACCESS_TTL, REFRESH_TTL, Principal, issue_access_token

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


@dataclass(frozen=True)
class SignIn:
    """A session handed to a client: tokens plus who the user is."""

    user: User
    principal: Principal
    access_token: str
    access_expires_at: dt.datetime
    refresh_token: str
    refresh_expires_at: dt.datetime
    csrf_token: str
    permissions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """A sign-in or refresh result, or the error to raise once the transaction committed."""

    sign_in: SignIn | None = None
    error: LabError | None = None

    def unwrap(self) -> SignIn:
        if self.error is not None:
            raise self.error
        assert self.sign_in is not None
        return self.sign_in


def permissions_of(role: Role | str) -> list[str]:
    """The role's permissions, sorted (what the UI uses to show or hide actions)."""
    return sorted(MATRIX[parse_role(str(role))])


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _invalid_credentials() -> Unauthorized:
    return Unauthorized(
        "Usuario o contraseña incorrectos.", code="invalid_credentials", loc=["body", "password"]
    )


def user_inactive() -> Unauthorized:
    return Unauthorized(
        "El usuario está desactivado; consulte con el administrador.", code="user_inactive"
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
    principal = _principal(user)
    denied = _sede_denied(principal, sede_id)
    if denied is not None:
        audit("login_failed", user_id=user.id, details={"reason": "sede_not_assigned"})
        return Outcome(error=denied)
    throttle.reset(session=session, username=check.username, ip=check.ip)
    now = clock.now()
    token_id = new_id()
    sign_in = _open(
        session,
        user=user,
        principal=principal,
        secret=secret,
        now=now,
        family_id=token_id,
        token_id=token_id,
    )
    audit("login", user_id=user.id, details={"role": user.role})
    return Outcome(sign_in=sign_in)


def refresh(
    *,
    session: Session,
    clock: Clock,
    refresh_token: str,
    secret: str,
    sede_id: str | None,
    ip: str,
) -> Outcome:
    """Rotate a refresh token: the old one is revoked and replaced by a new one.

    Presenting a token that was already rotated means it leaked (or was copied): the whole
    chain of that sign-in is revoked and the answer is ``refresh_token_reused``. Except within
    ``REFRESH_GRACE`` of its rotation while its successor is still unused: that is two tabs of
    the same counter refreshing at once (they share the cookie), and the late one gets a new
    token of the same chain instead of signing both out.
    """
    now = clock.now()
    row = session.exec(
        select(RefreshToken).where(
            col(RefreshToken.token_hash) == hash_refresh_token(refresh_token)
        )
    ).first()
    if row is None:
        return Outcome(
            error=Unauthorized("La sesión no es válida; inicie sesión.", code="token_invalid")
        )
    concurrent = row.revoked_at is not None and _concurrent_refresh(session, row, now)
    if row.revoked_at is not None and not concurrent:
        if row.replaced_by is not None:
            revoked = revoke_family(session=session, clock=clock, token=row, reason="reused")
            audit_service.record(
                session,
                action="refresh_token_reused",
                clock=clock,
                sede_id=sede_id,
                user_id=row.user_id,
                record_type="user",
                record_id=row.user_id,
                ip=ip,
                details={"family_id": row.family_id, "revoked": revoked},
            )
            return Outcome(
                error=Unauthorized(
                    "Esta sesión fue usada desde otro lugar y se cerró por seguridad; "
                    "inicie sesión de nuevo.",
                    code="refresh_token_reused",
                )
            )
        return Outcome(
            error=Unauthorized(
                "La sesión fue cerrada; inicie sesión de nuevo.", code="refresh_token_revoked"
            )
        )
    if row.expires_at <= now:
        return Outcome(
            error=Unauthorized(
                "La sesión expiró; inicie sesión de nuevo.", code="refresh_token_expired"
            )
        )
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        revoke_family(session=session, clock=clock, token=row, reason="user_inactive")
        return Outcome(error=user_inactive())
    principal = _principal(user)
    denied = _sede_denied(principal, sede_id)
    if denied is not None:
        return Outcome(error=denied)
    next_id = new_id()
    if not concurrent:
        row.revoked_at = now
        row.revoked_reason = "rotated"
        row.replaced_by = next_id
        session.add(row)
    sign_in = _open(
        session,
        user=user,
        principal=principal,
        secret=secret,
        now=now,
        family_id=row.family_id or row.id,
        token_id=next_id,
    )
    return Outcome(sign_in=sign_in)


#: How long after its rotation a refresh token presented again counts as a concurrent refresh
#: (two tabs), not as a leaked token; its successor must still be unused.
REFRESH_GRACE = dt.timedelta(seconds=20)


def _concurrent_refresh(session: Session, row: RefreshToken, now: dt.datetime) -> bool:
    if row.revoked_reason != "rotated" or row.revoked_at is None or row.replaced_by is None:
        return False
    if now - row.revoked_at > REFRESH_GRACE:
        return False
    successor = session.get(RefreshToken, row.replaced_by)
    return successor is not None and successor.revoked_at is None


def revoke_family(*, session: Session, clock: Clock, token: RefreshToken, reason: str) -> int:
    """Revoke every still-valid token of ``token``'s sign-in chain; returns how many."""
    family = token.family_id or token.id
    result = session.execute(
        update(RefreshToken)
        .where(
            (col(RefreshToken.family_id) == family) | (col(RefreshToken.id) == family),
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(revoked_at=clock.now(), revoked_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def logout(
    *,
    session: Session,
    clock: Clock,
    principal: Principal,
    refresh_token: str | None,
    all_sessions: bool,
    sede_id: str | None,
    ip: str,
) -> int:
    """Revoke the given refresh token and the sign-in of the caller's access token (or all of
    the user's sign-ins); returns how many refresh tokens were revoked. The access tokens of a
    revoked sign-in stop working at once (:mod:`edge.auth.live`).

    Idempotent: an unknown or already revoked token is not an error. A token of another user
    is left alone.
    """
    now = clock.now()
    query = select(RefreshToken).where(
        col(RefreshToken.user_id) == principal.user_id, col(RefreshToken.revoked_at).is_(None)
    )
    if not all_sessions:
        mine = col(RefreshToken.token_hash) == hash_refresh_token(refresh_token or "")
        if principal.session_id:  # the sign-in of the access token that asks, too
            mine = mine | (col(RefreshToken.family_id) == principal.session_id)
        query = query.where(mine)
    wanted = all_sessions or refresh_token or principal.session_id
    rows = list(session.exec(query)) if wanted else []
    for row in rows:
        row.revoked_at = now
        row.revoked_reason = "logout"
        session.add(row)
    audit_service.record(
        session,
        action="logout",
        clock=clock,
        sede_id=sede_id,
        user_id=principal.user_id,
        username=principal.username,
        record_type="user",
        record_id=principal.user_id,
        ip=ip,
        details={"revoked": len(rows), "all_sessions": all_sessions},
    )
    return len(rows)


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


def _principal(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=parse_role(user.role),
        sede_ids=list(user.sede_ids or []),
    )


def _sede_denied(principal: Principal, sede_id: str | None) -> Forbidden | None:
    if sede_id is None or principal.role is Role.ADMIN or sede_id in principal.sede_ids:
        return None
    return Forbidden("No está asignado a esta sede.", code="sede_not_assigned")


def _open(
    session: Session,
    *,
    user: User,
    principal: Principal,
    secret: str,
    now: dt.datetime,
    family_id: str,
    token_id: str,
) -> SignIn:
    raw = secrets.token_urlsafe(32)
    expires = now + REFRESH_TTL
    session.add(
        RefreshToken(
            id=token_id,
            user_id=user.id,
            token_hash=hash_refresh_token(raw),
            issued_at=now,
            expires_at=expires,
            family_id=family_id,
        )
    )
    return SignIn(
        user=user,
        principal=principal,
        access_token=issue_access_token(
            replace(principal, session_id=family_id), secret=secret, now=now
        ),
        access_expires_at=now + ACCESS_TTL,
        refresh_token=raw,
        refresh_expires_at=expires,
        csrf_token=secrets.token_urlsafe(24),
        permissions=permissions_of(principal.role),
    )
