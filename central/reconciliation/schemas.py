"""API shapes of closures and discrepancies (figures in céntimos, ``*_cents``, like the seal)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from central.openapi_examples import operations as ex
from central.reconciliation.models import STATUS_LABELS, Closure, Discrepancy
from domain.money import from_cents
from sync.apitypes import SignedMoney

ClosureStatus = Literal["pending_data", "reconciled", "with_discrepancies", "reopened"]
Severity = Literal["info", "warning", "critical"]
_ID = "01935f6c-4a3e-7b2c-9d1e-2f3a4b5c6d7e"


class ExecuteRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"sede_id": _ID, "date": "2026-11-29"}]},
    )

    sede_id: str = Field(min_length=1, max_length=36, description="sede a conciliar")
    date: dt.date = Field(description="día de negocio (America/Lima)")


class ReopenRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Llegó el pago con tarjeta que faltaba del POS 2"}]
        },
    )

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=500)]


class DiscrepancyRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.DISCREPANCY_READ]})

    id: str
    closure_id: str
    sede_id: str
    business_date: dt.date
    kind: str = Field(description="p. ej. seal_mismatch, series_gap, paid_without_document")
    severity: Severity
    key: str = Field(description="clave estable del hallazgo dentro del cierre")
    message: str
    record_ids: list[str] = Field(description="ids (o correlativos) involucrados")
    amount: SignedMoney | None = None
    expected: SignedMoney | None = None
    actual: SignedMoney | None = None
    details: dict[str, Any]
    created_at: dt.datetime

    @classmethod
    def of(cls, d: Discrepancy) -> DiscrepancyRead:
        def money(v: int | None) -> Any:
            return from_cents(v) if v is not None else None

        return cls(
            id=d.id, closure_id=d.closure_id, sede_id=d.sede_id, business_date=d.business_date,
            kind=d.kind, severity=d.severity,  # type: ignore[arg-type]
            key=d.key,
            message=d.message, record_ids=list(d.record_ids), amount=money(d.amount_cents),
            expected=money(d.expected_cents), actual=money(d.actual_cents),
            details=dict(d.details), created_at=d.created_at,
        )  # fmt: skip


class DiscrepancyList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.DISCREPANCY_LIST]})

    items: list[DiscrepancyRead]
    total: int


class ClosureSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CLOSURE_SUMMARY]})

    id: str
    sede_id: str
    business_date: dt.date
    status: ClosureStatus
    status_label: str
    discrepancy_count: int
    critical_count: int
    has_late_adjustments: bool
    closed_at: dt.datetime | None
    executed_at: dt.datetime
    executed_by: str
    runs: int
    reopen_count: int

    @classmethod
    def of(cls, c: Closure) -> ClosureSummary:
        return cls(
            id=c.id, sede_id=c.sede_id, business_date=c.business_date,
            status=c.status,  # type: ignore[arg-type]
            status_label=STATUS_LABELS.get(c.status, c.status),
            discrepancy_count=c.discrepancy_count, critical_count=c.critical_count,
            has_late_adjustments=c.has_late_adjustments, closed_at=c.closed_at,
            executed_at=c.executed_at, executed_by=c.executed_by, runs=c.runs,
            reopen_count=c.reopen_count,
        )  # fmt: skip


class ClosureRead(ClosureSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CLOSURE_READ]})

    figures: dict[str, Any] = Field(description="conteos y sumas de la central (céntimos)")
    seal_figures: dict[str, Any] = Field(description="lo que declaró el sello del día")
    method_totals: dict[str, Any] = Field(
        description="por medio de pago: pagos, esperado, declarado y diferencia (céntimos)"
    )
    adjusted_figures: dict[str, Any] = Field(description="figuras con los registros tardíos")
    late_adjustments: list[dict[str, Any]]
    seal_id: str | None
    seal_received_at: dt.datetime | None
    reopened_at: dt.datetime | None
    reopened_by: str | None
    reopen_reason: str | None
    discrepancies: list[DiscrepancyRead]

    @classmethod
    def full(cls, c: Closure, discrepancies: list[Discrepancy]) -> ClosureRead:
        base = ClosureSummary.of(c).model_dump()
        return cls(
            **base, figures=c.figures, seal_figures=c.seal_figures,
            method_totals=c.method_totals, adjusted_figures=c.adjusted_figures,
            late_adjustments=list(c.late_adjustments), seal_id=c.seal_id,
            seal_received_at=c.seal_received_at, reopened_at=c.reopened_at,
            reopened_by=c.reopened_by, reopen_reason=c.reopen_reason,
            discrepancies=[DiscrepancyRead.of(d) for d in discrepancies],
        )  # fmt: skip


class ClosureList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CLOSURE_LIST]})

    items: list[ClosureSummary]
    total: int
