"""JWT access tokens (30 min) carrying who the user is, their role and sedes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import jwt

from domain.errors import Unauthorized
from domain.permissions import Role

ACCESS_TTL = dt.timedelta(minutes=30)
REFRESH_TTL = dt.timedelta(days=7)
ALGORITHM = "HS256"
AUDIENCE = "labred-edge"


@dataclass(frozen=True)
class Principal:
    """The signed-in user as every endpoint sees it."""

    user_id: str
    username: str
    full_name: str
    role: Role
    sede_ids: list[str] = field(default_factory=list)
    #: The sign-in (refresh-token chain) the access token was issued with; signing out or a
    #: reused refresh token ends it, and its access tokens with it (see edge.auth.live).
    session_id: str | None = None


def issue_access_token(principal: Principal, *, secret: str, now: dt.datetime) -> str:
    claims: dict[str, Any] = {
        "sub": principal.user_id,
        "usr": principal.username,
        "name": principal.full_name,
        "role": principal.role.value,
        "sedes": principal.sede_ids,
        "iat": int(now.timestamp()),
        "exp": int((now + ACCESS_TTL).timestamp()),
        "aud": AUDIENCE,
        "typ": "access",
    }
    if principal.session_id:
        claims["sid"] = principal.session_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str, now: dt.datetime | None = None) -> Principal:
    """The principal of a valid access token; expiry is judged against ``now`` (the node's
    clock, which issued it), or the system clock when not given."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"verify_exp": False, "verify_iat": False, "require": ["exp", "sub"]},
        )
    except jwt.PyJWTError:
        raise Unauthorized("Credenciales inválidas.", code="token_invalid") from None
    if claims.get("typ") != "access":
        raise Unauthorized("Credenciales inválidas.", code="token_invalid")
    instant = now or dt.datetime.now(dt.UTC)
    if int(claims["exp"]) <= int(instant.timestamp()):
        raise Unauthorized("La sesión expiró; vuelva a iniciar sesión.", code="token_expired")
    try:
        return Principal(
            user_id=str(claims["sub"]),
            username=str(claims["usr"]),
            full_name=str(claims.get("name", "")),
            role=Role(claims["role"]),
            sede_ids=list(claims.get("sedes", [])),
            session_id=str(claims["sid"]) if claims.get("sid") else None,
        )
    except (KeyError, ValueError):
        raise Unauthorized("Credenciales inválidas.", code="token_invalid") from None
