"""Edge tables of replication (local to the node, never replicated).

- ``SyncDeferred``: pulled rows held back (a patient with un-acked local edits, or whose
  document is still held by a local patient the hub has not merged yet); retried every pull.
- ``SyncStatus``: one row of liveness figures for ``GET /api/sync/status``.
- ``SeriesFence``: after an enrolment or restore, the last correlative per series the hub
  holds; the invoicing numbering must not issue at or below it.
- ``SyncParked``: pulled records this node could not apply (poison), retried every pull.
- ``SyncRejected``: outbox rows the hub parked as poison (its ``PushAck.parked``).
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
        " | seq_reused | outbox_pruned",
    )
    pushed_rows: int = 0
    pulled_changes: int = 0
    digest_repairs: int = 0
    snapshots: int = 0
    last_digest_at: dt.datetime | None = Field(
        default=None,
        sa_type=UTCDateTime,
        description="when the mirror digests were last compared with the hub's",
    )
    last_digest_repaired: str | None = Field(
        default=None,
        max_length=400,
        description="record types re-snapshotted at that comparison, comma-separated ('': ok)",
    )
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


class SyncParked(EdgeModel, table=True):
    """A pulled record this node could not apply (a bad payload, a constraint the mirror
    refuses, a schema newer than this program): parked with its error so the rest of its page
    still applies and the pull cursor moves on. Retried at every pull; a later version of the
    record that applies (or a snapshot without it) removes it."""

    __tablename__ = "sync_pull_parked"

    record_type: str = Field(primary_key=True, max_length=40)
    record_id: str = Field(primary_key=True, max_length=64)
    cursor: int
    op: str = Field(default="upsert", max_length=10)
    schema_version: int = 1
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    error_code: str = Field(max_length=60)
    error: str = Field(max_length=500)
    attempts: int = 1
    first_seen_at: dt.datetime = Field(sa_type=UTCDateTime)
    last_seen_at: dt.datetime = Field(sa_type=UTCDateTime)


class SyncRejected(EdgeModel, table=True):
    """An outbox row the hub parked as poison (``PushAck.parked``): it counts as acknowledged
    (the hub's mark moved past it, so it is not pending) but is kept here, with the hub's
    reason, for the sede's supervisor and technician. The outbox row itself stays."""

    __tablename__ = "sync_push_rejected"

    seq: int = Field(primary_key=True)
    record_type: str = Field(max_length=40)
    record_id: str = Field(max_length=64)
    reason: str = Field(max_length=60)
    message: str = Field(default="", max_length=500)
    rejected_at: dt.datetime = Field(sa_type=UTCDateTime)
