"""``/api/cash``: cash sessions (caja), blind count, close, reopen, adjustments, day seal and its
reopening."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from domain.clock import business_date, parse_business_date
from domain.errors import NotFound
from edge.auth.tokens import Principal
from edge.cash import closing, hub_check
from edge.cash import seal as seal_service
from edge.cash import service as cash_service
from edge.cash.schemas import (
    AdjustmentCreate,
    CloseRequest,
    CountCreate,
    CountRead,
    MovementCreate,
    MovementRead,
    ReopenRequest,
    SessionDetail,
    SessionList,
    SessionOpen,
    SessionRead,
    SessionSummary,
)
from edge.cash.seal_schemas import (
    DayCloseRequest,
    DayReopenRead,
    DayReopenRequest,
    DaySealRead,
)
from edge.db import read_session, unit_of_work
from edge.deps import RuntimeDep, client_ip, error_responses, require
from edge.runtime import EdgeRuntime

router = APIRouter(prefix="/api/cash", tags=["caja"])

Operator = Annotated[Principal, Depends(require("cash.operate"))]
Closer = Annotated[Principal, Depends(require("cash.close"))]
Reopener = Annotated[Principal, Depends(require("cash.reopen"))]
Approver = Annotated[Principal, Depends(require("cash.approve_difference"))]
DayCloser = Annotated[Principal, Depends(require("day.close"))]
DayReopener = Annotated[Principal, Depends(require("day.reopen"))]
DayParam = Annotated[str, Path(description="día de negocio AAAA-MM-DD o 'hoy'")]
SessionId = Annotated[str, Path(description="id de la sesión de caja", max_length=36)]


def _sede(rt: EdgeRuntime) -> str:
    sede_id = rt.sede_id
    if sede_id is None:
        raise NotFound("Este nodo aún no tiene sede (labred edge init).", code="sede_not_found")
    return sede_id


def _detail(rt: EdgeRuntime, session_id: str, user: Principal) -> SessionDetail:
    with read_session(rt.engine) as session:
        d = closing.detail(session, session_id=session_id, user=user, clock=rt.clock)
        return SessionDetail(
            session=SessionRead.from_model(d.cash_session),
            counts=[CountRead.build(c, cmp, d.threshold) for c, cmp in d.counts],
            summary=SessionSummary.build(d.summary) if d.summary else None,
        )


@router.post(
    "/sessions",
    status_code=201,
    response_model=SessionRead,
    summary="Abrir caja con fondo inicial",
    description="Una caja abierta por cajero y sede (409 `cash_session_already_open`). El fondo "
    "se da como monto, como detalle por denominación, o ambos (deben coincidir).",
    responses=error_responses(404, 409, 422),
)
def open_session(
    body: SessionOpen, request: Request, rt: RuntimeDep, user: Operator
) -> SessionRead:
    with unit_of_work(rt.engine) as session:
        cs = cash_service.open_session(
            session,
            sede_id=_sede(rt),
            user=user,
            clock=rt.clock,
            opening_float=body.opening_float,
            denominations=body.denominations,
            ip=client_ip(request),
        )
        return SessionRead.from_model(cs)


@router.get(
    "/sessions",
    response_model=SessionList,
    summary="Sesiones de caja (filtros)",
    description="Más recientes primero. Un cajero solo ve sus propias sesiones.",
    responses=error_responses(404, 422),
)
def list_sessions(
    rt: RuntimeDep,
    user: Operator,
    status: Annotated[str | None, Query(pattern="^(abierta|cerrada)$")] = None,
    cashier_id: Annotated[str | None, Query(max_length=36)] = None,
    date: Annotated[dt.date | None, Query(description="día de negocio AAAA-MM-DD")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SessionList:
    filters = cash_service.SessionFilter(status=status, cashier_id=cashier_id, business_date=date)
    with read_session(rt.engine) as session:
        rows, total = cash_service.list_sessions(
            session, sede_id=_sede(rt), user=user, filters=filters, limit=limit, offset=offset
        )
        return SessionList(
            items=[SessionRead.from_model(r) for r in rows], total=total, limit=limit, offset=offset
        )


@router.get(
    "/sessions/current",
    response_model=SessionRead,
    summary="Mi caja abierta",
    responses=error_responses(404),
)
def current(rt: RuntimeDep, user: Operator) -> SessionRead:
    with read_session(rt.engine) as session:
        cs = cash_service.current_session(session, sede_id=_sede(rt), cashier_id=user.user_id)
        if cs is None:
            raise NotFound("No tiene una caja abierta.", code="cash_session_none")
        return SessionRead.from_model(cs)


@router.get(
    "/sessions/{session_id}",
    response_model=SessionDetail,
    summary="Una sesión de caja, sus arqueos y, si está cerrada, su resumen",
    responses=error_responses(404),
)
def get_session(session_id: SessionId, rt: RuntimeDep, user: Operator) -> SessionDetail:
    return _detail(rt, session_id, user)


@router.post(
    "/sessions/{session_id}/movements",
    status_code=201,
    response_model=MovementRead,
    summary="Ingreso o egreso de efectivo con motivo",
    description="Solo en una caja abierta. Un egreso no puede superar el efectivo en caja "
    "(422 `cash_insufficient`).",
    responses=error_responses(404, 409, 422),
)
def add_movement(
    session_id: SessionId, body: MovementCreate, request: Request, rt: RuntimeDep, user: Operator
) -> MovementRead:
    with unit_of_work(rt.engine) as session:
        movement = cash_service.add_movement(
            session,
            session_id=session_id,
            user=user,
            clock=rt.clock,
            kind=body.kind,
            amount=body.amount,
            reason=body.reason,
            ip=client_ip(request),
        )
        return MovementRead.from_model(movement)


@router.post(
    "/sessions/{session_id}/adjustments",
    status_code=201,
    response_model=MovementRead,
    summary="Ajuste de una caja cerrada (supervisor)",
    description="Una caja cerrada nunca se edita: la corrección es un movimiento `ajuste` "
    "vinculado a ella, con motivo, auditado.",
    responses=error_responses(404, 409, 422),
)
def add_adjustment(
    session_id: SessionId, body: AdjustmentCreate, request: Request, rt: RuntimeDep, user: Approver
) -> MovementRead:
    with unit_of_work(rt.engine) as session:
        movement = cash_service.add_adjustment(
            session,
            session_id=session_id,
            user=user,
            clock=rt.clock,
            amount=body.amount,
            reason=body.reason,
            ip=client_ip(request),
        )
        return MovementRead.from_model(movement)


@router.post(
    "/sessions/{session_id}/count",
    status_code=201,
    response_model=CountRead,
    summary="Arqueo ciego: contar y declarar, luego ver esperado vs contado",
    description="El cajero envía el efectivo por denominación y los totales de tarjeta, "
    "Yape, Plin y transferencia leídos del terminal o de la app, sin haber visto lo "
    "esperado; la respuesta muestra la comparación por medio de pago.",
    responses=error_responses(404, 409, 422),
)
def count(session_id: SessionId, body: CountCreate, rt: RuntimeDep, user: Closer) -> CountRead:
    with unit_of_work(rt.engine) as session:
        entry, comparison, cs = cash_service.count(
            session,
            session_id=session_id,
            user=user,
            clock=rt.clock,
            denominations=body.denominations,
            declared=body.declared.amounts(),
            note=body.note,
        )
        limit = cash_service.threshold(session, sede_id=cs.sede_id)
        first = cash_service.first_count_of_figures(cash_service.valid_counts(session, cs), entry)
        recount = cash_service.recount_needs_approval(first, entry, limit)
        return CountRead.build(entry, comparison, limit, recount_needs_approval=recount)


@router.post(
    "/sessions/{session_id}/close",
    response_model=SessionSummary,
    summary="Cerrar caja",
    description="Requiere un arqueo posterior al último cobro. Una diferencia por encima del "
    "límite de la sede necesita credenciales de un supervisor y una nota (422 "
    "`cash_difference_needs_approval`; 403 `approval_invalid`). Auditado.",
    responses=error_responses(404, 409, 422),
)
def close(
    session_id: SessionId, body: CloseRequest, request: Request, rt: RuntimeDep, user: Closer
) -> SessionSummary:
    approval = (body.approval.username, body.approval.password) if body.approval else None
    with unit_of_work(rt.engine) as session:
        result = closing.close(
            session,
            session_id=session_id,
            user=user,
            clock=rt.clock,
            note=body.note,
            approval=approval,
            ip=client_ip(request),
        )
        return SessionSummary.build(result)


@router.post(
    "/sessions/{session_id}/reopen",
    response_model=SessionRead,
    summary="Reabrir una caja cerrada (supervisor, con motivo)",
    description="Auditado con las cifras del cierre anterior; se necesitará un nuevo arqueo.",
    responses=error_responses(404, 409, 422),
)
def reopen(
    session_id: SessionId, body: ReopenRequest, request: Request, rt: RuntimeDep, user: Reopener
) -> SessionRead:
    with unit_of_work(rt.engine) as session:
        cs = closing.reopen(
            session,
            session_id=session_id,
            user=user,
            clock=rt.clock,
            reason=body.reason,
            ip=client_ip(request),
        )
        return SessionRead.from_model(cs)


@router.post(
    "/day/close",
    status_code=201,
    response_model=DaySealRead,
    summary="Cerrar el día de la sede (sello del día)",
    description="Rechazado mientras haya cajas abiertas de ese día (422 `cash_sessions_open`), "
    "si el día ya está sellado (409 `day_already_sealed`), si es futuro (422 `day_in_future`) "
    "o anterior a la primera actividad del nodo (422 `day_before_first_activity`). Un día "
    "reabierto se sella de nuevo aquí: el mismo sello, con las cifras del momento. El sello "
    "viaja a la central.",
    responses=error_responses(404, 409, 422),
)
def close_day(
    body: DayCloseRequest, request: Request, rt: RuntimeDep, user: DayCloser
) -> DaySealRead:
    with unit_of_work(rt.engine) as session:
        sealed = seal_service.close_day(
            session,
            sede_id=_sede(rt),
            user=user,
            clock=rt.clock,
            day=body.date,
            ip=client_ip(request),
        )
        return DaySealRead.from_seal(sealed)


def _day(rt: EdgeRuntime, day: str) -> dt.date:
    return business_date(rt.clock.now()) if day == "hoy" else parse_business_date(day)


@router.post(
    "/day/{day}/reopen",
    response_model=DayReopenRead,
    summary="Reabrir un día sellado (supervisor, con motivo)",
    description="El día vuelve a admitir ventas, cobros y caja hasta que se selle de nuevo "
    "(`POST /api/cash/day/close`). Motivo de 5 a 300 caracteres (422 `reason_required`). "
    "Rechazado si el día no está sellado (409 `day_not_sealed`) o si la central ya lo concilió "
    "y cerró (409 `day_closed_by_hub`): un nodo enrolado se lo pregunta a la central antes de "
    "reabrir (máximo 2 s), aunque el cierre aún no haya llegado a la sede. Si la central no "
    "responde, el día se reabre igual con `hub_checked: false` y un `warning`. Auditado.",
    responses=error_responses(404, 409, 422),
)
def reopen_day(
    day: DayParam, body: DayReopenRequest, request: Request, rt: RuntimeDep, user: DayReopener
) -> DayReopenRead:
    return hub_check.reopen_day(
        rt.engine,
        data_dir=rt.settings.data_dir,
        sede_id=_sede(rt),
        user=user,
        clock=rt.clock,
        day=_day(rt, day),
        reason=body.reason,
        ip=client_ip(request),
    )


@router.get(
    "/day/{day}",
    response_model=DaySealRead,
    summary="Cifras de un día: el sello si está sellado, o las cifras en curso",
    description="`status`: abierto (nunca sellado), sellado o reabierto (con quién, cuándo y "
    "por qué se reabrió; las cifras son las del momento).",
    responses=error_responses(404, 422),
)
def get_day(day: DayParam, rt: RuntimeDep, _user: DayCloser) -> DaySealRead:
    parsed = _day(rt, day)
    with read_session(rt.engine) as session:
        seal, figures = seal_service.view(session, sede_id=_sede(rt), day=parsed)
        if seal is None:
            return DaySealRead(business_date=parsed, sealed=False, figures=figures)
        return DaySealRead.from_seal(seal, figures)
