"""``/api/lab-sync/...`` and ``/api/orders/{id}/results``: the laboratory queue and results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query

from edge.auth.tokens import Principal
from edge.db import read_session
from edge.deps import RuntimeDep, require
from edge.labsync import service
from edge.labsync.schemas import (
    AttemptList,
    OrderResults,
    PendingList,
    SyncReport,
    WebhookIn,
    WebhookOut,
)

router = APIRouter(tags=["laboratorio"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sin sesión o token inválido"},
    403: {"description": "Sin permiso o sede no asignada"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No existe"}}
SyncUser = Annotated[Principal, Depends(require("lab.sync"))]
ResultsUser = Annotated[Principal, Depends(require("lab.results"))]


@router.post(
    "/api/lab-sync/sync",
    response_model=SyncReport,
    summary="Enviar ahora todas las órdenes pendientes al laboratorio",
    responses=_ERRORS,
)
def sync_all(rt: RuntimeDep, user: SyncUser) -> SyncReport:
    return service.sync_all(rt)


@router.post(
    "/api/lab-sync/sync/{order_id}",
    response_model=SyncReport,
    summary="Forzar el envío de una orden (sin esperar reintentos)",
    responses={**_ERRORS, **_NOT_FOUND},
)
def sync_order(order_id: str, rt: RuntimeDep, user: SyncUser) -> SyncReport:
    return service.sync_order(rt, order_id=order_id)


@router.get(
    "/api/lab-sync/logs",
    response_model=AttemptList,
    summary="Registro de intentos de envío al laboratorio",
    responses=_ERRORS,
)
def logs(
    rt: RuntimeDep,
    user: SyncUser,
    order_id: Annotated[str | None, Query(description="solo esta orden")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AttemptList:
    with read_session(rt.engine) as session:
        return service.list_logs(session, order_id=order_id, limit=limit, offset=offset)


@router.get(
    "/api/lab-sync/pending",
    response_model=PendingList,
    summary="Envíos pendientes, con error o rechazados, y alertas (exámenes sin código)",
    responses=_ERRORS,
)
def pending(rt: RuntimeDep, user: SyncUser) -> PendingList:
    with read_session(rt.engine) as session:
        return service.list_pending(session)


@router.post(
    "/api/lab-sync/retry/{log_id}",
    response_model=SyncReport,
    summary="Reintentar el envío de un intento registrado (también uno rechazado)",
    responses={**_ERRORS, **_NOT_FOUND, 422: {"description": "Ya aceptado o descartado"}},
)
def retry(log_id: str, rt: RuntimeDep, user: SyncUser) -> SyncReport:
    return service.retry(rt, log_id=log_id)


@router.post(
    "/api/lab-sync/results",
    response_model=WebhookOut,
    summary="Webhook del laboratorio: resultados por examen (token del laboratorio)",
    responses={
        401: {"description": "Token de laboratorio inválido"},
        422: {"description": "Número de orden desconocido o datos inválidos"},
    },
)
def results_webhook(
    body: WebhookIn,
    rt: RuntimeDep,
    authorization: Annotated[str | None, Header(description="Bearer <token>")] = None,
) -> WebhookOut:
    token = authorization.removeprefix("Bearer ").strip() if authorization else None
    return service.receive_webhook(rt, token=token, body=body)


@router.get(
    "/api/orders/{order_id}/results",
    response_model=OrderResults,
    summary="Resultados de una orden por examen, con su historial de correcciones",
    responses={**_ERRORS, **_NOT_FOUND},
)
def order_results(order_id: str, rt: RuntimeDep, user: ResultsUser) -> OrderResults:
    with read_session(rt.engine) as session:
        return service.order_results(session, order_id=order_id)
