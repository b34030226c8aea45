"""``/api/closures``: the hub's reconciliation of this sede's days (supervisors, read-only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from domain.clock import business_date
from domain.errors import NotFound
from domain.permissions import check_sede
from edge.auth.tokens import Principal
from edge.closures import service
from edge.closures.schemas import ClosureList, ClosureRead
from edge.db import read_session
from edge.deps import RuntimeDep, error_responses, require

router = APIRouter(prefix="/api/closures", tags=["conciliación"])
Reader = Annotated[Principal, Depends(require("report.read"))]
DEFAULT_DAYS = 30


@router.get(
    "",
    response_model=ClosureList,
    summary="Cierres de la central para los días de esta sede",
    description="Cómo concilió la central cada día de la sede (estado, discrepancias y "
    "reapertura). Por omisión, los últimos 30 días.",
    responses=error_responses(404, 422),
)
def list_closures(
    rt: RuntimeDep,
    user: Reader,
    desde: Annotated[dt.date | None, Query(description="desde (día de negocio AAAA-MM-DD)")] = None,
    hasta: Annotated[dt.date | None, Query(description="hasta (día de negocio AAAA-MM-DD)")] = None,
) -> ClosureList:
    sede_id = rt.sede_id
    if sede_id is None:
        raise NotFound("Este nodo aún no tiene sede (labred edge init).", code="sede_not_found")
    check_sede(user.role, list(user.sede_ids), sede_id)
    date_to = hasta or business_date(rt.clock.now())
    date_from = desde or date_to - dt.timedelta(days=DEFAULT_DAYS)
    with read_session(rt.engine) as session:
        rows = service.list_closures(session, sede_id=sede_id, date_from=date_from, date_to=date_to)
        return ClosureList(items=[ClosureRead.of(c) for c in rows], total=len(rows))
