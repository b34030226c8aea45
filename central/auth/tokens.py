"""JWT access tokens of the hub (30 min, its own secret and audience) and opaque tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

import jwt

from domain.errors import Unauthorized
from domain.permissions import Role

ACCESS_TTL = dt.timedelta(minutes=30)
REFRESH_TTL = dt.timedelta(days=7)
ALGORITHM = "HS256"
AUDIENCE = "labred-hub"


@dataclass(frozen=True)
class Principal:
    """The signed-in hub user as every endpoint sees it."""

    user_id: str
    username: str
    full_name: str
    role: Role
    sede_ids: list[str] = field(default_factory=list)


def issue_access_token(
    principal: Principal, *, secret: str, now: dt.datetime, session_id: str | None = None
) -> str:
    """A signed access token; ``session_id`` is the sign-in (refresh-token family) it belongs
    to, so signing out ends it too (``central.auth.deps.current_user``)."""
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
    if session_id:
        claims["sid"] = session_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str, now: dt.datetime) -> str:
    """The user id (``sub``) of a valid access token; expiry is judged against ``now``."""
    return decode_access(token, secret=secret, now=now)[0]


def decode_access(token: str, *, secret: str, now: dt.datetime) -> tuple[str, str | None]:
    """``(user id, sign-in id or None)`` of a valid access token."""
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
    if claims.get("typ") != "access" or not isinstance(claims.get("sub"), str):
        raise Unauthorized("Credenciales inválidas.", code="token_invalid")
    if int(claims["exp"]) <= int(now.timestamp()):
        raise Unauthorized("La sesión expiró; vuelva a iniciar sesión.", code="token_expired")
    sid = claims.get("sid")
    return str(claims["sub"]), (str(sid) if sid else None)


def new_opaque_token() -> str:
    """A random URL-safe token (refresh and password-reset tokens)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
