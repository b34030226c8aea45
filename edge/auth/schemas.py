"""Wire shapes of sign-in: login, refresh, logout and the signed-in profile."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.permissions import ROLE_LABELS, Role
from edge.auth.models import User
from edge.auth.sessions import SignIn, permissions_of
from edge.auth.tokens import ACCESS_TTL
from edge.openapi_examples.records import USER_PROFILE


class LoginRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"username": "mrojas", "password": "clave-secreta"}]},
    )

    username: str = Field(min_length=1, max_length=60, description="Nombre de usuario.")
    password: str = Field(min_length=1, max_length=200, description="Contraseña.")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"refresh_token": "kq3T0...token-opaco...x1"}]},
    )

    refresh_token: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Token de renovación; si se omite se usa la cookie `labred_refresh` "
        "(la petición debe llevar entonces la cabecera X-CSRF-Token).",
    )


class LogoutRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"refresh_token": "kq3T0...token-opaco...x1"},
                {"all_sessions": True},
            ]
        },
    )

    refresh_token: str | None = Field(
        default=None,
        max_length=200,
        description="Token de renovación a revocar (por defecto, la cookie `labred_refresh`).",
    )
    all_sessions: bool = Field(
        default=False, description="Cerrar todas las sesiones del usuario, en todo equipo."
    )


class UserProfile(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [USER_PROFILE]})

    id: str
    username: str
    full_name: str
    email: str
    role: Role
    role_label: str = Field(description="Nombre del rol en español.")
    sede_ids: list[str] = Field(description="Sedes en las que puede trabajar.")
    permissions: list[str] = Field(description="Permisos del rol (para mostrar u ocultar).")

    @classmethod
    def from_user(cls, user: User) -> UserProfile:
        role = Role(user.role)
        return cls(
            id=user.id,
            username=user.username,
            full_name=user.full_name,
            email=user.email,
            role=role,
            role_label=ROLE_LABELS[role],
            sede_ids=list(user.sede_ids or []),
            permissions=permissions_of(role),
        )


class TokenRead(BaseModel):
    """A new session: tokens and who signed in."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIs...",
                    "token_type": "bearer",
                    "expires_in": 1800,
                    "access_expires_at": "2026-11-29T15:30:00Z",
                    "refresh_token": "kq3T0...token-opaco...x1",
                    "refresh_expires_at": "2026-12-06T15:00:00Z",
                    "csrf_token": "Xo1...",
                    "user": USER_PROFILE,
                    "permissions": USER_PROFILE["permissions"],
                }
            ]
        }
    )

    access_token: str = Field(description="JWT de acceso (30 min): `Authorization: Bearer ...`.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Segundos de validez del token de acceso.")
    access_expires_at: dt.datetime
    refresh_token: str = Field(description="Token opaco de renovación (7 días, de un solo uso).")
    refresh_expires_at: dt.datetime
    csrf_token: str = Field(
        description="Para la interfaz web: enviar en la cabecera X-CSRF-Token "
        "(igual a la cookie `labred_csrf`)."
    )
    user: UserProfile
    permissions: list[str]

    @classmethod
    def from_sign_in(cls, sign_in: SignIn) -> TokenRead:
        return cls(
            access_token=sign_in.access_token,
            expires_in=int(ACCESS_TTL.total_seconds()),
            access_expires_at=sign_in.access_expires_at,
            refresh_token=sign_in.refresh_token,
            refresh_expires_at=sign_in.refresh_expires_at,
            csrf_token=sign_in.csrf_token,
            user=UserProfile.from_user(sign_in.user),
            permissions=sign_in.permissions,
        )


class LogoutRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"revoked": 1}]})

    revoked: int = Field(description="Tokens de renovación revocados.")
