"""``/api/audit``: the audit log of critical actions, for supervisors and admins."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from edge.audit import service as audit_service
from edge.audit.schemas import AuditEventList, AuditEventRead
from edge.auth.tokens import Principal
from edge.db import read_session
from edge.deps import RuntimeDep, error_responses, require

router = APIRouter(prefix="/api/audit", tags=["auditoría"])


@router.get(
    "",
    response_model=AuditEventList,
    summary="Consultar la auditoría",
    description="Eventos de auditoría (quién, qué, qué registro, cuándo, desde qué IP), del "
    "más reciente al más antiguo, con filtros y paginación. Las fechas son fechas de negocio "
    "(America/Lima), ambas incluidas.",
    responses=error_responses(422),
)
def list_audit(
    rt: RuntimeDep,
    _user: Annotated[Principal, Depends(require("audit.read"))],
    action: Annotated[str | None, Query(max_length=40, description="p. ej. login_failed")] = None,
    user_id: Annotated[str | None, Query(max_length=36)] = None,
    record_type: Annotated[str | None, Query(max_length=40, description="p. ej. order")] = None,
    record_id: Annotated[str | None, Query(max_length=64)] = None,
    date_from: Annotated[dt.date | None, Query(description="Desde (AAAA-MM-DD)")] = None,
    date_to: Annotated[dt.date | None, Query(description="Hasta (AAAA-MM-DD)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditEventList:
    filters = audit_service.AuditFilter(
        action=action,
        user_id=user_id,
        record_type=record_type,
        record_id=record_id,
        date_from=date_from,
        date_to=date_to,
    )
    with read_session(rt.engine) as session:
        rows, total = audit_service.list_events(
            session=session, filters=filters, limit=limit, offset=offset
        )
        items = [AuditEventRead.from_model(r) for r in rows]
    return AuditEventList(items=items, total=total, limit=limit, offset=offset)
