"""``/api/lab``: laboratory systems, their test-code maps, the check that every active test is
mapped, the laboratory system of each sede, and the history of changes. Tokens never leave."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from central.auth.deps import RuntimeDep, client_ip, require
from central.auth.tokens import Principal
from central.config.changes import Actor, history
from central.db import unit_of_work
from central.lab import sedes, service
from central.lab.models import LabSystem
from central.lab.schemas import (
    CodeMapItemRead,
    CodeMapPut,
    CodeMapRead,
    LabChangeList,
    LabChangeRead,
    LabSystemCreate,
    LabSystemList,
    LabSystemRead,
    LabSystemUpdate,
    MappingCheck,
    SedeLabList,
    SedeLabPut,
    SedeLabRead,
    UnmappedTest,
)
from central.responses import errors

router = APIRouter(prefix="/api/lab", tags=["laboratorio"])
Manager = Annotated[Principal, Depends(require("lab.manage"))]
LabId = Annotated[str, Path(max_length=36, description="id del sistema de laboratorio")]
SedeId = Annotated[str, Path(max_length=36, description="id de la sede")]


def system_read(lab: LabSystem) -> LabSystemRead:
    return LabSystemRead(
        id=lab.id,
        code=lab.code,
        name=lab.name,
        protocol=lab.protocol,  # type: ignore[arg-type]
        message_type=lab.message_type,  # type: ignore[arg-type]
        hl7_version=lab.hl7_version,
        url=lab.url,
        host=lab.host,
        port=lab.port,
        folder=lab.folder,
        file_format=lab.file_format,  # type: ignore[arg-type]
        token_set=bool(lab.token),
        results_token_set=bool(lab.results_token),
        timeout_seconds=lab.timeout_seconds,
        sede_ids=list(lab.sede_ids or []),
        active=lab.active,
        updated_at=lab.updated_at,
    )


def map_read(lab_system_id: str, rows: list[service.MappedTest]) -> CodeMapRead:
    items = [
        CodeMapItemRead(
            id=m.row.id,
            service_id=m.row.service_id,
            service_code=m.service.code if m.service else "",
            service_name=m.service.name if m.service else "",
            code=m.row.code,
            loinc=m.row.loinc,
            name=m.row.name,
            sample_type=m.row.sample_type,
            updated_at=m.row.updated_at,
        )
        for m in rows
    ]
    return CodeMapRead(lab_system_id=lab_system_id, items=items, total=len(items))


def sede_read(row: sedes.SedeLab) -> SedeLabRead:
    listener = row.value.get("listener") or {}
    return SedeLabRead(
        sede_id=row.sede.id,
        sede_code=row.sede.code,
        sede_name=row.sede.name,
        lab_system_id=row.value.get("lab_system_id"),
        listener_host=str(listener.get("host", "")),
        listener_port=listener.get("port"),
        updated_at=row.setting.updated_at if row.setting else None,
    )


@router.get(
    "/systems", response_model=LabSystemList, summary="Sistemas de laboratorio", responses=errors()
)
def list_systems(
    rt: RuntimeDep,
    _user: Manager,
    active: Annotated[bool | None, Query(description="solo activos / inactivos")] = None,
) -> LabSystemList:
    with unit_of_work(rt.engine) as session:
        rows = service.list_systems(session=session, active=active)
        return LabSystemList(items=[system_read(r) for r in rows], total=len(rows))


@router.post(
    "/systems",
    response_model=LabSystemRead,
    status_code=201,
    summary="Registrar un sistema de laboratorio (REST, HL7 MLLP o carpeta)",
    responses=errors(409),
)
def create_system(
    body: LabSystemCreate, request: Request, rt: RuntimeDep, user: Manager
) -> LabSystemRead:
    with unit_of_work(rt.engine) as session:
        lab = service.create_system(
            session=session, clock=rt.clock, actor=Actor(user, client_ip(request)), data=body
        )
        return system_read(lab)


@router.get(
    "/systems/{lab_system_id}",
    response_model=LabSystemRead,
    summary="Un sistema de laboratorio (sin tokens)",
    responses=errors(404),
)
def get_system(lab_system_id: LabId, rt: RuntimeDep, _user: Manager) -> LabSystemRead:
    with unit_of_work(rt.engine) as session:
        return system_read(service.get_system(session=session, lab_system_id=lab_system_id))


@router.put(
    "/systems/{lab_system_id}",
    response_model=LabSystemRead,
    summary="Modificar un sistema de laboratorio (conexión, formato, tokens, activo)",
    responses=errors(404, 409),
)
def update_system(
    lab_system_id: LabId, body: LabSystemUpdate, request: Request, rt: RuntimeDep, user: Manager
) -> LabSystemRead:
    with unit_of_work(rt.engine) as session:
        lab = service.update_system(
            session=session,
            clock=rt.clock,
            actor=Actor(user, client_ip(request)),
            lab_system_id=lab_system_id,
            data=body,
        )
        return system_read(lab)


@router.get(
    "/systems/{lab_system_id}/codes",
    response_model=CodeMapRead,
    summary="Mapa de códigos: nuestro examen -> código del laboratorio / LOINC",
    responses=errors(404),
)
def get_codes(lab_system_id: LabId, rt: RuntimeDep, _user: Manager) -> CodeMapRead:
    with unit_of_work(rt.engine) as session:
        return map_read(
            lab_system_id, service.code_map(session=session, lab_system_id=lab_system_id)
        )


@router.put(
    "/systems/{lab_system_id}/codes",
    response_model=CodeMapRead,
    summary="Reemplazar el mapa de códigos (los exámenes omitidos quedan sin código)",
    responses=errors(404),
)
def put_codes(
    lab_system_id: LabId, body: CodeMapPut, request: Request, rt: RuntimeDep, user: Manager
) -> CodeMapRead:
    with unit_of_work(rt.engine) as session:
        rows = service.put_code_map(
            session=session,
            clock=rt.clock,
            actor=Actor(user, client_ip(request)),
            lab_system_id=lab_system_id,
            data=body,
        )
        return map_read(lab_system_id, rows)


@router.get(
    "/systems/{lab_system_id}/check",
    response_model=MappingCheck,
    summary="Comprobar que todo examen activo del catálogo tiene código en este laboratorio",
    responses=errors(404),
)
def check_codes(lab_system_id: LabId, rt: RuntimeDep, _user: Manager) -> MappingCheck:
    with unit_of_work(rt.engine) as session:
        res = service.check_mapping(session=session, lab_system_id=lab_system_id)
        return MappingCheck(
            lab_system_id=res.lab_system_id,
            complete=not res.unmapped,
            active_tests=res.active_tests,
            mapped=res.mapped,
            unmapped=[
                UnmappedTest(service_id=s.id, code=s.code, name=s.name) for s in res.unmapped
            ],
        )


@router.get(
    "/sedes",
    response_model=SedeLabList,
    summary="Sistema de laboratorio de cada sede",
    responses=errors(),
)
def list_sedes(rt: RuntimeDep, _user: Manager) -> SedeLabList:
    with unit_of_work(rt.engine) as session:
        rows = sedes.sede_labs(session=session)
        return SedeLabList(items=[sede_read(r) for r in rows], total=len(rows))


@router.put(
    "/sedes/{sede_id}",
    response_model=SedeLabRead,
    summary="Asignar el sistema de laboratorio de una sede y su receptor de resultados",
    responses=errors(404),
)
def put_sede(
    sede_id: SedeId, body: SedeLabPut, request: Request, rt: RuntimeDep, user: Manager
) -> SedeLabRead:
    with unit_of_work(rt.engine) as session:
        row = sedes.assign_sede(
            session=session,
            clock=rt.clock,
            actor=Actor(user, client_ip(request)),
            sede_id=sede_id,
            data=body,
        )
        return sede_read(row)


@router.get(
    "/history",
    response_model=LabChangeList,
    summary="Historial de cambios de laboratorios, códigos y asignaciones",
    responses=errors(),
)
def get_history(
    rt: RuntimeDep,
    _user: Manager,
    entity: Annotated[Literal["lab_system", "lab_code_map", "lab_sede"] | None, Query()] = None,
    entity_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> LabChangeList:
    with unit_of_work(rt.engine) as session:
        rows, total = history(
            session=session,
            entities=service.ENTITIES,
            entity=entity,
            entity_id=entity_id,
            limit=limit,
            offset=offset,
        )
        return LabChangeList(items=[LabChangeRead.model_validate(r) for r in rows], total=total)
