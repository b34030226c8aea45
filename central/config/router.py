"""``/api/config``: company, sedes (locations), settings and their history."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from central.auth.deps import RuntimeDep, client_ip, require
from central.auth.tokens import Principal
from central.config import service, settings
from central.config.changes import CONFIG_ENTITIES, Actor, history
from central.config.models import Company, CompanySecret, Sede
from central.config.schemas import (
    CompanyRead,
    CompanyUpdate,
    ConfigChangeList,
    ConfigChangeRead,
    SedeCreate,
    SedeList,
    SedeRead,
    SedeUpdate,
    SettingsRead,
    SettingsUpdate,
)
from central.db import unit_of_work
from central.responses import errors
from domain.money import from_cents

router = APIRouter(prefix="/api/config", tags=["configuración"])
Manager = Annotated[Principal, Depends(require("config.manage"))]
SedeId = Annotated[str, Path(max_length=36, description="id de la sede")]


def company_read(company: Company, secret: CompanySecret | None) -> CompanyRead:
    return CompanyRead(
        id=company.id,
        ruc=company.ruc,
        razon_social=company.razon_social,
        nombre_comercial=company.nombre_comercial,
        address=company.address,
        ubigeo=company.ubigeo,
        sunat_credentials_configured=bool(secret and secret.sol_user and secret.sol_password),
        certificate_configured=bool(secret and secret.certificate_ref),
        updated_at=company.updated_at,
    )


def sede_read(sede: Sede) -> SedeRead:
    return SedeRead(
        id=sede.id,
        code=sede.code,
        name=sede.name,
        address=sede.address,
        ubigeo=sede.ubigeo,
        establishment_code=sede.establishment_code,
        series=dict(sede.series),
        cash_threshold=from_cents(sede.cash_threshold_cents),
        cash_difference_threshold=from_cents(sede.cash_difference_threshold_cents),
        timezone=sede.timezone,
        active=sede.active,
        updated_at=sede.updated_at,
    )


@router.get(
    "/company",
    response_model=CompanyRead,
    summary="Datos de la empresa (sin credenciales)",
    responses=errors(404),
)
def get_company(rt: RuntimeDep, _user: Manager) -> CompanyRead:
    with unit_of_work(rt.engine) as session:
        company = service.get_company(session=session)
        secret = service.company_secret(session=session, company_id=company.id)
        return company_read(company, secret)


@router.put(
    "/company",
    response_model=CompanyRead,
    summary="Modificar la empresa y sus credenciales SUNAT (no se devuelven)",
    responses=errors(),
)
def put_company(
    body: CompanyUpdate, request: Request, rt: RuntimeDep, user: Manager
) -> CompanyRead:
    with unit_of_work(rt.engine) as session:
        company, secret = service.update_company(
            session=session,
            clock=rt.clock,
            actor=Actor(user, client_ip(request)),
            data=body,
        )
        return company_read(company, secret)


@router.get("/locations", response_model=SedeList, summary="Sedes de la cadena", responses=errors())
def list_locations(
    rt: RuntimeDep,
    _user: Manager,
    active: Annotated[bool | None, Query(description="solo activas / inactivas")] = None,
) -> SedeList:
    with unit_of_work(rt.engine) as session:
        sedes = service.list_sedes(session=session, active=active)
        return SedeList(items=[sede_read(s) for s in sedes], total=len(sedes))


@router.post(
    "/locations",
    response_model=SedeRead,
    status_code=201,
    summary="Registrar una sede",
    responses=errors(409),
)
def create_location(body: SedeCreate, request: Request, rt: RuntimeDep, user: Manager) -> SedeRead:
    with unit_of_work(rt.engine) as session:
        sede = service.create_sede(
            session=session,
            clock=rt.clock,
            actor=Actor(user, client_ip(request)),
            data=body,
        )
        return sede_read(sede)


@router.get(
    "/locations/{sede_id}", response_model=SedeRead, summary="Una sede", responses=errors(404)
)
def get_location(sede_id: SedeId, rt: RuntimeDep, _user: Manager) -> SedeRead:
    with unit_of_work(rt.engine) as session:
        return sede_read(service.get_sede(session=session, sede_id=sede_id))


@router.put(
    "/locations/{sede_id}",
    response_model=SedeRead,
    summary="Modificar una sede (series, umbrales de caja, activa)",
    responses=errors(404, 409),
)
def put_location(
    sede_id: SedeId, body: SedeUpdate, request: Request, rt: RuntimeDep, user: Manager
) -> SedeRead:
    with unit_of_work(rt.engine) as session:
        sede = service.update_sede(
            session=session,
            clock=rt.clock,
            actor=Actor(user, client_ip(request)),
            sede_id=sede_id,
            data=body,
        )
        return sede_read(sede)


@router.get(
    "/settings", response_model=SettingsRead, summary="Parámetros de la cadena", responses=errors()
)
def get_settings(rt: RuntimeDep, _user: Manager) -> SettingsRead:
    with unit_of_work(rt.engine) as session:
        return SettingsRead(**settings.current_settings(session=session))


@router.put(
    "/settings",
    response_model=SettingsRead,
    summary="Modificar parámetros (queda el historial)",
    responses=errors(),
)
def put_settings(
    body: SettingsUpdate, request: Request, rt: RuntimeDep, user: Manager
) -> SettingsRead:
    with unit_of_work(rt.engine) as session:
        values = settings.update_settings(
            session=session,
            clock=rt.clock,
            actor=Actor(user, client_ip(request)),
            data=body,
        )
        return SettingsRead(**values)


@router.get(
    "/history",
    response_model=ConfigChangeList,
    summary="Historial de cambios de empresa, sedes y parámetros",
    responses=errors(),
)
def get_history(
    rt: RuntimeDep,
    _user: Manager,
    entity: Annotated[Literal["company", "sede", "setting"] | None, Query()] = None,
    entity_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ConfigChangeList:
    with unit_of_work(rt.engine) as session:
        rows, total = history(
            session=session,
            entities=CONFIG_ENTITIES,
            entity=entity,
            entity_id=entity_id,
            limit=limit,
            offset=offset,
        )
        return ConfigChangeList(
            items=[ConfigChangeRead.model_validate(r) for r in rows], total=total
        )
