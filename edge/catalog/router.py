"""Catalog endpoints: read-only at the edge (the hub owns the catalog)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from edge.auth.tokens import Principal
from edge.catalog import service as catalog_service
from edge.catalog.schemas import (
    CategoryRead,
    ConvenioRead,
    ServiceList,
    ServiceRead,
)
from edge.db import read_session
from edge.deps import RuntimeDep, require

router = APIRouter(prefix="/api/catalog", tags=["catálogo"])

Reader = Annotated[Principal, Depends(require("catalog.read"))]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sin sesión o token vencido"},
    403: {"description": "Sin permiso `catalog.read` o sede no asignada"},
    422: {"description": "Parámetros inválidos"},
}


def _page(
    rt: RuntimeDep, *, active_only: bool, category_id: str | None, limit: int, offset: int
) -> ServiceList:
    with read_session(rt.engine) as session:
        services, total = catalog_service.list_services(
            session=session,
            active_only=active_only,
            category_id=category_id,
            limit=limit,
            offset=offset,
        )
        categories = catalog_service.categories_by_id(session=session)
        members = catalog_service.panel_members(session=session, services=services)
        return ServiceList(
            items=[
                ServiceRead.from_model(s, categories=categories, members=members) for s in services
            ],
            total=total,
            limit=limit,
            offset=offset,
        )


@router.get(
    "/services",
    response_model=ServiceList,
    summary="Exámenes y perfiles del catálogo (activos e inactivos)",
    responses=_ERRORS,
)
def list_services(
    rt: RuntimeDep,
    _user: Reader,
    category_id: Annotated[str | None, Query(description="filtrar por categoría")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ServiceList:
    return _page(rt, active_only=False, category_id=category_id, limit=limit, offset=offset)


@router.get(
    "/services/active",
    response_model=ServiceList,
    summary="Exámenes y perfiles que se pueden vender",
    responses=_ERRORS,
)
def list_active_services(
    rt: RuntimeDep,
    _user: Reader,
    category_id: Annotated[str | None, Query(description="filtrar por categoría")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ServiceList:
    return _page(rt, active_only=True, category_id=category_id, limit=limit, offset=offset)


@router.get(
    "/services/search",
    response_model=list[ServiceRead],
    summary="Buscar exámenes por código o nombre (sin distinguir tildes ni mayúsculas)",
    responses=_ERRORS,
)
def search_services(
    rt: RuntimeDep,
    _user: Reader,
    q: Annotated[str, Query(min_length=1, max_length=80, description="código o nombre")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ServiceRead]:
    with read_session(rt.engine) as session:
        found = catalog_service.search_services(session=session, q=q, limit=limit)
        categories = catalog_service.categories_by_id(session=session)
        members = catalog_service.panel_members(session=session, services=found)
        return [ServiceRead.from_model(s, categories=categories, members=members) for s in found]


@router.get(
    "/services/{service_id}",
    response_model=ServiceRead,
    summary="Un examen o perfil",
    responses={**_ERRORS, 404: {"description": "No existe en el catálogo"}},
)
def get_service(rt: RuntimeDep, _user: Reader, service_id: str) -> ServiceRead:
    with read_session(rt.engine) as session:
        found = catalog_service.get_service(session=session, service_id=service_id)
        categories = catalog_service.categories_by_id(session=session)
        members = catalog_service.panel_members(session=session, services=[found])
        return ServiceRead.from_model(found, categories=categories, members=members)


@router.get(
    "/categories",
    response_model=list[CategoryRead],
    summary="Categorías del catálogo",
    responses=_ERRORS,
)
def list_categories(rt: RuntimeDep, _user: Reader) -> list[CategoryRead]:
    with read_session(rt.engine) as session:
        return [
            CategoryRead.from_model(c) for c in catalog_service.list_categories(session=session)
        ]


@router.get(
    "/convenios",
    response_model=list[ConvenioRead],
    summary="Convenios vigentes (aseguradoras y empresas)",
    responses=_ERRORS,
)
def list_convenios(rt: RuntimeDep, _user: Reader) -> list[ConvenioRead]:
    with read_session(rt.engine) as session:
        return [ConvenioRead.from_model(c) for c in catalog_service.list_convenios(session=session)]
