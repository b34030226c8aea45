"""Plain helpers that make edge test data (no factory library)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from domain.ids import sede_id_for
from domain.permissions import Role
from edge.auth.models import User
from edge.auth.passwords import hash_password
from edge.auth.tokens import Principal, issue_access_token
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from edge.settings import load_edge_settings

SEDE_S01 = sede_id_for("S01")
PASSWORD = "clave-de-prueba-123"


def make_user(
    rt: EdgeRuntime,
    role: Role | str = Role.RECEPCIONISTA,
    *,
    username: str | None = None,
    sede_ids: list[str] | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    role = Role(role)
    user = User(
        username=username or f"{role.value}-{dt.datetime.now(dt.UTC).timestamp():.6f}",
        full_name=f"Usuario {role.value}",
        role=role.value,
        password_hash=hash_password(password),
        sede_ids=[SEDE_S01] if sede_ids is None else sede_ids,
        active=active,
        updated_at=dt.datetime.now(dt.UTC),
    )
    with unit_of_work(rt.engine) as session:
        session.add(user)
    return user


def add_users(data: Path, *users: tuple[Role, str], password: str = PASSWORD) -> Path:
    """Users (role, username), all with ``password``, added to the node at ``data`` (an edge
    data directory no process has open yet, e.g. after ``labred edge init``)."""
    rt = EdgeRuntime.open(load_edge_settings(data))
    try:
        for role, username in users:
            make_user(rt, role, username=username, password=password)
    finally:
        rt.engine.dispose()
    return data


def token_for(rt: EdgeRuntime, user: User) -> str:
    principal = Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=Role(user.role),
        sede_ids=list(user.sede_ids),
    )
    return issue_access_token(principal, secret=rt.settings.jwt_secret, now=rt.clock.now())


def auth_headers(
    rt: EdgeRuntime, role: Role | str = Role.RECEPCIONISTA, **kwargs: object
) -> dict[str, str]:
    """Headers of a freshly made user of ``role`` (skips the login endpoint)."""
    user = make_user(rt, role, **kwargs)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token_for(rt, user)}"}
