"""``GET /api/audit``: the hub's audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from central.audit import service
from central.audit.schemas import AuditActions, AuditEventList, AuditEventRead
from central.auth.deps import RuntimeDep, require
from central.auth.tokens import Principal
from central.db import unit_of_work
from central.responses import errors

router = APIRouter(prefix="/api/audit", tags=["auditoría"])
Auditor = Annotated[Principal, Depends(require("audit.read"))]


@router.get(
    "",
    response_model=AuditEventList,
    summary="Eventos de auditoría de la central (más recientes primero)",
    description=(
        "Un administrador ve todos los eventos; un supervisor, solo los de sus sedes (nunca "
        "los de toda la cadena: inicios de sesión, usuarios, catálogo, convenios, pacientes). "
        "`sede_id` filtra por una sede; un supervisor solo puede pedir una de las suyas (403 "
        "`sede_not_assigned`)."
    ),
    responses=errors(403),
)
def list_events(
    rt: RuntimeDep,
    user: Auditor,
    sede_id: Annotated[str | None, Query(max_length=36, description="solo esta sede")] = None,
    action: Annotated[str | None, Query(max_length=40, description="p. ej. user.create")] = None,
    user_id: Annotated[str | None, Query(max_length=36)] = None,
    record_type: Annotated[str | None, Query(max_length=40)] = None,
    record_id: Annotated[str | None, Query(max_length=64)] = None,
    username: Annotated[
        str | None, Query(max_length=60, description="usuario (sin distinguir mayúsculas)")
    ] = None,
    since: Annotated[dt.date | None, Query(alias="from", description="AAAA-MM-DD (Lima)")] = None,
    until: Annotated[dt.date | None, Query(alias="to", description="AAAA-MM-DD, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AuditEventList:
    service.check_sede_filter(user, sede_id)
    with unit_of_work(rt.engine) as session:
        rows, total = service.search(
            session=session,
            scope=service.visible_sedes(user),
            sede_id=sede_id,
            action=action,
            user_id=user_id,
            record_type=record_type,
            record_id=record_id,
            username=username,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        return AuditEventList(items=[AuditEventRead.model_validate(r) for r in rows], total=total)


@router.get(
    "/actions",
    response_model=AuditActions,
    summary="Acciones registradas en la auditoría que el usuario puede ver (para filtrar)",
    responses=errors(),
)
def list_actions(rt: RuntimeDep, user: Auditor) -> AuditActions:
    with unit_of_work(rt.engine) as session:
        return AuditActions(
            items=service.actions(session=session, scope=service.visible_sedes(user))
        )
