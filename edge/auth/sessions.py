"""Sessions at the edge: what a sign-in hands out (access token, rotating refresh token), the
refresh-token rotation, revoking a sign-in's chain and signing out.

A session opens with :func:`open_session` once the credentials were checked
(:mod:`edge.auth.service`). Failures that must still be written (a reused refresh token) are
*returned* inside an :class:`Outcome` rather than raised, so the unit of work commits them; the
router raises with :meth:`Outcome.unwrap` once the transaction is committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field, replace

from sqlmodel import Session, col, select, update

from domain.clock import Clock
from domain.errors import Forbidden, LabError, Unauthorized
from domain.ids import new_id
from domain.permissions import MATRIX, Role, parse_role
from edge.audit import service as audit_service
from edge.auth.models import RefreshToken, User
from edge.auth.tokens import ACCESS_TTL, REFRESH_TTL, Principal, issue_access_token


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


def user_inactive() -> Unauthorized:
    return Unauthorized(
        "El usuario está desactivado; consulte con el administrador.", code="user_inactive"
    )


def principal_of(user: User) -> Principal:
    """Who ``user`` is in an access token (without a session id: :func:`open_session` adds it)."""
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=parse_role(user.role),
        sede_ids=list(user.sede_ids or []),
    )


def sede_denied(principal: Principal, sede_id: str | None) -> Forbidden | None:
    """The 403 when ``principal`` may not work at this node's sede (admins may at any)."""
    if sede_id is None or principal.role is Role.ADMIN or sede_id in principal.sede_ids:
        return None
    return Forbidden("No está asignado a esta sede.", code="sede_not_assigned")


def open_session(
    *,
    session: Session,
    user: User,
    principal: Principal,
    secret: str,
    now: dt.datetime,
    family_id: str,
    token_id: str,
) -> SignIn:
    """Issue refresh token ``token_id`` of sign-in chain ``family_id`` (its row added to
    ``session``) and an access token of that sign-in."""
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
    principal = principal_of(user)
    denied = sede_denied(principal, sede_id)
    if denied is not None:
        return Outcome(error=denied)
    next_id = new_id()
    if not concurrent:
        row.revoked_at = now
        row.revoked_reason = "rotated"
        row.replaced_by = next_id
        session.add(row)
    sign_in = open_session(
        session=session,
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
