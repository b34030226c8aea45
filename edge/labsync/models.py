"""Laboratory integration tables: hub mirrors (lab systems, code maps), the send queue and its
attempt log, the tests sent per order, results received, alerts and the inbound message log.

``LabJob`` and ``LabResult`` replicate up (``__sync_type__``); ``LabSystem`` and ``LabCodeMap``
are read-only mirrors of the hub's records (``sync.records.LabSystemRecord`` /
``LabCodeMapRecord``, same column names); the rest is local bookkeeping of this node.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Text
from sqlmodel import Field

from domain.ids import new_id
from edge.base import EdgeModel
from sync.sqltypes import UTCDateTime

# LabJob.state values
PENDING = "pendiente"  # waiting for its (next) attempt
SENT = "enviado"  # handed to the transport, no answer recorded yet (in flight or crashed)
ACCEPTED = "aceptado"  # the laboratory acknowledged it (AA / 2xx / file written)
ERROR = "error"  # the last attempt failed; retried at next_attempt_at
REJECTED = "rechazado"  # the laboratory refused it (AE / 4xx); needs a person (retry endpoint)
DISCARDED = "descartado"  # never sent and no longer needed (order cancelled before sending)
OPEN_STATES = (PENDING, SENT, ERROR)


class LabSystem(EdgeModel, table=True):
    """Mirror of the hub's ``lab_system`` record."""

    __tablename__ = "lab_system"

    id: str = Field(primary_key=True, max_length=36)
    code: str = Field(default="", max_length=20)
    name: str
    protocol: str = Field(default="mllp", max_length=10, description="rest | mllp | file")
    hl7_version: str = Field(default="2.5.1", max_length=8)
    message_type: str = Field(default="OML_O21", max_length=10, description="OML_O21 | ORM_O01")
    url: str = ""
    host: str = ""
    port: int = 0
    folder: str = ""
    file_format: str = Field(default="hl7", max_length=4, description="hl7 | csv")
    token: str = ""
    results_token: str = ""
    timeout_seconds: float = 10.0
    sede_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    active: bool = True
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class LabCodeMap(EdgeModel, table=True):
    """Mirror of the hub's ``lab_code_map`` record: our service -> the LIS's code / LOINC."""

    __tablename__ = "lab_code_map"

    id: str = Field(primary_key=True, max_length=36)
    lab_system_id: str = Field(max_length=36, index=True)
    service_id: str = Field(max_length=36, index=True)
    code: str = ""
    loinc: str = ""
    name: str = ""
    sample_type: str = ""
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class LabJob(EdgeModel, table=True):
    """One message to a laboratory system (a new order, a change or a cancellation).

    ``control_id`` (MSH-10, REST Idempotency-Key, file name) and the placer numbers in
    ``lines`` never change across resends, so the laboratory can drop duplicates. ``rendered``
    freezes the message at its first attempt: every resend is byte-identical.
    """

    __tablename__ = "lab_job"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert
    __sync_type__ = "lab_job"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36)  # one sede per node: an index would hold one value
    order_id: str = Field(foreign_key="lab_order.id", index=True, max_length=36)
    order_number: str = Field(max_length=30)
    lab_system_id: str | None = Field(default=None, max_length=36)  # no query filters on it
    action: str = Field(max_length=10, description="new | change | cancel")
    seq: int = Field(description="1, 2, ... per order: jobs of an order go out in this order")
    control_id: str = Field(unique=True, max_length=20)
    lines: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_type=JSON,
        description="[{item_id, service_id, code, name, placer, control: NW|XO|CA}]",
    )
    placer_numbers: list[str] = Field(default_factory=list, sa_type=JSON)
    filler_numbers: dict[str, str] = Field(
        default_factory=dict, sa_type=JSON, description="placer -> filler (LIS) number"
    )
    state: str = Field(default=PENDING, max_length=12, index=True)
    blocked_reason: str | None = Field(
        default=None, max_length=40, description="unmapped_tests | no_lab_system"
    )
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    last_error: str | None = None
    rendered: str | None = Field(default=None, sa_type=Text)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    acked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class LabAttemptLog(EdgeModel, table=True):
    """Every attempt to deliver a job, with what the laboratory answered."""

    __tablename__ = "lab_attempt_log"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36)
    job_id: str = Field(foreign_key="lab_job.id", index=True, max_length=36)
    order_id: str = Field(max_length=36, index=True)
    lab_system_id: str | None = Field(default=None, max_length=36)
    control_id: str = Field(max_length=20)
    attempt: int
    protocol: str = Field(max_length=10)
    outcome: str = Field(
        default="en_curso",
        max_length=20,
        description="en_curso | aceptado | rechazado | error | circuito_abierto",
    )
    ack_code: str | None = Field(default=None, max_length=4, description="AA | AE | AR | HTTP")
    detail: str | None = None
    duration_ms: int | None = None
    business_date: dt.date
    started_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class LabOrderTest(EdgeModel, table=True):
    """One test of an order as sent to a laboratory system (one ORC/OBR pair)."""

    __tablename__ = "lab_order_test"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36)
    order_id: str = Field(foreign_key="lab_order.id", index=True, max_length=36)
    order_item_id: str = Field(max_length=36)
    service_id: str = Field(max_length=36)
    service_code: str = Field(max_length=20)
    service_name: str
    lab_system_id: str | None = Field(default=None, max_length=36)
    placer_number: str = Field(unique=True, max_length=30)
    filler_number: str | None = Field(default=None, max_length=40)
    cancelled: bool = False
    result_status: str | None = Field(default=None, max_length=1, description="P | F | C | X")
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class LabResult(EdgeModel, table=True):
    """One observation (OBX) of a test; a newer one for the same test supersedes it."""

    __tablename__ = "lab_result"
    __sync_type__ = "lab_result"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36)
    order_id: str = Field(foreign_key="lab_order.id", index=True, max_length=36)
    order_test_id: str = Field(max_length=36, index=True)
    order_item_id: str = Field(max_length=36)
    lab_system_id: str | None = Field(default=None, max_length=36)
    placer_number: str = Field(max_length=30)
    filler_number: str | None = Field(default=None, max_length=40)
    code: str = Field(max_length=40, description="observation code (OBX-3)")
    name: str = ""
    value_type: str = Field(default="ST", max_length=3)
    value: str = ""
    units: str = ""
    reference_range: str = ""
    flag: str = Field(default="", max_length=4, description="L H LL HH N A")
    status: str = Field(max_length=1, description="P preliminary | F final | C corrected | X")
    observed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_control_id: str = Field(max_length=40)
    superseded_by: str | None = Field(default=None, max_length=36)
    pdf_path: str | None = None
    business_date: dt.date
    received_at: dt.datetime = Field(sa_type=UTCDateTime)


class LabAlert(EdgeModel, table=True):
    """Something about an order that staff must fix (e.g. tests with no code at the lab)."""

    __tablename__ = "lab_alert"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36)
    order_id: str = Field(foreign_key="lab_order.id", index=True, max_length=36)
    kind: str = Field(max_length=30, description="unmapped_tests | no_lab_system | rejected")
    message: str
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    resolved_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class LabInboundLog(EdgeModel, table=True):
    """Every message received from a laboratory (MLLP or webhook) and how it was answered."""

    __tablename__ = "lab_inbound_log"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    channel: str = Field(max_length=10, description="mllp | rest")
    peer: str = ""
    control_id: str = Field(default="", max_length=40, index=True)
    message_type: str = Field(default="", max_length=20)
    ack_code: str = Field(max_length=2, description="AA | AE | AR")
    error: str | None = None
    results: int = 0
    raw: str = Field(default="", sa_type=Text)
    received_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
