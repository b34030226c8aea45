"""``/api/sync/*`` on the hub: node registry, enrolment, push, pull, conflicts; ``/metrics``."""

from __future__ import annotations

import gzip
import time
import zlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import col, select

from central.db import unit_of_work
from central.openapi_examples import sync as ex
from central.sync import faults, metrics, nodes, pull, restore
from central.sync.deps import AdminDep, NodeDep, RuntimeDep, actor_name
from central.sync.models import Node, ParkedRow
from central.sync.schemas import (
    ConflictRead,
    ConflictResolve,
    NodeCreate,
    NodeCreated,
    NodeRead,
    NodeStatus,
    ParkedRead,
)
from central.sync.service import ingest
from domain.errors import Conflict, Forbidden, InvalidInput, LabError, Unauthorized
from sync.protocol import (
    MIN_PULL_SCHEMA,
    PULL_DISK_FREE_MB,
    PULL_DISK_LEVEL,
    PULL_PAGE_LIMIT,
    EnrollRequest,
    EnrollResponse,
    NodeDisk,
    PullPage,
    PushAck,
    PushBatch,
    ReimportPage,
    SeriesState,
    SnapshotPage,
    UpgradeRequired,
)
from sync.records import RECORD_TYPES

router = APIRouter(tags=["sincronización"])

MAX_BODY = 64 * 1024 * 1024
_Resp = dict[int | str, dict[str, Any]]
_E401: _Resp = {401: {"description": "Sin credenciales válidas"}}
_E403: _Resp = {403: {"description": "Sin permiso, o nodo revocado (`node_revoked`)"}}
_E404: _Resp = {404: {"description": "No encontrado"}}
_E409: _Resp = {409: {"description": "Época obsoleta (`stale_epoch`) o ya resuelto"}}
_E422: _Resp = {422: {"description": "Datos inválidos"}}
_ADMIN: _Resp = {**_E401, **_E403}
_NODE: _Resp = {**_E401, **_E403}


def _ok(example: Any) -> _Resp:
    """A 200 example for the wire models of ``sync.protocol`` (shared with the edge)."""
    return {200: {"content": {"application/json": {"example": example}}}}


async def _batch(request: Request) -> PushBatch:
    raw = await request.body()
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, MAX_BODY)
        except (zlib.error, gzip.BadGzipFile):
            raise InvalidInput("El cuerpo gzip está dañado.", code="body_invalid") from None
    try:
        return PushBatch.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(
            f"Lote inválido: {first['msg']}.",
            code="batch_invalid",
            loc=["body", *[str(p) for p in first["loc"]]],
        ) from None


_PUSH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": PushBatch.model_json_schema(),
                "example": PushBatch.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
            }
        },
        "description": "Lote de filas del outbox (JSON, opcionalmente `Content-Encoding: gzip`)",
    }
}


@router.post(
    "/api/sync/push",
    response_model=PushAck,
    summary="Recibir un lote del outbox de un nodo",
    responses={**_ok(ex.PUSH_ACK), **_NODE, **_E409, **_E422},
    openapi_extra=_PUSH_BODY,
)
def push(node: NodeDep, rt: RuntimeDep, batch: Annotated[PushBatch, Depends(_batch)]) -> PushAck:
    started = time.perf_counter()
    early: PushAck | None = None
    try:
        with unit_of_work(rt.engine) as session:
            live = session.get(Node, node.id, with_for_update=True)
            if live is None or live.revoked:
                raise Forbidden("El nodo fue revocado.", code="node_revoked")
            ack = ingest(session=session, node=live, batch=batch, clock=rt.clock)
            if faults.is_planted("ack_before_commit"):
                early = ack
            faults.point("hub.before_commit")
    except faults.InjectedCrash:
        if early is not None:
            return early
        raise
    except LabError as exc:
        metrics.PUSHES.labels(result=exc.code).inc()
        raise
    faults.point("hub.after_commit")
    metrics.PUSHES.labels(result="gap" if ack.gap else "ok").inc()
    metrics.ROWS.labels(outcome="parked").inc(len(ack.parked))
    metrics.ROWS.labels(outcome="applied").inc(max(0, len(batch.rows) - len(ack.parked)))
    metrics.PUSH_SECONDS.observe(time.perf_counter() - started)
    return ack


@router.get(
    "/api/sync/pull",
    response_model=PullPage,
    summary="Cambios de la central desde un cursor",
    responses={
        **_ok(ex.PULL_PAGE),
        **_NODE,
        426: {"description": "Esquema demasiado antiguo (`upgrade_required`)"},
    },
)
def pull_changes(
    node: NodeDep,
    rt: RuntimeDep,
    cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = PULL_PAGE_LIMIT,
    schema: Annotated[int, Query(ge=1)] = MIN_PULL_SCHEMA,
    digests: bool = True,
    disk_level: Annotated[
        str | None,
        Query(
            alias=PULL_DISK_LEVEL,
            description="disco del nodo: ok | bajo | lleno (opcional; un valor ilegible se "
            "ignora, nunca rechaza la página)",
            examples=["bajo"],
        ),
    ] = None,
    disk_free_mb: Annotated[
        str | None,
        Query(
            alias=PULL_DISK_FREE_MB,
            description="MB libres del directorio de datos del nodo (opcional, con disk_level)",
            examples=["150"],
        ),
    ] = None,
) -> PullPage:
    if schema < MIN_PULL_SCHEMA:
        raise UpgradeRequired(
            f"Este nodo usa el esquema {schema}; la central requiere al menos el "
            f"{MIN_PULL_SCHEMA}. Actualice labred en la sede (sus envíos se siguen aceptando).",
            loc=["query", "schema"],
        )
    with unit_of_work(rt.engine) as session:
        live = session.get(Node, node.id)
        assert live is not None
        page = pull.pull(
            session=session,
            node=live,
            cursor=cursor,
            limit=limit,
            want_digests=digests,
            clock=rt.clock,
            disk=NodeDisk.from_params(disk_level, disk_free_mb),
        )
        faults.point("hub.mid_pull")  # test-only: a real hub stops here to be killed -9
    metrics.PULLS.labels(kind="reset" if page.reset else "page").inc()
    return page


@router.get(
    "/api/sync/snapshot",
    response_model=SnapshotPage,
    summary="Imagen completa de un tipo de registro de la central",
    responses={**_ok(ex.SNAPSHOT_PAGE), **_NODE, **_E422},
)
def snapshot(
    node: NodeDep,
    rt: RuntimeDep,
    record_type: str,
    schema: Annotated[int, Query(ge=1)] = MIN_PULL_SCHEMA,
) -> SnapshotPage:
    if schema < MIN_PULL_SCHEMA:
        raise UpgradeRequired("Actualice labred en la sede.", loc=["query", "schema"])
    if record_type not in RECORD_TYPES:
        raise InvalidInput(
            "Tipo de registro desconocido.",
            code="record_type_unknown",
            loc=["query", "record_type"],
        )
    with unit_of_work(rt.engine) as session:
        metrics.PULLS.labels(kind="snapshot").inc()
        return pull.snapshot(session=session, node=node, record_type=record_type)


@router.get(
    "/api/sync/series-state",
    response_model=SeriesState,
    summary="Último correlativo por serie de la sede del nodo (tras una restauración)",
    responses={**_ok(ex.SERIES_STATE), **_NODE},
)
def series_state(node: NodeDep, rt: RuntimeDep) -> SeriesState:
    with unit_of_work(rt.engine) as session:
        return SeriesState(
            sede_id=node.sede_id, series=nodes.series_state(session=session, sede_id=node.sede_id)
        )


@router.post(
    "/api/sync/enroll",
    response_model=EnrollResponse,
    summary="Canjear un código de enrolamiento por las credenciales del nodo",
    responses={**_ok(ex.ENROLL_RESPONSE), **_E401, **_E403, **_E422},
)
def enroll(body: EnrollRequest, rt: RuntimeDep) -> EnrollResponse:
    with unit_of_work(rt.engine) as session:
        node, secret = nodes.enroll(
            session=session, code=body.code, acked_seq=body.acked_seq, clock=rt.clock
        )
        return EnrollResponse(
            node_id=node.id,
            secret=secret,
            sede_id=node.sede_id,
            epoch=node.epoch,
            hub_time=rt.clock.now().isoformat(),
            resume_seq=nodes.inbox_mark(session=session, node=node),
        )


@router.get(
    "/api/sync/reimport",
    response_model=ReimportPage,
    summary="Registros propios que la central tiene más allá del punto restaurado del nodo",
    responses={**_ok(ex.REIMPORT_PAGE), **_NODE, **_E422},
)
def reimport(
    node: NodeDep,
    rt: RuntimeDep,
    after_seq: Annotated[int, Query(ge=0, le=2**62)],
    upto: Annotated[int, Query(ge=0, le=2**62)],
    limit: Annotated[int, Query(ge=1, le=5000)] = restore.REIMPORT_PAGE_LIMIT,
) -> ReimportPage:
    with unit_of_work(rt.engine) as session:
        return restore.reimport_page(
            session=session, node=node, after_seq=after_seq, upto=upto, limit=limit
        )


@router.post(
    "/api/sync/nodes",
    response_model=NodeCreated,
    status_code=201,
    summary="Registrar el nodo de una sede (o re-enrolarlo) y obtener su código de un solo uso",
    responses={**_ADMIN, **_E422},
)
def create_node(body: NodeCreate, rt: RuntimeDep, admin: AdminDep) -> NodeCreated:
    with unit_of_work(rt.engine) as session:
        node, code = nodes.create_node(
            session=session,
            sede_id=body.sede_id,
            name=body.name or f"Nodo {body.sede_id[:8]}",
            clock=rt.clock,
        )
        assert node.enrol_expires_at is not None
        return NodeCreated(
            node_id=node.id,
            sede_id=node.sede_id,
            name=node.name,
            epoch=node.epoch,
            enrolment_code=code,
            expires_at=node.enrol_expires_at,
        )


@router.get(
    "/api/sync/nodes", response_model=list[NodeRead], summary="Nodos registrados", responses=_ADMIN
)
def list_nodes(rt: RuntimeDep, admin: AdminDep) -> list[NodeRead]:
    with unit_of_work(rt.engine) as session:
        return [NodeRead.model_validate(n) for n in nodes.list_nodes(session=session)]


@router.post(
    "/api/sync/nodes/{node_id}/revoke",
    response_model=NodeRead,
    summary="Revocar un nodo",
    responses={**_ADMIN, **_E404},
)
def revoke_node(node_id: str, rt: RuntimeDep, admin: AdminDep) -> NodeRead:
    with unit_of_work(rt.engine) as session:
        return NodeRead.model_validate(
            nodes.revoke(session=session, node_id=node_id, clock=rt.clock)
        )


@router.get(
    "/api/sync/nodes/{node_id}/status",
    response_model=NodeStatus,
    summary="Estado de sincronización de un nodo",
    responses={**_ADMIN, **_E404},
)
def node_status(node_id: str, rt: RuntimeDep, admin: AdminDep) -> NodeStatus:
    with unit_of_work(rt.engine) as session:
        return NodeStatus(**nodes.node_status(session=session, node_id=node_id, clock=rt.clock))


@router.get(
    "/api/sync/conflicts",
    response_model=list[ConflictRead],
    summary="Conflictos de sincronización",
    responses=_ADMIN,
)
def list_conflicts(
    rt: RuntimeDep,
    admin: AdminDep,
    status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ConflictRead]:
    with unit_of_work(rt.engine) as session:
        return [
            ConflictRead.model_validate(c)
            for c in nodes.list_conflicts(session=session, status=status, limit=limit)
        ]


@router.post(
    "/api/sync/conflicts/{conflict_id}/resolve",
    response_model=ConflictRead,
    summary="Resolver un conflicto eligiendo una versión",
    responses={**_ADMIN, **_E404, **_E409, **_E422},
)
def resolve_conflict(
    conflict_id: str, body: ConflictResolve, rt: RuntimeDep, admin: AdminDep
) -> ConflictRead:
    with unit_of_work(rt.engine) as session:
        conflict = nodes.resolve_conflict(
            session=session,
            conflict_id=conflict_id,
            choice=body.choice,
            by=actor_name(admin),
            clock=rt.clock,
        )
        return ConflictRead.model_validate(conflict)


@router.get(
    "/api/sync/parked",
    response_model=list[ParkedRead],
    summary="Filas recibidas que la central no pudo aceptar",
    responses=_ADMIN,
)
def list_parked(
    rt: RuntimeDep, admin: AdminDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[ParkedRead]:
    with unit_of_work(rt.engine) as session:
        rows = session.exec(
            select(ParkedRow).order_by(col(ParkedRow.parked_at).desc()).limit(limit)
        )
        return [ParkedRead.model_validate(r) for r in rows]


@router.get(
    "/metrics",
    summary="Métricas Prometheus de sincronización",
    tags=["sistema"],
    response_class=Response,
    responses={
        200: {
            "description": "Métricas en formato de texto de Prometheus",
            "content": {"text/plain": {"schema": {"type": "string"}, "example": ex.METRICS_TEXT}},
        },
        **_ADMIN,
    },
)
def prometheus_metrics(rt: RuntimeDep, admin: AdminDep) -> Response:
    return Response(metrics.render(rt.engine, rt.clock), media_type="text/plain; version=0.0.4")


__all__ = ["Conflict", "Unauthorized", "router"]
