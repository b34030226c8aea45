"""``/api/convenios``: companies and insurers with agreed prices or coverage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from central.auth.deps import RuntimeDep, require
from central.auth.tokens import Principal
from central.convenios import service
from central.convenios.models import Convenio
from central.convenios.schemas import ConvenioCreate, ConvenioList, ConvenioRead, ConvenioUpdate
from central.db import unit_of_work
from central.responses import errors
from domain.money import from_cents

router = APIRouter(prefix="/api/convenios", tags=["convenios"])
Reader = Annotated[Principal, Depends(require("catalog.read"))]
Manager = Annotated[Principal, Depends(require("catalog.manage"))]
ConvenioId = Annotated[str, Path(max_length=36, description="id del convenio")]


def convenio_read(row: Convenio) -> ConvenioRead:
    return ConvenioRead(
        id=row.id,
        ruc=row.ruc,
        name=row.name,
        coverage_pct=row.coverage_pct,
        prices={k: from_cents(v) for k, v in row.prices_cents.items()},
        credit_days=row.credit_days,
        contact=row.contact,
        active=row.active,
        updated_at=row.updated_at,
    )


@router.get("", response_model=ConvenioList, summary="Convenios", responses=errors())
def list_convenios(
    rt: RuntimeDep, _user: Reader, active: Annotated[bool | None, Query()] = None
) -> ConvenioList:
    with unit_of_work(rt.engine) as session:
        rows = service.list_convenios(session=session, active=active)
        return ConvenioList(items=[convenio_read(r) for r in rows], total=len(rows))


@router.post(
    "",
    response_model=ConvenioRead,
    status_code=201,
    summary="Registrar un convenio",
    responses=errors(409),
)
def create_convenio(body: ConvenioCreate, rt: RuntimeDep, user: Manager) -> ConvenioRead:
    with unit_of_work(rt.engine) as session:
        row = service.create_convenio(session=session, clock=rt.clock, actor=user, data=body)
        return convenio_read(row)


@router.get(
    "/{convenio_id}", response_model=ConvenioRead, summary="Un convenio", responses=errors(404)
)
def get_convenio(convenio_id: ConvenioId, rt: RuntimeDep, _user: Reader) -> ConvenioRead:
    with unit_of_work(rt.engine) as session:
        return convenio_read(service.get_convenio(session=session, convenio_id=convenio_id))


@router.put(
    "/{convenio_id}",
    response_model=ConvenioRead,
    summary="Modificar un convenio (tarifario, cobertura, crédito, contacto, activo)",
    responses=errors(404),
)
def update_convenio(
    convenio_id: ConvenioId, body: ConvenioUpdate, rt: RuntimeDep, user: Manager
) -> ConvenioRead:
    with unit_of_work(rt.engine) as session:
        row = service.update_convenio(
            session=session, clock=rt.clock, actor=user, convenio_id=convenio_id, data=body
        )
        return convenio_read(row)
