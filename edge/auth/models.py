"""Users (a read-only mirror of the hub's, plus a local bootstrap admin before enrolment) and
refresh tokens (local to the node)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlmodel import Field

from domain.ids import new_id
from edge.base import EdgeModel
from sync.sqltypes import UTCDateTime


class User(EdgeModel, table=True):
    __tablename__ = "user_account"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    username: str = Field(unique=True, index=True, max_length=60)
    full_name: str
    email: str = ""
    role: str = Field(max_length=20)
    password_hash: str
    sede_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    active: bool = True
    local_only: bool = Field(default=False, description="bootstrap admin made by 'edge init'")
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class RefreshToken(EdgeModel, table=True):
    __tablename__ = "refresh_token"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(index=True, max_length=36)
    token_hash: str = Field(unique=True, max_length=64)
    issued_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    replaced_by: str | None = Field(default=None, max_length=36)
    family_id: str | None = Field(
        default=None,
        index=True,
        max_length=36,
        description="id of the first token of the sign-in; rotation keeps it, reuse revokes it",
    )
    revoked_reason: str | None = Field(
        default=None, max_length=20, description="rotated | logout | reused | user_inactive"
    )


class LoginThrottle(EdgeModel, table=True):
    """Failed sign-ins of one (username, IP) pair: after 5 within the window it is locked."""

    __tablename__ = "login_throttle"

    username: str = Field(primary_key=True, max_length=60, description="as typed, lower-cased")
    ip: str = Field(primary_key=True, max_length=45)
    failures: list[str] = Field(
        default_factory=list, sa_type=JSON, description="ISO UTC instants of recent failures"
    )
    locked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)
