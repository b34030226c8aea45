"""``GET /api/sync/status`` on the edge: backlog, last push and pull, lag, last error; the same
as Prometheus metrics at ``GET /api/sync/metrics``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from edge.auth.tokens import Principal
from edge.deps import RuntimeDep, require
from edge.openapi_examples import system as ex
from edge.sync import metrics, service

router = APIRouter(tags=["sincronización"])


class ParkedRecordRead(BaseModel):
    """A record pulled from the hub that this node could not apply (retried every pull)."""

    record_type: str
    record_id: str
    cursor: int
    error_code: str
    error: str
    attempts: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime


class RejectedRowRead(BaseModel):
    """An outbox row of this node the hub refused (parked there), with the hub's reason."""

    seq: int
    record_type: str
    record_id: str
    reason: str
    message: str
    rejected_at: dt.datetime


class SyncStatusRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SYNC_STATUS]})

    enrolled: bool
    node_id: str
    sede_id: str | None
    epoch: int
    hub_url: str | None
    backlog: int
    last_seq: int
    acked_seq: int
    oldest_unacked_at: dt.datetime | None
    lag_seconds: float
    pull_cursor: int
    hub_offset_ms: int
    last_push_at: dt.datetime | None
    last_pull_at: dt.datetime | None
    last_error: str | None
    last_error_code: str | None
    last_error_at: dt.datetime | None
    consecutive_failures: int
    blocked: str | None
    deferred: int
    digest_repairs: int
    last_digest_at: dt.datetime | None = Field(
        default=None,
        description="última comparación de las tablas réplica con la central (sumas de control)",
    )
    last_digest_result: Literal["ok", "repaired"] | None = Field(
        default=None,
        description="ok: todas coincidían; repaired: se volvieron a copiar de la central las "
        "tablas de last_digest_repaired; null: nunca comparadas",
    )
    last_digest_repaired: list[str] = Field(
        default_factory=list, description="tablas copiadas de nuevo en esa comparación"
    )
    fence_pending: bool
    use_contingency: bool
    parked: int = Field(
        default=0, description="registros de la central que este nodo no pudo aplicar"
    )
    parked_recent: list[ParkedRecordRead] = Field(default_factory=list)
    rejected: int = Field(default=0, description="registros de este nodo rechazados por la central")
    rejected_recent: list[RejectedRowRead] = Field(default_factory=list)
    warnings: list[str] = Field(
        default_factory=list,
        description="avisos para el técnico, p. ej. «3 registros rechazados por la central»",
    )


@router.get(
    "/api/sync/status",
    response_model=SyncStatusRead,
    summary="Estado de la sincronización con la central",
    responses={401: {"description": "Sin sesión"}, 403: {"description": "Sin permiso"}},
)
def sync_status(
    rt: RuntimeDep, user: Annotated[Principal, Depends(require("sync.status"))]
) -> SyncStatusRead:
    return SyncStatusRead(**service.status(rt.engine, rt.clock))


@router.get(
    "/api/sync/metrics",
    summary="Métricas Prometheus de la sincronización de este nodo",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Formato de exposición Prometheus"},
        401: {"description": "Sin sesión"},
        403: {"description": "Sin permiso"},
    },
)
def sync_metrics(
    rt: RuntimeDep, user: Annotated[Principal, Depends(require("sync.status"))]
) -> Response:
    return Response(metrics.render(rt.engine, rt.clock), media_type="text/plain; version=0.0.4")
