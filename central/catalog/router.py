"""``/api/catalog``: categories, services (tests and panels), prices and their history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel import Session

from central.auth.deps import RuntimeDep, require
from central.auth.tokens import Principal
from central.catalog import prices, service
from central.catalog.models import CatalogPrice, CatalogService
from central.catalog.schemas import (
    CategoryCreate,
    CategoryList,
    CategoryRead,
    CategoryUpdate,
    PriceHistory,
    PriceRead,
    ServiceCreate,
    ServiceList,
    ServiceRead,
    ServiceUpdate,
)
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
