"""API shapes of the cash drawer (caja); the day seal's are :mod:`edge.cash.seal_schemas`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain import cash as rules
from domain.money import from_cents
from edge.cash import figures as figs
from edge.cash.closing import CloseResult
from edge.cash.models import CashCount, CashMovement, CashSession
from edge.openapi_examples import cash as ex
from sync.apitypes import Money, SignedMoney


# ------------------------------------------------------------------ requests
class SessionOpen(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"opening_float": "150.00"},
                {"denominations": {"100.00": 1, "20.00": 2, "5.00": 2}},
            ]
        },
    )

    opening_float: Money | None = Field(
        default=None, description="Fondo inicial en soles; opcional si se da el detalle."
    )
    denominations: dict[str, int] | None = Field(
        default=None,
        description="Detalle del fondo: denominación ('200.00' … '0.10') → piezas.",
    )


class MovementCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "egreso", "amount": "20.00", "reason": "Compra de útiles"}]
        },
    )

    kind: Literal["ingreso", "egreso"]
    amount: Money
    reason: str = Field(min_length=3, max_length=200)


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"amount": "-10.00", "reason": "Billete de S/ 10 contado dos veces en el arqueo"}
            ]
        },
    )

    amount: SignedMoney = Field(description="Corrige la diferencia: + sobrante, − faltante.")
    reason: str = Field(min_length=5, max_length=300)


class DeclaredTotals(BaseModel):
    """Totals the cashier reads from the POS terminal batch and the Yape/Plin/bank apps."""

    model_config = ConfigDict(extra="forbid")

    tarjeta: Money = Decimal("0.00")
    yape: Money = Decimal("0.00")
    plin: Money = Decimal("0.00")
    transferencia: Money = Decimal("0.00")

    def amounts(self) -> dict[str, Decimal]:
        """Method -> Decimal (``model_dump`` would give the wire strings)."""
        return {m: getattr(self, m) for m in rules.NON_CASH_METHODS}


class CountCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "denominations": {"100.00": 2, "50.00": 1, "10.00": 3, "1.00": 4, "0.50": 1},
                    "declared": {"tarjeta": "180.00", "yape": "45.00", "plin": "0.00"},
                    "note": "Arqueo de fin de turno",
                }
            ]
        },
    )

    denominations: dict[str, int] = Field(
        description="Efectivo contado: denominación ('200.00' … '0.10') → piezas."
    )
    declared: DeclaredTotals = Field(default_factory=DeclaredTotals)
    note: str | None = Field(default=None, max_length=500)


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=200)


class CloseRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {},
                {
                    "note": "Faltan S/ 15: vuelto mal entregado",
                    "approval": {"username": "supervisora", "password": "clave-del-supervisor"},
                },
            ]
        },
    )

    note: str | None = Field(default=None, max_length=500)
    approval: Approval | None = Field(
        default=None, description="Credenciales de un supervisor si la diferencia supera el límite."
    )


class ReopenRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Se omitió registrar un egreso"}]},
    )

    reason: str = Field(min_length=5, max_length=300)


# ------------------------------------------------------------------ responses
class MovementRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.MOVEMENT]})

    id: str
    session_id: str
    kind: str
    amount: SignedMoney
    reason: str
    user_id: str
    business_date: dt.date
    created_at: dt.datetime

    @classmethod
    def from_model(cls, m: CashMovement) -> MovementRead:
        return cls(
            id=m.id,
            session_id=m.session_id,
            kind=m.kind,
            amount=m.amount,
            reason=m.reason,
            user_id=m.user_id,
            business_date=m.business_date,
            created_at=m.created_at,
        )


class MethodLine(BaseModel):
    method: str
    expected: SignedMoney
    counted: SignedMoney
    difference: SignedMoney


def _lines(comparison: rules.Comparison) -> list[MethodLine]:
    return [
        MethodLine(
            method=line.method,
            expected=line.expected,
            counted=line.counted,
            difference=line.difference,
        )
        for line in comparison.lines
    ]


class CountRead(BaseModel):
    """A blind count and, now that it is done, how it compares with the expected figures."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.COUNT]})

    id: str
    session_id: str
    denominations: dict[str, int]
    cash_total: Money
    declared: DeclaredTotals
    lines: list[MethodLine]
    expected_total: SignedMoney
    counted_total: SignedMoney
    difference: SignedMoney
    needs_approval: bool = Field(
        description="Cerrar con este arqueo requiere un supervisor: su diferencia supera el "
        "límite, o es un recuento de cifras cuyo primer arqueo lo superaba."
    )
    threshold: Money
    created_at: dt.datetime

    @classmethod
    def build(
        cls,
        entry: CashCount,
        comparison: rules.Comparison,
        threshold: Decimal,
        *,
        recount_needs_approval: bool = False,
    ) -> CountRead:
        return cls(
            id=entry.id,
            session_id=entry.session_id,
            denominations=entry.denominations,
            cash_total=entry.cash_total,
            declared=DeclaredTotals(**{m: from_cents(v) for m, v in entry.declared_other.items()}),
            lines=_lines(comparison),
            expected_total=comparison.expected_total,
            counted_total=comparison.counted_total,
            difference=comparison.difference,
            needs_approval=recount_needs_approval
            or rules.needs_approval(comparison, threshold=threshold),
            threshold=threshold,
            created_at=entry.created_at,
        )


class SessionRead(BaseModel):
    """A cash session. While it is open no expected figure is shown (blind count)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.SESSION_OPEN, ex.SESSION_CLOSED]})

    id: str
    sede_id: str
    cashier_id: str
    status: str = Field(description="abierta | cerrada")
    opening_float: Money
    opening_denominations: dict[str, int]
    opened_at: dt.datetime
    business_date: dt.date
    closed_at: dt.datetime | None
    closed_by: str | None
    difference: SignedMoney | None = Field(description="contado − esperado; solo si está cerrada")
    difference_approved_by: str | None
    closing_note: str | None
    reopened_count: int
    reopen_reason: str | None

    @classmethod
    def from_model(cls, cs: CashSession) -> SessionRead:
        closed = cs.status == "cerrada"
        return cls(
            id=cs.id,
            sede_id=cs.sede_id,
            cashier_id=cs.cashier_id,
            status=cs.status,
            opening_float=cs.opening_float,
            opening_denominations=cs.opening_denominations,
            opened_at=cs.opened_at,
            business_date=cs.business_date,
            closed_at=cs.closed_at,
            closed_by=cs.closed_by,
            difference=from_cents(cs.difference_cents) if closed else None,
            difference_approved_by=cs.difference_approved_by,
            closing_note=cs.closing_note,
            reopened_count=cs.reopened_count,
            reopen_reason=cs.reopen_reason,
        )


class SessionList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SESSION_LIST]})

    items: list[SessionRead]
    total: int
    limit: int
    offset: int


class MethodTotal(BaseModel):
    method: str
    count: int
    total: SignedMoney


class CancellationRead(BaseModel):
    order_id: str
    order_number: str
    total: Money
    reason: str | None
    user_id: str
    at: dt.datetime


class CreditNoteRead(BaseModel):
    id: str
    order_id: str
    document: str
    total: SignedMoney


def _totals(bucket: dict[str, figs.MethodTotals]) -> list[MethodTotal]:
    return [MethodTotal(method=m, count=t.count, total=t.total) for m, t in sorted(bucket.items())]


class SessionSummary(BaseModel):
    """The close summary: expected vs counted per method and what the session holds."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.SESSION_SUMMARY]})

    session: SessionRead
    lines: list[MethodLine]
    expected_total: SignedMoney
    counted_total: SignedMoney
    difference: SignedMoney
    threshold: Money
    sales: list[MethodTotal]
    refunds: list[MethodTotal]
    ingresos: Money
    egresos: Money
    movements: list[MovementRead]
    adjustments_total: SignedMoney
    adjusted_difference: SignedMoney = Field(description="diferencia + ajustes posteriores")
    cancellations: list[CancellationRead]
    credit_notes: list[CreditNoteRead]

    @classmethod
    def build(cls, result: CloseResult) -> SessionSummary:
        f = result.figures
        adjustments = f.total_of("ajuste")
        return cls(
            session=SessionRead.from_model(result.cash_session),
            lines=_lines(result.comparison),
            expected_total=result.comparison.expected_total,
            counted_total=result.comparison.counted_total,
            difference=result.comparison.difference,
            threshold=result.threshold,
            sales=_totals(f.sales),
            refunds=_totals(f.refunds),
            ingresos=f.total_of("ingreso"),
            egresos=f.total_of("egreso"),
            movements=[MovementRead.from_model(m) for m in f.movements],
            adjustments_total=adjustments,
            adjusted_difference=result.comparison.difference + adjustments,
            cancellations=[CancellationRead(**c) for c in f.cancellations],
            credit_notes=[
                CreditNoteRead(
                    id=n["id"],
                    order_id=n["order_id"],
                    document=n["document"],
                    total=from_cents(n["total_cents"]),
                )
                for n in f.credit_notes
            ],
        )


class SessionDetail(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SESSION_DETAIL]})

    session: SessionRead
    counts: list[CountRead] = Field(description="arqueos hechos (cada uno ya vio su comparación)")
    summary: SessionSummary | None = Field(description="resumen de cierre; solo si está cerrada")
