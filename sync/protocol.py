"""Wire contract between edge and hub: versions, limits and message shapes (DESIGN.md section 3).

Every sync call carries the headers ``Sync-Protocol``, ``Schema-Version`` and ``App-Version``;
push batches repeat them in the body. Pushes from an older schema are always accepted (the hub
upcasts them); a pull from a schema below ``MIN_PULL_SCHEMA`` gets 426 ``upgrade_required``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from domain.errors import LabError

PROTOCOL_VERSION = 1
SCHEMA_VERSION = 1
MIN_PULL_SCHEMA = 1

MAX_BATCH_ROWS = 500
MAX_BATCH_BYTES = 1024 * 1024
MAX_CLOCK_OFFSET_MS = 5 * 60 * 1000  # a stamp further ahead of the hub is not trusted for LWW
PULL_PAGE_LIMIT = 1000

HEADER_PROTOCOL = "Sync-Protocol"
HEADER_SCHEMA = "Schema-Version"
HEADER_APP = "App-Version"


class UpgradeRequired(LabError):
    """The node's schema is too old to pull (its pushes are still accepted)."""

    status = 426
    default_code = "upgrade_required"


class SchemaTooNew(LabError):
    """A change of a schema newer than this program knows: never applied."""

    status = 409
    default_code = "schema_too_new"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


DiskLevel = Literal["ok", "bajo", "lleno"]
#: Query parameters of ``GET /api/sync/pull`` carrying :class:`NodeDisk` (optional).
PULL_DISK_LEVEL = "disk_level"
PULL_DISK_FREE_MB = "disk_free_mb"


class NodeDisk(_Wire):
    """The free space of the node's data directory as the node measured it right before the
    call (``edge.diskspace``): ``ok``, ``bajo`` (below ``disk_low_mb``) or ``lleno`` (below
    ``disk_full_mb``: sales may fail). Optional on every push (``PushBatch.disk``) and pull
    (``disk_level`` / ``disk_free_mb`` query parameters): older nodes send nothing, and a report
    the hub cannot read is ignored, never a reason to refuse the batch or the page."""

    level: DiskLevel
    free_mb: int = Field(ge=0, le=2**53)

    def as_params(self) -> dict[str, str]:
        """The pull's query parameters."""
        return {PULL_DISK_LEVEL: self.level, PULL_DISK_FREE_MB: str(self.free_mb)}

    @classmethod
    def from_params(cls, level: str | None, free_mb: str | None) -> NodeDisk | None:
        """The report of a pull's query parameters; None when absent or unreadable."""
        if level is None or free_mb is None:
            return None
        try:
            return cls.model_validate({"level": level, "free_mb": free_mb.strip()})
        except ValidationError:
            return None


class Change(_Wire):
    """One outbox row as it travels up: a full row image, never a diff."""

    seq: int = Field(ge=1)
    tx_id: str
    record_type: str
    record_id: str
    op: str = Field(
        default="upsert",
        description="upsert | delete; any other value is parked by the hub (``bad_op``), never "
        "refused with the whole batch (one bad row must not block the queue)",
    )
    payload: dict[str, Any]
    hlc: str
    schema_version: int = Field(ge=1)
    sede_id: str | None = None
    business_date: str | None = None


class PushBatch(_Wire):
    protocol: int = PROTOCOL_VERSION
    node_id: str
    epoch: int = Field(ge=0)
    schema_version: int = SCHEMA_VERSION
    app_version: str = ""
    batch_id: str = ""
    from_seq: int = Field(ge=1)
    to_seq: int = Field(ge=1)
    # A batch is cut at MAX_BATCH_ROWS but never splits a local transaction, so one transaction
    # travels whole however large (a convenio's monthly factura has a line and a link per order):
    # refusing it would block the node's queue for good. The body size (``MAX_BODY`` at the hub)
    # is what bounds a batch.
    rows: list[Change] = Field(max_length=200_000)
    node_hlc: str | None = None
    backlog: int = Field(default=0, ge=0, description="rows still waiting after this batch")
    disk: NodeDisk | None = Field(
        default=None,
        description="the node's disk (level and free MB) when it sent the batch; absent from "
        "older nodes. An unreadable report counts as absent (the batch is still applied)",
    )

    @field_validator("disk", mode="wrap")
    @classmethod
    def _lenient_disk(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> NodeDisk | None:
        try:
            disk: NodeDisk | None = handler(value)
        except ValidationError:
            return None  # a bad disk report must not block the node's queue
        return disk

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "protocol": 1,
                    "node_id": "0193a1b2-0000-7000-8000-000000000001",
                    "epoch": 1,
                    "schema_version": 1,
                    "from_seq": 1,
                    "to_seq": 1,
                    "rows": [
                        {
                            "seq": 1,
                            "tx_id": "0193a1b2-0000-7000-8000-0000000000aa",
                            "record_type": "payment",
                            "record_id": "0193a1b2-0000-7000-8000-0000000000bb",
                            "op": "upsert",
                            "payload": {"id": "0193a1b2-0000-7000-8000-0000000000bb"},
                            "hlc": "0192f0a1b2c3-0000-edge01",
                            "schema_version": 1,
                            "sede_id": "0193a1b2-0000-7000-8000-0000000000cc",
                            "business_date": "2026-11-29",
                        }
                    ],
                    "disk": {"level": "bajo", "free_mb": 150},
                }
            ]
        },
    )


class ParkedNote(_Wire):
    """Why the hub parked one pushed row (its ``sync_parked`` reason and message)."""

    seq: int
    reason: str
    message: str = ""


class PushAck(_Wire):
    """The hub's reply: the edge advances ``acked_seq`` only from this."""

    acked_to: int
    hub_time: str
    hub_hlc: str
    parked: list[int] = Field(default_factory=list)
    parked_details: list[ParkedNote] = Field(
        default_factory=list,
        description="the reasons of ``parked``, plus those of resent rows an earlier delivery "
        "parked (its ack may have been lost). Absent from older hubs: the edge then notes the "
        "``parked`` rows as refused without a reason",
    )
    conflicts_opened: int = 0
    gap: bool = False
    min_pull_schema: int = MIN_PULL_SCHEMA


class FeedChange(_Wire):
    cursor: int
    tx_id: str
    record_type: str
    record_id: str
    op: str
    payload: dict[str, Any]
    schema_version: int


class PullPage(_Wire):
    changes: list[FeedChange]
    next_cursor: int
    has_more: bool
    reset: bool = Field(default=False, description="a full snapshot: replace every hub-owned table")
    digests: dict[str, str] | None = None
    hub_time: str
    acked_to: int | None = Field(
        default=None,
        description="the hub's inbox mark of the node's current epoch. Below the node's own "
        "acked seq only when the hub's database was restored from an older backup: the node "
        "then pushes again from this mark (without it, a quiet node would never resend)",
    )


class SnapshotPage(_Wire):
    record_type: str
    rows: list[FeedChange]
    cursor: int


class EnrollRequest(_Wire):
    code: str = Field(min_length=6, max_length=64)
    acked_seq: int = Field(default=0, ge=0, description="the node's last acknowledged seq")
    app_version: str = ""
    schema_version: int = SCHEMA_VERSION

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"code": "K7QX-2M9P-T4", "acked_seq": 0}]}
    )


class EnrollResponse(_Wire):
    node_id: str
    secret: str
    sede_id: str
    epoch: int
    hub_time: str
    resume_seq: int = Field(
        default=0,
        ge=0,
        description="the new epoch's inbox mark: the highest seq of this node the hub holds (any "
        "epoch). A restored node re-imports its records above its own acked seq up to this "
        "mark, and its outbox continues after it (a seq is never reused)",
    )


class ReimportRow(_Wire):
    """The hub's latest image of a record this node pushed (restore re-import)."""

    record_type: str
    record_id: str
    seq: int
    op: str
    hlc: str
    payload: dict[str, Any]


class ReimportPage(_Wire):
    rows: list[ReimportRow]
    next_after: int = Field(description="pass as ``after_seq`` for the next page")
    has_more: bool


class DayClosureStatus(_Wire):
    """The hub's closure of one business day of a sede, as the sede's node asks for it right
    before reopening the day (``GET /api/sync/closures/{sede_id}/{day}``)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "sede_id": "c6c85de9-8688-5eaf-b97a-240a40519576",
                    "business_date": "2026-11-28",
                    "status": "reconciled",
                    "status_label": "conciliado",
                    "closed": True,
                    "closed_at": "2026-11-29T05:00:00Z",
                    "reopen_count": 0,
                }
            ]
        },
    )

    sede_id: str
    business_date: dt.date
    status: str | None = Field(
        default=None,
        description="pending_data | reconciled | with_discrepancies | reopened; null si la "
        "central aún no ejecutó el cierre de ese día",
    )
    status_label: str = Field(default="", description="el estado en palabras")
    closed: bool = Field(
        description="True si la central ya concilió y cerró el día (conciliado o con "
        "discrepancias): la sede no debe reabrirlo"
    )
    closed_at: dt.datetime | None = None
    reopen_count: int = Field(default=0, description="veces que la central reabrió el cierre")


class SeriesState(_Wire):
    sede_id: str
    series: dict[str, int] = Field(description="series -> highest correlative the hub holds")


__all__ = [
    "HEADER_APP",
    "HEADER_PROTOCOL",
    "HEADER_SCHEMA",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ROWS",
    "MAX_CLOCK_OFFSET_MS",
    "MIN_PULL_SCHEMA",
    "PULL_DISK_FREE_MB",
    "PULL_DISK_LEVEL",
    "PROTOCOL_VERSION",
    "SCHEMA_VERSION",
    "Change",
    "DayClosureStatus",
    "DiskLevel",
    "EnrollRequest",
    "EnrollResponse",
    "FeedChange",
    "NodeDisk",
    "ParkedNote",
    "PullPage",
    "PushAck",
    "PushBatch",
    "ReimportPage",
    "ReimportRow",
    "SchemaTooNew",
    "SeriesState",
    "SnapshotPage",
    "UpgradeRequired",
]
