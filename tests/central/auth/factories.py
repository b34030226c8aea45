"""Plain helpers that make hub test data: users, tokens, sedes (no factory library)."""

from __future__ import annotations

import itertools
from typing import Any

from central.auth.models import HubUser
from central.auth.passwords import hash_password
from central.auth.service import principal_for
from central.auth.tokens import issue_access_token
from central.config.models import Sede
from central.config.service import default_series
from central.db import unit_of_work
from central.runtime import HubRuntime
from domain.ids import sede_id_for
from domain.permissions import Role

PASSWORD = "clave-de-prueba-123"
SEDE_S01 = sede_id_for("S01")
_seq = itertools.count(1)


def make_sede(rt: HubRuntime, code: str = "S01", **overrides: Any) -> Sede:
    with unit_of_work(rt.engine) as session:
        sede = session.get(Sede, sede_id_for(code))
        if sede is None:
            k = int("".join(c for c in code if c.isdigit()) or "1")
            values: dict[str, Any] = {
                "id": sede_id_for(code),
                "code": code,
                "name": f"Sede {code}",
                "series": default_series(k),
                "updated_at": rt.clock.now(),
            }
            values.update(overrides)
            sede = Sede(**values)
            session.add(sede)
    return sede


def make_user(
    rt: HubRuntime,
    role: Role | str = Role.RECEPCIONISTA,
    *,
    username: str | None = None,
    email: str | None = None,
    sede_ids: list[str] | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> HubUser:
    role = Role(role)
    if sede_ids is None:
        make_sede(rt, "S01")
        sede_ids = [SEDE_S01]
    name = username or f"{role.value}-{next(_seq)}"
    user = HubUser(
        username=name,
        full_name=f"Usuario {role.value}",
        email=email if email is not None else f"{name}@example.pe",
        role=role.value,
        password_hash=hash_password(password),
        sede_ids=sede_ids,
        active=active,
        updated_at=rt.clock.now(),
    )
    with unit_of_work(rt.engine) as session:
        session.add(user)
    return user


def token_for(rt: HubRuntime, user: HubUser) -> str:
    return issue_access_token(
        principal_for(user), secret=rt.settings.jwt_secret, now=rt.clock.now()
    )


def headers_for(rt: HubRuntime, user: HubUser) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(rt, user)}"}


def auth_headers(rt: HubRuntime, role: Role | str = Role.ADMIN, **kwargs: Any) -> dict[str, str]:
    """Headers of a freshly made user of ``role`` (skips the login endpoint)."""
    return headers_for(rt, make_user(rt, role, **kwargs))
