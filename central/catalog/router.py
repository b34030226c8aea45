"""``/api/catalog``: categories, services (tests and panels), prices and their history, and the
scheduled prices an admin cancels before their date."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from sqlmodel import Session

from central.auth.deps import RuntimeDep, require
from central.auth.tokens import Principal
from central.catalog import prices, scheduled_prices, service, transfer, transfer_apply
from central.catalog.models import CatalogPrice, CatalogService
from central.catalog.schemas import (
    CategoryCreate,
    CategoryList,
    CategoryRead,
    CategoryUpdate,
    ImportApplied,
    ImportApply,
    ImportFile,
    ImportPreview,
    PriceHistory,
    PriceRead,
    ScheduledListCancel,
    ScheduledListCancelled,
    ScheduledListRead,
    ScheduledLists,
    ScheduledPriceCancel,
    ServiceCreate,
    ServiceList,
    ServiceRead,
    ServiceUpdate,
)
from central.catalog.transfer_http import decode_upload, import_answer
from central.db import unit_of_work
from central.responses import errors
from domain.money import from_cents

router = APIRouter(prefix="/api/catalog", tags=["catálogo"])
Reader = Annotated[Principal, Depends(require("catalog.read"))]
Manager = Annotated[Principal, Depends(require("catalog.manage"))]
ServiceId = Annotated[str, Path(max_length=36, description="id del examen o perfil")]
CategoryId = Annotated[str, Path(max_length=36, description="id de la categoría")]


def service_read(row: CatalogService, scheduled: CatalogPrice | None = None) -> ServiceRead:
    return ServiceRead(
        id=row.id,
        code=row.code,
        name=row.name,
        category_id=row.category_id,
        sample_type=row.sample_type,
        tube=row.tube,
        price=from_cents(row.price_cents),
        catalog_version=row.catalog_version,
        is_panel=row.is_panel,
        panel_service_ids=list(row.panel_service_ids),
        igv_affectation=row.igv_affectation,
        turnaround_hours=row.turnaround_hours,
        loinc=row.loinc,
        active=row.active,
        updated_at=row.updated_at,
        scheduled_price=from_cents(scheduled.price_cents) if scheduled else None,
        scheduled_from=scheduled.effective_from if scheduled else None,
    )


def price_read(row: CatalogPrice) -> PriceRead:
    return PriceRead(
        id=row.id,
        price=from_cents(row.price_cents),
        previous_price=from_cents(row.previous_cents) if row.previous_cents is not None else None,
        effective_from=row.effective_from,
        status=row.status,
        catalog_version=row.catalog_version,
        reason=row.reason,
        changed_by_username=row.changed_by_username,
        created_at=row.created_at,
        applied_at=row.applied_at,
        cancelled_at=row.cancelled_at,
        cancelled_by_username=row.cancelled_by_username,
    )


def _with_schedule(session: Session, row: CatalogService) -> ServiceRead:
    pending = prices.next_scheduled(session=session, service_ids=[row.id])
    return service_read(row, pending.get(row.id))


@router.get("/categories", response_model=CategoryList, summary="Categorías", responses=errors())
def list_categories(
    rt: RuntimeDep, _user: Reader, active: Annotated[bool | None, Query()] = None
) -> CategoryList:
    with unit_of_work(rt.engine) as session:
        rows = service.list_categories(session=session, active=active)
        return CategoryList(items=[CategoryRead.model_validate(r) for r in rows], total=len(rows))


@router.post(
    "/categories",
    response_model=CategoryRead,
    status_code=201,
    summary="Registrar una categoría",
    responses=errors(409),
)
def create_category(body: CategoryCreate, rt: RuntimeDep, user: Manager) -> CategoryRead:
    with unit_of_work(rt.engine) as session:
        row = service.create_category(session=session, clock=rt.clock, actor=user, data=body)
        return CategoryRead.model_validate(row)


@router.put(
    "/categories/{category_id}",
    response_model=CategoryRead,
    summary="Renombrar, desactivar o reactivar una categoría",
    description=(
        "El código no cambia. Un nombre ya usado por otra categoría (sin distinguir mayúsculas "
        "ni tildes) da 409 `category_name_taken`. Una categoría con exámenes o perfiles activos "
        "no se desactiva: 409 `category_has_active_services` con su número en `ctx`. El cambio "
        "llega a las sedes con la sincronización."
    ),
    responses=errors(404, 409),
)
def update_category(
    category_id: CategoryId, body: CategoryUpdate, rt: RuntimeDep, user: Manager
) -> CategoryRead:
    with unit_of_work(rt.engine) as session:
        row = service.update_category(
            session=session, clock=rt.clock, actor=user, category_id=category_id, data=body
        )
        return CategoryRead.model_validate(row)


@router.get(
    "/services",
    response_model=ServiceList,
    summary="Exámenes y perfiles (búsqueda sin tildes ni mayúsculas)",
    responses=errors(),
)
def list_services(
    rt: RuntimeDep,
    _user: Reader,
    q: Annotated[str | None, Query(max_length=100, description="código o nombre")] = None,
    category_id: Annotated[str | None, Query(max_length=36)] = None,
    is_panel: Annotated[bool | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ServiceList:
    with unit_of_work(rt.engine) as session:
        rows, total = service.list_services(
            session=session,
            q=q,
            category_id=category_id,
            is_panel=is_panel,
            active=active,
            limit=limit,
            offset=offset,
        )
        pending = prices.next_scheduled(session=session, service_ids=[r.id for r in rows])
        return ServiceList(items=[service_read(r, pending.get(r.id)) for r in rows], total=total)


@router.post(
    "/services",
    response_model=ServiceRead,
    status_code=201,
    summary="Registrar un examen o perfil",
    responses=errors(409),
)
def create_service(body: ServiceCreate, rt: RuntimeDep, user: Manager) -> ServiceRead:
    with unit_of_work(rt.engine) as session:
        row = service.create_service(session=session, clock=rt.clock, actor=user, data=body)
        return service_read(row)


@router.get(
    "/services/{service_id}",
    response_model=ServiceRead,
    summary="Un examen o perfil",
    responses=errors(404),
)
def get_service(service_id: ServiceId, rt: RuntimeDep, _user: Reader) -> ServiceRead:
    with unit_of_work(rt.engine) as session:
        return _with_schedule(session, service.get_service(session=session, service_id=service_id))


@router.put(
    "/services/{service_id}",
    response_model=ServiceRead,
    summary="Modificar un examen o perfil; un precio nuevo queda en el historial",
    responses=errors(404),
)
def update_service(
    service_id: ServiceId, body: ServiceUpdate, rt: RuntimeDep, user: Manager
) -> ServiceRead:
    with unit_of_work(rt.engine) as session:
        row = service.update_service(
            session=session, clock=rt.clock, actor=user, service_id=service_id, data=body
        )
        return _with_schedule(session, row)


@router.delete(
    "/services/{service_id}",
    response_model=ServiceRead,
    summary="Desactivar un examen o perfil",
    responses=errors(404),
)
def deactivate_service(service_id: ServiceId, rt: RuntimeDep, user: Manager) -> ServiceRead:
    with unit_of_work(rt.engine) as session:
        row = service.deactivate_service(
            session=session, clock=rt.clock, actor=user, service_id=service_id
        )
        return _with_schedule(session, row)


@router.get(
    "/services/{service_id}/price-history",
    response_model=PriceHistory,
    summary="Historial de precios (aplicados y programados)",
    responses=errors(404),
)
def price_history(service_id: ServiceId, rt: RuntimeDep, _user: Reader) -> PriceHistory:
    with unit_of_work(rt.engine) as session:
        rows = service.price_history(session=session, service_id=service_id)
        return PriceHistory(service_id=service_id, items=[price_read(r) for r in rows])


_CANCEL_ERRORS = (
    "Solo se cancela un precio programado: uno ya aplicado es parte del historial (409 "
    "`price_already_applied`; para corregirlo se registra un precio nuevo), uno ya cancelado da "
    "409 `price_already_cancelled` y una fecha sin precios programados 404 "
    "`scheduled_price_not_found`. El precio vigente no cambia y nada se envía a las sedes: "
    "solo el precio vigente se sincroniza."
)


@router.post(
    "/services/{service_id}/scheduled-price/cancel",
    response_model=ServiceRead,
    summary="Cancelar el precio programado de un examen o perfil",
    description=(
        "Cancela el precio programado desde `effective_from` (o, si se omite, el próximo) antes "
        "de que se aplique; queda en el historial como cancelado, con quién y cuándo, y se "
        "registra en la auditoría. Responde el examen (con su siguiente precio programado, si "
        "tiene otro). " + _CANCEL_ERRORS
    ),
    responses=errors(404, 409),
)
def cancel_scheduled_price(
    service_id: ServiceId, body: ScheduledPriceCancel, rt: RuntimeDep, user: Manager
) -> ServiceRead:
    with unit_of_work(rt.engine) as session:
        scheduled_prices.cancel_service_price(
            session=session,
            clock=rt.clock,
            actor=user,
            service_id=service_id,
            effective_from=body.effective_from,
        )
        return _with_schedule(session, service.get_service(session=session, service_id=service_id))


@router.get(
    "/scheduled-prices",
    response_model=ScheduledLists,
    summary="Listas de precios programados: cada fecha con precios pendientes y cuántos",
    responses=errors(),
)
def list_scheduled(rt: RuntimeDep, _user: Reader) -> ScheduledLists:
    with unit_of_work(rt.engine) as session:
        rows = scheduled_prices.pending_lists(session=session)
    items = [
        ScheduledListRead(effective_from=r.effective_from, services=r.services, reasons=r.reasons)
        for r in rows
    ]
    return ScheduledLists(items=items, total=len(items))


@router.post(
    "/scheduled-prices/cancel",
    response_model=ScheduledListCancelled,
    summary="Cancelar todos los precios programados de una fecha (una lista importada)",
    description=(
        "Cancela, en una sola operación, cada precio programado desde `effective_from` (por "
        "ejemplo, un archivo importado con «aplicar desde» una fecha equivocada) y responde "
        "cuántos. " + _CANCEL_ERRORS
    ),
    responses=errors(404, 409),
)
def cancel_scheduled_list(
    body: ScheduledListCancel, rt: RuntimeDep, user: Manager
) -> ScheduledListCancelled:
    with unit_of_work(rt.engine) as session:
        count = scheduled_prices.cancel_list(
            session=session, clock=rt.clock, actor=user, effective_from=body.effective_from
        )
    when = body.effective_from
    return ScheduledListCancelled(
        effective_from=when,
        cancelled=count,
        message=f"Lista del {when:%d/%m/%Y} cancelada: {count} precio(s) programado(s).",
    )


@router.get(
    "/export",
    response_class=Response,
    summary="Exportar el catálogo (xlsx o csv) para editarlo y volver a importarlo",
    description=(
        "Todos los exámenes y perfiles, una fila cada uno, con encabezados en español: código, "
        "nombre, tipo, categoría (código), muestra, tubo, LOINC, afectación IGV, horas de "
        "entrega, activo, precio vigente, precio programado y su fecha, y los exámenes de cada "
        "perfil (códigos). El csv va en UTF-8 con BOM, separado por comas; una celda que una "
        "hoja de cálculo tomaría por fórmula se escribe como texto."
    ),
    responses={
        200: {
            "description": "El archivo",
            "content": {transfer.FORMATS["xlsx"]: {}, "text/csv": {}},
        },
        **errors(),
    },
)
def export_catalog(
    rt: RuntimeDep,
    _user: Reader,
    format: Annotated[Literal["xlsx", "csv"], Query(description="xlsx o csv")] = "xlsx",
) -> Response:
    with unit_of_work(rt.engine) as session:
        out = transfer.export_catalog(session=session, clock=rt.clock, fmt=format)
    return Response(
        content=out.content,
        media_type=out.media_type,
        headers={"Content-Disposition": f'attachment; filename="{out.filename}"'},
    )


# 413: the body limit's own answer (sync.webapp.document_payload_limit); a decoded file over
# 1 MB is 413 import_file_too_large, said in each description
_IMPORT_ERRORS = errors()


@router.post(
    "/import/preview",
    response_model=ImportPreview,
    summary="Previsualizar la importación de un archivo del catálogo (no escribe nada)",
    description=(
        "El archivo exportado (xlsx o csv; `;` o `,`; UTF-8 con o sin BOM), editado, en base64. "
        "Responde qué haría cada fila (crear, cambiar datos, cambiar el precio, programarlo, "
        "desactivar) y las filas rechazadas con su número, columna y motivo (los 200 primeros "
        "de cada lista). Como máximo 1 MB (413) y 3000 filas (422 `import_too_many_rows`)."
    ),
    responses=_IMPORT_ERRORS,
)
def import_preview(body: ImportFile, rt: RuntimeDep, _user: Manager) -> ImportPreview:
    content = decode_upload(body.content_base64)
    with unit_of_work(rt.engine) as session:
        plan = transfer_apply.preview(
            session=session, clock=rt.clock, content=content, effective_from=body.effective_from
        )
        return import_answer(plan)


@router.post(
    "/import/apply",
    response_model=ImportApplied,
    summary="Aplicar la importación de un archivo del catálogo (todo o nada)",
    description=(
        "El mismo archivo de la previsualización, con el motivo de los cambios de precio y, si "
        "se indica, la fecha desde la que rigen. Un archivo con alguna fila rechazada no se "
        "aplica (422 `import_has_errors`); si no cambia nada responde `applied: false` («sin "
        "cambios»). Cada cambio pasa por los mismos servicios que la edición en la página: "
        "historial de precios, auditoría y sincronización con las sedes."
    ),
    responses=_IMPORT_ERRORS,
)
def import_apply(body: ImportApply, rt: RuntimeDep, user: Manager) -> ImportApplied:
    content = decode_upload(body.content_base64)
    with unit_of_work(rt.engine) as session:
        result = transfer_apply.apply_import(
            session=session,
            clock=rt.clock,
            actor=user,
            content=content,
            reason=body.reason,
            effective_from=body.effective_from,
            filename=body.filename,
        )
        preview = import_answer(result.plan)
    return ImportApplied(**preview.model_dump(), applied=result.applied, message=result.message)
