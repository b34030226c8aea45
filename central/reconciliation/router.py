"""``/api/reconciliation``: run, list, read, reopen and export daily closures."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from central.auth.deps import RuntimeDep, client_ip, require
from central.auth.tokens import Principal
from central.db import unit_of_work
from central.reconciliation import exporting, service
from central.reconciliation.schemas import (
    ClosureList,
    ClosureRead,
    ClosureStatus,
    ClosureSummary,
    DiscrepancyList,
    DiscrepancyRead,
    ExecuteRequest,
    ReopenRequest,
    Severity,
)
from central.reports.export import FORMATS
from central.responses import errors

router = APIRouter(prefix="/api/reconciliation", tags=["conciliación"])
Runner = Annotated[Principal, Depends(require("reconciliation.run"))]
Reader = Annotated[Principal, Depends(require("report.read"))]
Reopener = Annotated[Principal, Depends(require("reconciliation.reopen"))]
ClosureId = Annotated[str, Path(max_length=36, description="id del cierre")]
Limit = Annotated[int, Query(ge=1, le=500, description="máximo de filas")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="filas a saltar")]
SedeQ = Annotated[str | None, Query(max_length=36, alias="sede", description="id de la sede")]
FromQ = Annotated[dt.date | None, Query(alias="from", description="desde (día de negocio)")]
ToQ = Annotated[dt.date | None, Query(alias="to", description="hasta (día de negocio)")]


@router.post(
    "/execute",
    response_model=ClosureRead,
    summary="Conciliar el día de una sede (idempotente)",
    responses=errors(404),
)
def execute(body: ExecuteRequest, request: Request, rt: RuntimeDep, user: Runner) -> ClosureRead:
    with unit_of_work(rt.engine) as session:
        closure = service.execute(
            session=session, clock=rt.clock, day=body.date, sede_ids=[body.sede_id],
            actor=user, ip=client_ip(request),
        )[0]  # fmt: skip
        found = service.closure_discrepancies(session=session, closure=closure)
        return ClosureRead.full(closure, found)


@router.get("/closures", response_model=ClosureList, summary="Cierres diarios", responses=errors())
def list_closures(
    rt: RuntimeDep,
    user: Reader,
    sede: SedeQ = None,
    status: Annotated[ClosureStatus | None, Query(description="estado")] = None,
    date_from: FromQ = None,
    date_to: ToQ = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ClosureList:
    with unit_of_work(rt.engine) as session:
        rows, total = service.list_closures(
            session=session, allowed=service.allowed_sedes(user), sede_id=sede, status=status,
            date_from=date_from, date_to=date_to, limit=limit, offset=offset,
        )  # fmt: skip
        return ClosureList(items=[ClosureSummary.of(c) for c in rows], total=total)


@router.get(
    "/closures/{id}",
    response_model=ClosureRead,
    summary="Un cierre con sus cifras, discrepancias y ajustes tardíos",
    responses=errors(404),
)
def get_closure(id: ClosureId, rt: RuntimeDep, user: Reader) -> ClosureRead:
    with unit_of_work(rt.engine) as session:
        closure = service.get_closure(
            session=session, closure_id=id, allowed=service.allowed_sedes(user)
        )
        return ClosureRead.full(
            closure, service.closure_discrepancies(session=session, closure=closure)
        )


@router.post(
    "/closures/{id}/reopen",
    response_model=ClosureRead,
    summary="Reabrir un cierre (motivo obligatorio, auditado)",
    responses=errors(404, 409),
)
def reopen(
    id: ClosureId, body: ReopenRequest, request: Request, rt: RuntimeDep, user: Reopener
) -> ClosureRead:
    with unit_of_work(rt.engine) as session:
        closure = service.reopen(
            session=session, clock=rt.clock, closure_id=id, reason=body.reason, actor=user,
            ip=client_ip(request),
        )  # fmt: skip
        return ClosureRead.full(
            closure, service.closure_discrepancies(session=session, closure=closure)
        )


@router.get(
    "/discrepancies",
    response_model=DiscrepancyList,
    summary="Discrepancias encontradas",
    responses=errors(),
)
def discrepancies(
    rt: RuntimeDep,
    user: Reader,
    sede: SedeQ = None,
    severity: Annotated[Severity | None, Query(description="gravedad")] = None,
    kind: Annotated[str | None, Query(max_length=40, description="tipo")] = None,
    date_from: FromQ = None,
    date_to: ToQ = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DiscrepancyList:
    with unit_of_work(rt.engine) as session:
        rows, total = service.search_discrepancies(
            session=session, allowed=service.allowed_sedes(user), sede_id=sede,
            severity=severity, kind=kind, date_from=date_from, date_to=date_to, limit=limit,
            offset=offset,
        )  # fmt: skip
        return DiscrepancyList(items=[DiscrepancyRead.of(d) for d in rows], total=total)


@router.get(
    "/closures/{id}/export",
    summary="Exportar un cierre (xlsx o PDF)",
    response_class=Response,
    responses={
        **errors(404),
        200: {"content": {m: {} for m in FORMATS.values()}, "description": "El archivo"},
    },
)
def export(
    id: ClosureId,
    rt: RuntimeDep,
    user: Reader,
    format: Annotated[Literal["xlsx", "pdf"], Query(description="formato")] = "xlsx",
) -> Response:
    with unit_of_work(rt.engine) as session:
        closure = service.get_closure(
            session=session, closure_id=id, allowed=service.allowed_sedes(user)
        )
        content, filename = exporting.closure_file(session=session, closure=closure, fmt=format)
    return Response(
        content,
        media_type=FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
