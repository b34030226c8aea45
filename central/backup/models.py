"""The log of the hub's database backups and restores (hub-local, never replicated)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field

from central.base import HubModel
from domain.ids import new_id
from sync.sqltypes import UTCDateTime


class BackupLog(HubModel, table=True):
    """One ``pg_dump`` or ``pg_restore`` run: what, when, by whom, and how it ended."""

    __tablename__ = "backup_logs"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    kind: str = Field(
        max_length=20, index=True, description="manual | scheduled | pre_restore | restore"
    )
    status: str = Field(max_length=10, description="ok | failed")
    file_name: str = Field(default="", max_length=200)
    size_bytes: int = 0
    sha256: str = Field(default="", max_length=64)
    duration_ms: int = 0
    error: str | None = None
    pruned: int = Field(default=0, description="older dumps deleted by retention on this run")
    username: str | None = Field(default=None, max_length=60, description="None: scheduled")
    started_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    finished_at: dt.datetime = Field(sa_type=UTCDateTime)
