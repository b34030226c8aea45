"""User administration: create, change, deactivate (never delete), password reset by an admin.

Users are replicated to every edge (password hash and sedes included) through the change feed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from central.audit import service as audit
from central.auth import service as auth_service
from central.auth.models import HubUser
from central.auth.passwords import check_strength, hash_password
from central.auth.schemas import UserCreate, UserUpdate
from central.auth.tokens import Principal
from central.config.models import Sede
from central.config.sede_order import sede_code_key
from domain.clock import Clock
from domain.errors import Conflict, InvalidInput, NotFound
from domain.permissions import Role


def _given(data: BaseModel) -> dict[str, Any]:
    """The fields the client sent, as Python values (Money stays Decimal)."""
    return {name: getattr(data, name) for name in data.model_fields_set}


def list_users(
    *,
    session: Session,
    q: str | None = None,
    role: Role | None = None,
    sede_id: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[HubUser], int]:
    query = select(HubUser)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                col(HubUser.username).like(like),
                func.lower(col(HubUser.full_name)).like(like),
                col(HubUser.email).like(like),
            )
        )
    if role is not None:
        query = query.where(HubUser.role == role.value)
    if active is not None:
        query = query.where(HubUser.active == active)
    rows = list(session.exec(query.order_by(col(HubUser.username))).all())
    if sede_id:
        rows = [u for u in rows if sede_id in u.sede_ids]
    return rows[offset : offset + limit], len(rows)


def get_user(*, session: Session, user_id: str) -> HubUser:
    user = session.get(HubUser, user_id)
    if user is None:
        raise NotFound("El usuario no existe.", code="user_not_found", loc=["path", "user_id"])
    return user


def _check_sedes(session: Session, role: Role, sede_ids: list[str]) -> list[str]:
    """The user's sedes, each once, by sede code (natural: S2 < S10)."""
    unique = list(dict.fromkeys(sede_ids))
    codes: dict[str, str] = {}
    for i, sede_id in enumerate(unique):
        sede = session.get(Sede, sede_id)
        if sede is None:
            raise InvalidInput(
                f"La sede «{sede_id}» no existe.", code="sede_unknown", loc=["body", "sede_ids", i]
            )
        codes[sede_id] = sede.code
    if role is not Role.ADMIN and not unique:
        raise InvalidInput(
            "Asigne al menos una sede a este usuario.",
            code="sede_required",
            loc=["body", "sede_ids"],
        )
    return sorted(unique, key=lambda sede_id: sede_code_key(codes[sede_id]))


def _check_email_free(session: Session, email: str, *, user_id: str | None) -> None:
    if not email:
        return
    other = session.exec(select(HubUser).where(HubUser.email == email)).first()
    if other is not None and other.id != user_id:
        raise Conflict(
            f"El correo {email} ya está registrado para otro usuario.",
            code="email_taken",
            loc=["body", "email"],
        )


def create_user(
    *, session: Session, clock: Clock, actor: Principal | None, ip: str | None, data: UserCreate
) -> HubUser:
    if session.exec(select(HubUser).where(HubUser.username == data.username)).first():
        raise Conflict(
            f"El usuario «{data.username}» ya existe.",
            code="username_taken",
            loc=["body", "username"],
        )
    _check_email_free(session, data.email, user_id=None)
    sede_ids = _check_sedes(session, data.role, data.sede_ids)
    check_strength(data.password)
    user = HubUser(
        username=data.username,
        full_name=data.full_name,
        email=data.email,
        role=data.role.value,
        password_hash=hash_password(data.password),
        sede_ids=sede_ids,
        updated_at=clock.now(),
    )
    session.add(user)
    audit.record(
        session,
        action="user.create",
        clock=clock,
        actor=actor,
        record_type="user",
        record_id=user.id,
        ip=ip,
        details={"username": user.username, "role": user.role, "sede_ids": sede_ids},
    )
    session.flush()
    return user


def update_user(
    *,
    session: Session,
    clock: Clock,
    actor: Principal,
    ip: str | None,
    user_id: str,
    data: UserUpdate,
) -> HubUser:
    user = get_user(session=session, user_id=user_id)
    values: dict[str, Any] = {k: v for k, v in _given(data).items() if v is not None}
    role = Role(values.get("role", user.role))
    if user.id == actor.user_id and (role is not Role(user.role) or values.get("active") is False):
        raise Conflict(
            "No puede cambiar su propio rol ni desactivar su propia cuenta.",
            code="self_change_forbidden",
        )
    if "email" in values:
        _check_email_free(session, values["email"], user_id=user.id)
    if "role" in values or "sede_ids" in values:
        values["sede_ids"] = _check_sedes(session, role, values.get("sede_ids", user.sede_ids))
    if "role" in values:
        values["role"] = role.value
    changes: dict[str, Any] = {}
    for name, value in values.items():
        old = getattr(user, name)
        if old != value:
            changes[name] = {"old": old, "new": value}
            setattr(user, name, value)
    if not changes:
        return user
    now = clock.now()
    user.updated_at = now
    if values.get("active") is False:
        auth_service.revoke_user_tokens(
            session=session, user_id=user.id, now=now, reason="user_inactive"
        )
    session.add(user)
    action = "user.deactivate" if changes.get("active", {}).get("new") is False else "user.update"
    audit.record(
        session,
        action=action,
        clock=clock,
        actor=actor,
        record_type="user",
        record_id=user.id,
        ip=ip,
        details={"changes": changes},
    )
    session.flush()
    return user


def deactivate_user(
    *, session: Session, clock: Clock, actor: Principal, ip: str | None, user_id: str
) -> HubUser:
    """``DELETE /api/users/{id}``: the user can no longer sign in; the audit trail stays."""
    return update_user(
        session=session,
        clock=clock,
        actor=actor,
        ip=ip,
        user_id=user_id,
        data=UserUpdate(active=False),
    )


def admin_reset_password(
    *,
    session: Session,
    clock: Clock,
    actor: Principal,
    ip: str | None,
    user_id: str,
    new_password: str,
) -> HubUser:
    user = get_user(session=session, user_id=user_id)
    check_strength(new_password, field="new_password")
    auth_service.set_password(session=session, clock=clock, user=user, password=new_password)
    audit.record(
        session,
        action="user.password_reset",
        clock=clock,
        actor=actor,
        record_type="user",
        record_id=user.id,
        ip=ip,
    )
    session.flush()
    return user
