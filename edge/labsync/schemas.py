"""API shapes of the laboratory integration (Spanish descriptions; field names in English)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.labsync.models import LabAlert, LabAttemptLog, LabJob, LabResult
from edge.openapi_examples import lab as ex


class AlertRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.LAB_ALERT]})

    id: str
    kind: str = Field(description="unmapped_tests | no_lab_system | rejected")
    message: str
    details: dict[str, Any]
    created_at: dt.datetime
    resolved_at: dt.datetime | None

    @classmethod
    def of(cls, a: LabAlert) -> AlertRead:
        return cls(
            id=a.id, kind=a.kind, message=a.message, details=a.details,
            created_at=a.created_at, resolved_at=a.resolved_at,
        )  # fmt: skip


class JobRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.LAB_JOB]})

    id: str
    order_id: str
    order_number: str
    lab_system_id: str | None
    action: str = Field(description="new | change | cancel")
    control_id: str = Field(description="MSH-10 / Idempotency-Key: igual en cada reenvío")
    state: str = Field(
        description="pendiente | enviado | aceptado | error | rechazado | descartado"
    )
    blocked_reason: str | None = Field(description="unmapped_tests | no_lab_system")
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    placer_numbers: list[str]
    filler_numbers: dict[str, str]
    created_at: dt.datetime
    acked_at: dt.datetime | None

    @classmethod
    def of(cls, j: LabJob) -> JobRead:
        return cls(
            id=j.id, order_id=j.order_id, order_number=j.order_number,
            lab_system_id=j.lab_system_id, action=j.action, control_id=j.control_id,
            state=j.state, blocked_reason=j.blocked_reason, attempts=j.attempts,
            next_attempt_at=j.next_attempt_at, last_error=j.last_error,
            placer_numbers=list(j.placer_numbers or []), filler_numbers=dict(j.filler_numbers),
            created_at=j.created_at, acked_at=j.acked_at,
        )  # fmt: skip


class PendingJob(JobRead):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PENDING_JOB]})

    unmapped_tests: list[dict[str, str]] = Field(
        default_factory=list, description="exámenes sin código en el laboratorio"
    )


class PendingList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PENDING_LIST]})

    total: int
    items: list[PendingJob]
    alerts: list[AlertRead]


class AttemptRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ATTEMPT]})

    id: str
    job_id: str
    order_id: str
    control_id: str
    attempt: int
    protocol: str
    outcome: str
    ack_code: str | None
    detail: str | None
    duration_ms: int | None
    started_at: dt.datetime
    finished_at: dt.datetime | None

    @classmethod
    def of(cls, a: LabAttemptLog) -> AttemptRead:
        return cls(
            id=a.id, job_id=a.job_id, order_id=a.order_id, control_id=a.control_id,
            attempt=a.attempt, protocol=a.protocol, outcome=a.outcome, ack_code=a.ack_code,
            detail=a.detail, duration_ms=a.duration_ms, started_at=a.started_at,
            finished_at=a.finished_at,
        )  # fmt: skip


class AttemptList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ATTEMPT_LIST]})

    total: int
    items: list[AttemptRead]


class SyncReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SYNC_REPORT]})

    sent: int = Field(description="intentos realizados")
    accepted: int
    failed: int
    skipped: int = Field(description="omitidos por circuito abierto")
    jobs: list[JobRead] = Field(default_factory=list)


class ResultRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.LAB_RESULT]})

    id: str
    placer_number: str
    filler_number: str | None
    code: str
    name: str
    value: str
    units: str
    reference_range: str
    flag: str
    status: str = Field(description="P preliminar | F final | C corregido | X no realizado")
    observed_at: dt.datetime | None
    received_at: dt.datetime
    superseded_by: str | None
    pdf_path: str | None

    @classmethod
    def of(cls, r: LabResult) -> ResultRead:
        return cls(
            id=r.id, placer_number=r.placer_number, filler_number=r.filler_number, code=r.code,
            name=r.name, value=r.value, units=r.units, reference_range=r.reference_range,
            flag=r.flag, status=r.status, observed_at=r.observed_at, received_at=r.received_at,
            superseded_by=r.superseded_by, pdf_path=r.pdf_path,
        )  # fmt: skip


class TestResults(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ORDER_RESULTS["tests"][1]]})

    placer_number: str
    service_code: str
    service_name: str
    status: str | None = Field(description="estado del examen: P, F, C, X o null (sin resultado)")
    cancelled: bool
    current: list[ResultRead]
    history: list[ResultRead] = Field(description="resultados reemplazados por otros")


class OrderResults(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ORDER_RESULTS]})

    order_id: str
    order_number: str
    order_status: str
    complete: bool = Field(description="todos los exámenes tienen resultado final")
    tests: list[TestResults]


class WebhookObservation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    placer_number: str = Field(min_length=1, max_length=30)
    filler_number: str = Field(default="", max_length=40)
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(default="", max_length=200)
    value_type: Literal["NM", "ST", "TX", "CWE", "SN"] = "ST"
    value: str = Field(default="", max_length=2000)
    units: str = Field(default="", max_length=40)
    reference_range: str = Field(default="", max_length=60)
    flag: str = Field(default="", max_length=4)
    status: Literal["P", "F", "C", "X"]
    observed_at: dt.datetime | None = None


class WebhookReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    placer_number: str = Field(min_length=1, max_length=30)
    pdf_base64: str = Field(min_length=1, description="informe PDF en base64")


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "message_id": "LIS-998877",
                    "results": [
                        {
                            "placer_number": "S01-20261129-0001-1",
                            "filler_number": "LC-77001",
                            "code": "GLU",
                            "name": "Glucosa basal",
                            "value_type": "NM",
                            "value": "112",
                            "units": "mg/dL",
                            "reference_range": "70-99",
                            "flag": "H",
                            "status": "F",
                        }
                    ],
                }
            ]
        },
    )

    message_id: str = Field(min_length=1, max_length=40, description="id único del envío")
    results: list[WebhookObservation] = Field(min_length=1)
    reports: list[WebhookReport] = Field(default_factory=list)


class WebhookOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEBHOOK_OUT]})

    accepted: int = Field(description="resultados guardados")
    duplicate: bool = Field(description="el envío ya se había recibido")
    orders_ready: list[str] = Field(description="órdenes que pasaron a resultados listos")
