"""``GET /api/sync/closures/{sede_id}/{day}``: whether the hub has closed a sede's business day.

Read-only, for the sede's own node (HTTP Basic with its node credentials, like every other
edge→hub sync call). The edge asks it right before reopening a sealed day, so that a day the hub
has already reconciled is refused even while the closure has not reached the edge through the
pull yet (``edge.cash.hub_check``). A day the hub never ran has no closure: ``status`` null,
``closed`` false.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic.config import JsonDict
from sqlmodel import Session, col, select

from central.db import unit_of_work
from central.reconciliation.models import (
    RECONCILED,
    STATUS_LABELS,
    WITH_DISCREPANCIES,
    Closure,
)
from central.responses import errors
from central.sync.deps import NodeDep, RuntimeDep
from domain.errors import Forbidden
from sync.protocol import DayClosureStatus

router = APIRouter(tags=["sincronización"])

CLOSED_STATUSES = (RECONCILED, WITH_DISCREPANCIES)

EXAMPLE_CLOSED: JsonDict = DayClosureStatus.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index,assignment]


def day_status(*, session: Session, sede_id: str, day: dt.date) -> DayClosureStatus:
    """The closure of ``day`` for ``sede_id`` (no closure: status null, not closed)."""
    closure = session.exec(
        select(Closure).where(col(Closure.sede_id) == sede_id, col(Closure.business_date) == day)
    ).first()
    if closure is None:
        return DayClosureStatus(
            sede_id=sede_id,
            business_date=day,
            status=None,
            status_label="sin cierre",
            closed=False,
        )
    return DayClosureStatus(
        sede_id=sede_id,
        business_date=day,
        status=closure.status,
        status_label=STATUS_LABELS.get(closure.status, closure.status),
        closed=closure.status in CLOSED_STATUSES,
        closed_at=closure.closed_at,
        reopen_count=closure.reopen_count,
    )


@router.get(
    "/api/sync/closures/{sede_id}/{day}",
    response_model=DayClosureStatus,
    summary="Estado del cierre de un día de la sede del nodo (antes de reabrirlo)",
    description="Solo lectura, con las credenciales del nodo. `closed` es verdadero cuando la "
    "central ya concilió el día (conciliado o con discrepancias). Un nodo solo consulta su "
    "propia sede (403 `sede_not_assigned`).",
    responses={
        200: {"content": {"application/json": {"example": EXAMPLE_CLOSED}}},
        **errors(),
    },
)
def closure_status(
    node: NodeDep,
    rt: RuntimeDep,
    sede_id: Annotated[str, Path(max_length=36, description="id de la sede")],
    day: Annotated[dt.date, Path(description="día de negocio AAAA-MM-DD")],
) -> DayClosureStatus:
    if sede_id != node.sede_id:
        raise Forbidden(
            "Este nodo no pertenece a esa sede.", code="sede_not_assigned", loc=["path", "sede_id"]
        )
    with unit_of_work(rt.engine) as session:
        return day_status(session=session, sede_id=sede_id, day=day)
