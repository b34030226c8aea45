"""Samples of an order, sample taking, rejection with recollection ("retoma") and printable
labels (PDF 50 × 25 mm or ZPL)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from edge.auth.tokens import Principal
from edge.db import read_session, unit_of_work
from edge.deps import RuntimeDep, client_ip, error_responses, require
from edge.samples import rejection
from edge.samples import service as samples_service
from edge.samples.schemas import RejectIn, RejectionRead, SampleList, SampleRead

router = APIRouter(tags=["muestras"])

OrderReader = Annotated[Principal, Depends(require("order.read"))]
SampleManager = Annotated[Principal, Depends(require("sample.manage"))]
OrderId = Annotated[str, Path(description="id de la orden", max_length=36)]
SampleId = Annotated[str, Path(description="id de la muestra", max_length=36)]


@router.get(
    "/api/orders/{order_id}/samples",
    response_model=SampleList,
    summary="Muestras (tubos) de una orden",
    description="Cada tubo con su estado (pendiente, tomada, rechazada), el motivo del rechazo "
    "y el enlace entre una muestra rechazada y su retoma (`replaced_by_id` / `replaces_id`). "
    "`recollection_pending` indica una retoma aún por tomar («Retoma pendiente»).",
    responses=error_responses(404),
)
def list_samples(order_id: OrderId, rt: RuntimeDep, _user: OrderReader) -> SampleList:
    with read_session(rt.engine) as session:
        samples = samples_service.samples_of_order(session, order_id=order_id)
        return SampleList(
            order_id=order_id,
            recollection_pending=samples_service.recollection_pending(samples),
            items=[SampleRead.from_model(s) for s in samples],
        )


@router.post(
    "/api/samples/{sample_id}/take",
    response_model=SampleRead,
    summary="Registrar la toma de una muestra",
    description="Cuando todas las muestras de la orden están tomadas, la orden pasa a "
    "«muestra tomada» (con su evento de estado). Tomar una retoma avisa al laboratorio. 409 "
    "`sample_already_taken`, `sample_rejected`; 422 `order_cancelled`.",
    responses=error_responses(404, 409, 422),
)
def take_sample(
    sample_id: SampleId,
    rt: RuntimeDep,
    user: SampleManager,
) -> SampleRead:
    with unit_of_work(rt.engine) as session:
        sample = samples_service.take(session, sample_id=sample_id, user=user, clock=rt.clock)
        return SampleRead.from_model(sample)


@router.post(
    "/api/samples/{sample_id}/reject",
    response_model=RejectionRead,
    summary="Rechazar una muestra tomada y registrar su retoma",
    description="La muestra (ya tomada) queda «rechazada» con su motivo y se crea su retoma: "
    "misma orden, tipo de muestra, tubo y exámenes, con un código de barras nuevo, pendiente de "
    "toma. Sin cobro. Queda auditado (`sample.reject`) y, si la orden ya está en la cola del "
    "laboratorio, se le envía el cambio. La orden conserva su estado. 404 `sample_not_found`; "
    "409 `sample_not_taken`, `sample_already_rejected`, `order_cancelled`, `order_delivered`, "
    "`day_already_sealed`; 422 `note_required` (motivo «otra» sin observación).",
    responses=error_responses(404, 409, 422),
)
def reject_sample(
    sample_id: SampleId,
    body: RejectIn,
    request: Request,
    rt: RuntimeDep,
    user: SampleManager,
) -> RejectionRead:
    with unit_of_work(rt.engine) as session:
        done = rejection.reject(
            session,
            sample_id=sample_id,
            reason=body.reason,
            note=body.note,
            user=user,
            clock=rt.clock,
            ip=client_ip(request),
        )
        return RejectionRead(
            rejected=SampleRead.from_model(done.rejected),
            replacement=SampleRead.from_model(done.replacement),
        )


@router.get(
    "/api/orders/{order_id}/labels",
    response_class=Response,
    summary="Etiquetas de las muestras (PDF 50 × 25 mm o ZPL para Zebra)",
    description="La primera impresión es libre; una reimpresión exige `reason` y el permiso "
    "`label.reprint`, y queda auditada (422 `reprint_reason_required`). Los tubos rechazados no "
    "se imprimen salvo `include_rejected=true`; si algún tubo nunca se imprimió (una retoma), "
    "solo se imprimen esos, como primera impresión. Toda impresión queda en el registro de "
    "accesos a datos personales.",
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
    include_rejected: Annotated[
        bool, Query(description="imprimir también los tubos rechazados")
    ] = False,
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
            include_rejected=include_rejected,
        )
    return Response(
        content=out.content,
        media_type=out.media_type,
        headers={"Content-Disposition": f'inline; filename="{out.filename}"'},
    )
