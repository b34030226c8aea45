"""Edge tables of replication (local to the node, never replicated).

- ``SyncDeferred``: pulled rows held back (a patient with un-acked local edits, or whose
  document is still held by a local patient the hub has not merged yet); retried every pull.
- ``SyncStatus``: one row of liveness figures for ``GET /api/sync/status``.
- ``SeriesFence``: after an enrolment or restore, the last correlative per series the hub
  holds; the invoicing numbering must not issue at or below it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from edge.base import EdgeModel
from sync.sqltypes import UTCDateTime


class SyncDeferred(EdgeModel, table=True):
    __tablename__ = "sync_deferred"

    record_type: str = Field(primary_key=True, max_length=40)
    record_id: str = Field(primary_key=True, max_length=64)
    cursor: int
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    reason: str = Field(max_length=40)
    deferred_at: dt.datetime = Field(sa_type=UTCDateTime)


class SyncStatus(EdgeModel, table=True):
    __tablename__ = "sync_status"

    id: int = Field(default=1, primary_key=True)
    hub_url: str | None = None
    last_push_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_pull_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    last_error_code: str | None = Field(default=None, max_length=40)
    last_error_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    consecutive_failures: int = 0
    blocked: str | None = Field(
        default=None,
        max_length=40,
        description="stale_epoch | node_revoked | schema_too_new | upgrade_required | hub_ahead"
        " | seq_reused",
    )
    pushed_rows: int = 0
    pulled_changes: int = 0
    digest_repairs: int = 0
    snapshots: int = 0
    fence_pending: bool = Field(
        default=False, description="series not yet learned from the hub after enrolment/restore"
    )
    use_contingency: bool = Field(
        default=False, description="hub unreachable after a restore: issue from contingency series"
    )


class SeriesFence(EdgeModel, table=True):
    __tablename__ = "sync_series_fence"

    series: str = Field(primary_key=True, max_length=8)
    last_number: int
    learned_at: dt.datetime = Field(sa_type=UTCDateTime)
