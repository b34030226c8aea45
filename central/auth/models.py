"""Hub users (replicated to every edge, password hash included so edges sign in offline),
refresh tokens, password-reset tokens and login throttling (hub-local)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlmodel import Field

from central.base import HubModel
from domain.ids import new_id
from sync.sqltypes import UTCDateTime


class HubUser(HubModel, table=True):
    """A user of the chain; columns are exactly ``sync.records.UserRecord``."""

    __tablename__ = "user_account"
    __sync_type__ = "user"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    username: str = Field(unique=True, index=True, max_length=60)
    full_name: str = Field(max_length=120)
    email: str = Field(default="", index=True, max_length=254)
    role: str = Field(max_length=20)
    password_hash: str
    sede_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    active: bool = True
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class RefreshToken(HubModel, table=True):
    __tablename__ = "refresh_token"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(index=True, max_length=36)
    token_hash: str = Field(unique=True, max_length=64)
    family_id: str = Field(index=True, max_length=36)
    issued_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(
        default=None, max_length=20, description="rotated | logout | reused | password_reset"
    )
    replaced_by: str | None = Field(default=None, max_length=36)


class PasswordResetToken(HubModel, table=True):
    """A one-time token sent by e-mail; only its SHA-256 is stored."""

    __tablename__ = "password_reset_token"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(index=True, max_length=36)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    ip: str | None = Field(default=None, max_length=45)


class LoginThrottle(HubModel, table=True):
    """Failed sign-ins of one (username, IP) pair: after 5 within the window it is locked."""

    __tablename__ = "login_throttle"

    username: str = Field(primary_key=True, max_length=60)
    ip: str = Field(primary_key=True, max_length=45)
    failures: list[str] = Field(default_factory=list, sa_type=JSON)
    locked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)
