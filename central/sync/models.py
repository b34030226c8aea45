"""Hub tables of replication: node registry, inbox, parked rows, pushed records, patients.

- ``Node``: a sede's edge node, its credentials (hashes only), epoch and last-known figures
  (among them its disk: level and free MB as its last push or pull stated them).
- ``Inbox``: the high-water mark of applied ``seq`` per (node, epoch): the exactly-once fence.
- ``ParkedRow``: a pushed row the hub could not accept, with its reason (never dropped silently).
- ``SyncRecord``: the hub's generic store of every edge-owned record, latest full image.
- ``HubPatient`` / ``PatientAlias``: canonical patients and merged ids; both are hub-owned
  change-feed types (``patient`` / ``patient_alias``), so they flow down to every edge.
- ``PatientSource``: the last image each node pushed of a patient (the base of its next edit).
- ``SyncConflict``: overwritten concurrent values, duplicate identities and clock skews.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from central.base import HubModel
from domain.ids import new_id
from sync.sqltypes import UTCDateTime


class Node(HubModel, table=True):
    __tablename__ = "sync_node"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36, index=True)
    name: str = Field(max_length=120)
    epoch: int = 0
    secret_hash: str | None = Field(default=None, max_length=64)
    enrol_code_hash: str | None = Field(default=None, max_length=64, index=True)
    enrol_expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked: bool = False
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    enrolled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seen_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_push_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_pull_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    app_version: str = Field(default="", max_length=40)
    schema_version: int = 0
    protocol_version: int = 0
    reported_backlog: int = Field(default=0, description="rows the node said were still waiting")
    pull_cursor: int = Field(default=0, sa_type=BigInteger, description="last cursor served")
    clock_offset_ms: int = Field(default=0, description="node HLC wall minus hub time, last push")
    disk_level: str | None = Field(
        default=None, max_length=10, description="ok | bajo | lleno, last stated by the node"
    )
    disk_free_mb: int | None = Field(
        default=None, sa_type=BigInteger, description="free MB of the node's data directory"
    )
    disk_reported_at: dt.datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="when the hub heard the disk values"
    )
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class Inbox(HubModel, table=True):
    __tablename__ = "sync_inbox"

    node_id: str = Field(primary_key=True, max_length=36)
    epoch: int = Field(primary_key=True)
    hwm: int = Field(default=0, sa_type=BigInteger)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class ParkedRow(HubModel, table=True):
    __tablename__ = "sync_parked"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    node_id: str = Field(max_length=36, index=True)
    epoch: int
    seq: int = Field(sa_type=BigInteger)
    record_type: str = Field(max_length=40)
    record_id: str = Field(max_length=64)
    reason: str = Field(max_length=60)
    message: str = ""
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB))
    parked_at: dt.datetime = Field(sa_type=UTCDateTime)


class SyncRecord(HubModel, table=True):
    __tablename__ = "sync_record"
    __table_args__ = (Index("ix_sync_record_sede_date", "sede_id", "business_date", "record_type"),)

    record_type: str = Field(primary_key=True, max_length=40)
    id: str = Field(primary_key=True, max_length=64)
    sede_id: str | None = Field(default=None, max_length=36)
    business_date: str | None = Field(default=None, max_length=10)
    hlc: str = Field(max_length=80)
    op: str = Field(default="upsert", max_length=10)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB))
    node_id: str = Field(max_length=36)
    epoch: int = 0
    seq: int = Field(sa_type=BigInteger)
    tx_id: str = Field(max_length=36)
    late: bool = Field(default=False, description="arrived after the day's closure")
    received_at: dt.datetime = Field(sa_type=UTCDateTime)


class HubPatient(HubModel, table=True):
    """The canonical patient; its columns mirror the edge's ``patient`` table."""

    __tablename__ = "hub_patient"
    __sync_type__ = "patient"
    __table_args__ = (Index("ix_hub_patient_doc", "doc_type", "doc_number"),)

    id: str = Field(primary_key=True, max_length=36)
    doc_type: str = Field(max_length=1)
    doc_number: str = Field(max_length=15)
    first_names: str = Field(max_length=120)
    last_names: str = Field(max_length=120)
    birth_date: dt.date | None = None
    sex: str | None = Field(default=None, max_length=1)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=120)
    address: str | None = Field(default=None, max_length=200)
    home_sede_id: str = Field(max_length=36)
    canonical_id: str | None = Field(default=None, max_length=36)
    row_hlc: str | None = Field(default=None, max_length=80)
    created_by: str | None = Field(default=None, max_length=36)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)
    field_hlc: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    field_node: dict[str, str] = Field(default_factory=dict, sa_type=JSON)


class PatientAlias(HubModel, table=True):
    __tablename__ = "hub_patient_alias"
    __sync_type__ = "patient_alias"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    alias_id: str = Field(max_length=36, unique=True)
    canonical_id: str = Field(max_length=36, index=True)
    merged_at: dt.datetime = Field(sa_type=UTCDateTime)


class PatientSource(HubModel, table=True):
    __tablename__ = "hub_patient_source"

    patient_id: str = Field(primary_key=True, max_length=36)
    node_id: str = Field(primary_key=True, max_length=36)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    hlc: str = Field(max_length=80)


class SyncConflict(HubModel, table=True):
    """A conflict for admins: ``concurrent_field_edit``, ``duplicate_identity``, ``clock_skew``."""

    __tablename__ = "sync_conflict"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    kind: str = Field(max_length=30, index=True)
    record_type: str = Field(max_length=40)
    record_id: str = Field(max_length=64, index=True)
    field: str | None = Field(default=None, max_length=60)
    kept_value: Any = Field(default=None, sa_type=JSON)
    kept_hlc: str | None = Field(default=None, max_length=80)
    kept_node: str | None = Field(default=None, max_length=36)
    other_value: Any = Field(default=None, sa_type=JSON)
    other_hlc: str | None = Field(default=None, max_length=80)
    other_node: str | None = Field(default=None, max_length=36)
    node_id: str | None = Field(default=None, max_length=36)
    sede_id: str | None = Field(default=None, max_length=36)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default="open", max_length=10, index=True)
    resolution: str | None = Field(default=None, max_length=20)
    resolved_by: str | None = Field(default=None, max_length=60)
    resolved_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class FeedHorizon(HubModel, table=True):
    """Feed rows below ``cursor`` were compacted away: an older cursor gets a snapshot."""

    __tablename__ = "sync_feed_horizon"

    id: int = Field(default=1, primary_key=True)
    cursor: int = Field(default=0, sa_type=BigInteger)
