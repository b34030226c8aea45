"""Sign-in at the hub: login (throttled), refresh-token rotation, logout, forgot/reset password.

Failures that must be remembered (a failed login, a reused refresh token) are *returned* as the
``LabError`` to raise, so the router's unit of work commits the throttle and audit rows first and
raises afterwards.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from functools import lru_cache

from sqlmodel import Session, col, select

from central.audit import service as audit
from central.auth import throttle
from central.auth.models import HubUser, PasswordResetToken, RefreshToken
from central.auth.passwords import check_strength, hash_password, verify_password
from central.auth.tokens import (
    ACCESS_TTL,
    REFRESH_TTL,
    Principal,
    issue_access_token,
    new_opaque_token,
    token_hash,
)
from central.mail import Mailer, MailMessage
from domain.clock import Clock
from domain.errors import InvalidInput, LabError, Unauthorized
from domain.ids import new_id
from domain.permissions import Role

RESET_TTL = dt.timedelta(hours=1)
FORGOT_MESSAGE = (
    "Si el correo corresponde a un usuario activo, recibirá un enlace para restablecer su "
    "contraseña en los próximos minutos."
)
_BAD_CREDENTIALS = "Usuario o contraseña incorrectos."


@dataclass(frozen=True)
class SignIn:
    user: HubUser
    access_token: str
    refresh_token: str
    expires_in: int


def principal_for(user: HubUser) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=Role(user.role),
        sede_ids=list(user.sede_ids),
    )


def _issue(
    session: Session, *, user: HubUser, clock: Clock, secret: str, family_id: str | None
) -> tuple[SignIn, RefreshToken]:
    now = clock.now()
    raw = new_opaque_token()
    row = RefreshToken(
        user_id=user.id,
        token_hash=token_hash(raw),
        family_id=family_id or new_id(),
        issued_at=now,
        expires_at=now + REFRESH_TTL,
    )
    session.add(row)
    access = issue_access_token(
        principal_for(user), secret=secret, now=now, session_id=row.family_id
    )
    return SignIn(user, access, raw, int(ACCESS_TTL.total_seconds())), row


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a random password, checked for unknown users (same cost as a real check)."""
    return hash_password(secrets.token_urlsafe(16))


def login(
    *, session: Session, clock: Clock, secret: str, username: str, password: str, ip: str
) -> SignIn | LabError:
    """Tokens for a good username/password; otherwise the error to raise after commit."""
    wait = throttle.locked_for(session=session, clock=clock, username=username, ip=ip)
    if wait is not None:
        return throttle.throttled_error(wait)
    name = username.strip().lower()
    user = session.exec(select(HubUser).where(HubUser.username == name)).first()
    # a password is checked whoever asks, so the answer's time never tells which users exist
    good = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not user.active or not good:
        locked = throttle.register_failure(session=session, clock=clock, username=name, ip=ip)
        audit.record(
            session,
            action="login_failed",
            clock=clock,
            user_id=user.id if user else None,
            username=name[:60],
            ip=ip,
            details={"reason": "inactive" if user and not user.active else "credentials"},
        )
        if locked:
            return throttle.throttled_error(int(throttle.LOCK.total_seconds()))
        return Unauthorized(_BAD_CREDENTIALS, code="invalid_credentials")
    throttle.reset(session=session, username=name, ip=ip)
    signed, _ = _issue(session, user=user, clock=clock, secret=secret, family_id=None)
    audit.record(session, action="login", clock=clock, user_id=user.id, username=name, ip=ip)
    return signed


def _revoke_family(session: Session, *, family_id: str, now: dt.datetime, reason: str) -> None:
    rows = session.exec(
        select(RefreshToken).where(
            RefreshToken.family_id == family_id, col(RefreshToken.revoked_at).is_(None)
        )
    ).all()
    for row in rows:
        row.revoked_at = now
        row.revoked_reason = reason
        session.add(row)


def revoke_user_tokens(*, session: Session, user_id: str, now: dt.datetime, reason: str) -> None:
    """Revoke every live refresh token of a user (deactivation, password change)."""
    rows = session.exec(
        select(RefreshToken).where(
            RefreshToken.user_id == user_id, col(RefreshToken.revoked_at).is_(None)
        )
    ).all()
    for row in rows:
        row.revoked_at = now
        row.revoked_reason = reason
        session.add(row)


def refresh(
    *, session: Session, clock: Clock, secret: str, refresh_token: str, ip: str
) -> SignIn | LabError:
    """Rotate a refresh token. Presenting an already rotated one revokes its whole family."""
    now = clock.now()
    row = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(refresh_token))
    ).first()
    invalid = Unauthorized(
        "La sesión no es válida; vuelva a iniciar sesión.", code="refresh_invalid"
    )
    if row is None:
        return invalid
    if row.revoked_at is not None:
        if row.revoked_reason == "rotated":
            _revoke_family(session, family_id=row.family_id, now=now, reason="reused")
            audit.record(
                session,
                action="refresh_reused",
                clock=clock,
                user_id=row.user_id,
                ip=ip,
                details={"family_id": row.family_id},
            )
        return invalid
    if row.expires_at <= now:
        return Unauthorized("La sesión expiró; vuelva a iniciar sesión.", code="refresh_expired")
    user = session.get(HubUser, row.user_id)
    if user is None or not user.active:
        row.revoked_at, row.revoked_reason = now, "user_inactive"
        session.add(row)
        return Unauthorized("Su usuario está desactivado.", code="user_inactive")
    signed, new_row = _issue(
        session, user=user, clock=clock, secret=secret, family_id=row.family_id
    )
    row.revoked_at, row.revoked_reason, row.replaced_by = now, "rotated", new_row.id
    session.add(row)
    return signed


def logout(*, session: Session, clock: Clock, refresh_token: str) -> None:
    """Revoke the sign-in of this refresh token (idempotent; unknown tokens are ignored)."""
    row = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(refresh_token))
    ).first()
    if row is not None:
        _revoke_family(session, family_id=row.family_id, now=clock.now(), reason="logout")


def forgot_password(*, session: Session, clock: Clock, mailer: Mailer, email: str, ip: str) -> None:
    """E-mail a one-time reset token (1 hour) when ``email`` belongs to an active user.

    Whatever the outcome the caller answers the same, so nobody learns which e-mails exist.
    """
    address = email.strip().lower()
    user = session.exec(
        select(HubUser).where(HubUser.email == address, col(HubUser.active).is_(True))
    ).first()
    if user is None:
        audit.record(
            session,
            action="password_forgot_unknown",
            clock=clock,
            ip=ip,
            details={"email_domain": address.rsplit("@", 1)[-1]},
        )
        return
    now = clock.now()
    raw = new_opaque_token()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_hash(raw),
            created_at=now,
            expires_at=now + RESET_TTL,
            ip=ip,
        )
    )
    audit.record(
        session,
        action="password_forgot",
        clock=clock,
        user_id=user.id,
        username=user.username,
        ip=ip,
    )
    mailer.send(
        MailMessage(
            to=user.email,
            subject="labred: restablecer su contraseña",
            body=(
                f"Hola {user.full_name}:\n\n"
                "Recibimos una solicitud para restablecer la contraseña de su usuario "
                f"«{user.username}». Use este código dentro de la próxima hora:\n\n{raw}\n\n"
                "Si usted no lo solicitó, ignore este mensaje; su contraseña no cambiará.\n"
            ),
            tags={"kind": "password_reset"},
        )
    )


def reset_password(
    *, session: Session, clock: Clock, token: str, new_password: str, ip: str
) -> HubUser:
    """Set a new password with a one-time token; every sign-in of the user is revoked."""
    now = clock.now()
    row = session.exec(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash(token))
    ).first()
    user = session.get(HubUser, row.user_id) if row is not None else None
    if row is None or row.used_at is not None or row.expires_at <= now or user is None:
        raise InvalidInput(
            "El código para restablecer la contraseña no es válido o ya expiró; solicite otro.",
            code="reset_token_invalid",
            loc=["body", "token"],
        )
    if not user.active:
        raise InvalidInput(
            "El usuario está desactivado.", code="user_inactive", loc=["body", "token"]
        )
    check_strength(new_password, field="new_password")
    row.used_at = now
    session.add(row)
    set_password(session=session, clock=clock, user=user, password=new_password)
    audit.record(
        session,
        action="password_reset",
        clock=clock,
        user_id=user.id,
        username=user.username,
        record_type="user",
        record_id=user.id,
        ip=ip,
    )
    return user


def set_password(*, session: Session, clock: Clock, user: HubUser, password: str) -> None:
    """Hash and store a new password (replicated to the edges) and revoke refresh tokens."""
    now = clock.now()
    user.password_hash = hash_password(password)
    user.updated_at = now
    session.add(user)
    revoke_user_tokens(session=session, user_id=user.id, now=now, reason="password_reset")
    for pending in session.exec(
        select(PasswordResetToken).where(
            PasswordResetToken.user_id == user.id, col(PasswordResetToken.used_at).is_(None)
        )
    ).all():
        pending.used_at = now
        session.add(pending)
