"""Samples of an order, sample taking and printable labels (PDF 50 × 25 mm or ZPL)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from edge.auth.tokens import Principal
from edge.db import read_session, unit_of_work
from edge.deps import RuntimeDep, client_ip, error_responses, require
from edge.samples import service as samples_service
from edge.samples.schemas import SampleList, SampleRead

router = APIRouter(tags=["muestras"])

OrderReader = Annotated[Principal, Depends(require("order.read"))]
SampleManager = Annotated[Principal, Depends(require("sample.manage"))]
OrderId = Annotated[str, Path(description="id de la orden", max_length=36)]


@router.get(
    "/api/orders/{order_id}/samples",
    response_model=SampleList,
    summary="Muestras (tubos) de una orden",
    responses=error_responses(404),
)
def list_samples(order_id: OrderId, rt: RuntimeDep, _user: OrderReader) -> SampleList:
    with read_session(rt.engine) as session:
        samples = samples_service.samples_of_order(session, order_id=order_id)
        return SampleList(order_id=order_id, items=[SampleRead.from_model(s) for s in samples])


@router.post(
    "/api/samples/{sample_id}/take",
    response_model=SampleRead,
    summary="Registrar la toma de una muestra",
    description="Cuando todas las muestras de la orden están tomadas, la orden pasa a "
    "«muestra tomada» (con su evento de estado). 409 `sample_already_taken`; 422 "
    "`order_cancelled`.",
    responses=error_responses(404, 409, 422),
)
def take_sample(
    sample_id: Annotated[str, Path(description="id de la muestra", max_length=36)],
    rt: RuntimeDep,
    user: SampleManager,
) -> SampleRead:
    with unit_of_work(rt.engine) as session:
        sample = samples_service.take(session, sample_id=sample_id, user=user, clock=rt.clock)
        return SampleRead.from_model(sample)


@router.get(
    "/api/orders/{order_id}/labels",
    response_class=Response,
    summary="Etiquetas de las muestras (PDF 50 × 25 mm o ZPL para Zebra)",
    description="La primera impresión es libre; una reimpresión exige `reason` y el permiso "
    "`label.reprint`, y queda auditada (422 `reprint_reason_required`). Toda impresión queda "
    "en el registro de accesos a datos personales.",
    responses={
        200: {
            "description": "Etiquetas listas para imprimir",
            "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "text/plain": {"schema": {"type": "string"}, "example": "^XA\n...\n^XZ\n"},
            },
        },
        **error_responses(404, 422),
    },
)
def print_labels(
    order_id: OrderId,
    request: Request,
    rt: RuntimeDep,
    user: SampleManager,
    format: Annotated[Literal["pdf", "zpl"], Query(description="pdf | zpl")] = "pdf",
    reason: Annotated[
        str | None, Query(max_length=300, description="motivo de reimpresión")
    ] = None,
    sample_id: Annotated[str | None, Query(max_length=36, description="solo esta muestra")] = None,
) -> Response:
    with unit_of_work(rt.engine) as session:
        out = samples_service.labels(
            session,
            order_id=order_id,
            user=user,
            clock=rt.clock,
            fmt=format,
            reason=reason,
            sample_id=sample_id,
            ip=client_ip(request),
        )
    return Response(
        content=out.content,
        media_type=out.media_type,
        headers={"Content-Disposition": f'inline; filename="{out.filename}"'},
    )
