"""API shapes of sign-in, password resets, users and roles."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from central.openapi_examples import admin as ex
from domain.errors import InvalidInput
from domain.permissions import Role

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=3,
        max_length=60,
        pattern=r"^[A-Za-z0-9._-]+$",
    ),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=200)]
NewPassword = Annotated[str, StringConstraints(max_length=200)]
FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254)]


def _email(value: str | None) -> str | None:
    if value and ("@" not in value or value.startswith("@") or "." not in value.split("@")[-1]):
        raise InvalidInput(f"El correo «{value}» no es válido.", code="email_invalid")
    return value


# ------------------------------------------------------------------------------- sign-in
class LoginRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"username": "admin", "password": "clave-segura"}]},
    )

    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    password: Password


class RefreshRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"refresh_token": "k3J...9Q"}]}
    )

    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Me(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ME]})

    id: str
    username: str
    full_name: str
    email: str
    role: Role
    role_label: str
    sede_ids: list[str]
    permissions: list[str]


class TokenPair(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.TOKEN_PAIR]})

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="segundos de validez del token de acceso")
    user: Me


class ForgotPasswordRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "ana.perez@labred.pe"}]}
    )

    email: Annotated[Email, StringConstraints(min_length=3)]

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        return _email(value)


class ResetPasswordRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"token": "Xy8...", "new_password": "nueva-clave-2026"}]},
    )

    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    new_password: NewPassword


class Message(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.MESSAGE]})

    message: str


# ------------------------------------------------------------------------------- users
class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [ex.USER_READ]})

    id: str
    username: str
    full_name: str
    email: str
    role: Role
    sede_ids: list[str]
    active: bool
    updated_at: dt.datetime | None


class UserList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.USER_LIST]})

    items: list[UserRead]
    total: int


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "ana.perez",
                    "full_name": "Ana Pérez Quispe",
                    "email": "ana.perez@labred.pe",
                    "role": "recepcionista",
                    "sede_ids": ["6f1c2d9e-0000-5000-8000-000000000001"],
                    "password": "clave-inicial-123",
                }
            ]
        },
    )

    username: Username
    full_name: FullName
    email: Email = ""
    role: Role
    sede_ids: list[Annotated[str, StringConstraints(max_length=36)]] = Field(
        default_factory=list, max_length=200
    )
    password: NewPassword

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        return _email(value)


class UserUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"role": "supervisor", "sede_ids": []}]},
    )

    full_name: FullName | None = None
    email: Email | None = None
    role: Role | None = None
    sede_ids: list[Annotated[str, StringConstraints(max_length=36)]] | None = Field(
        default=None, max_length=200
    )
    active: bool | None = None

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        return _email(value)


class AdminPasswordReset(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"new_password": "temporal-2026"}]}
    )

    new_password: NewPassword


class RoleRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ROLE_READ]})

    role: Role
    label: str
    permissions: list[str]


class PermissionRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PERMISSION_READ]})

    name: str
    description: str


class RoleList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ROLE_LIST]})

    roles: list[RoleRead]
    permissions: list[PermissionRead]
