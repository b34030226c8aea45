"""``/api/patients``: the chain's consolidated patients (search, one patient, its orders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from central.auth.deps import RuntimeDep, client_ip, require
from central.auth.tokens import Principal
from central.db import unit_of_work
from central.patients import service
from central.patients.schemas import (
    PatientDetail,
    PatientHit,
    PatientOrderList,
    PatientOrderRead,
    PatientSearchPage,
)
from central.responses import errors
from domain.money import from_cents

router = APIRouter(prefix="/api/patients", tags=["pacientes"])
Reader = Annotated[Principal, Depends(require("patient.read"))]
PatientId = Annotated[str, Path(max_length=36, description="id del paciente")]
Limit = Annotated[int, Query(ge=1, le=100, description="máximo de filas")]
Offset = Annotated[int, Query(ge=0, le=10_000, description="filas a saltar")]


@router.get(
    "",
    response_model=PatientSearchPage,
    summary="Buscar pacientes de toda la cadena (documento o apellidos y nombres)",
    responses=errors(422),
)
def search(
    request: Request,
    rt: RuntimeDep,
    user: Reader,
    q: Annotated[str, Query(max_length=200, description="documento o «APELLIDOS NOMBRES»")],
    limit: Limit = 20,
    offset: Offset = 0,
) -> PatientSearchPage:
    with unit_of_work(rt.engine) as session:
        hits, more = service.search(session=session, q=q, limit=limit, offset=offset)
        service.log_access(
            session, clock=rt.clock, actor=user, action="patient.search", ip=client_ip(request),
            details={"q_sha256": service.query_digest(q), "results": len(hits)},
        )  # fmt: skip
        items = [PatientHit(**PatientHit.fields_of(h.patient), match=h.match) for h in hits]
        return PatientSearchPage(items=items, has_more=more)


@router.get(
    "/{id}",
    response_model=PatientDetail,
    summary="Un paciente (un id unido a otro lleva al paciente canónico)",
    responses=errors(404),
)
def get_patient(id: PatientId, request: Request, rt: RuntimeDep, user: Reader) -> PatientDetail:
    with unit_of_work(rt.engine) as session:
        patient, merged = service.get(session=session, patient_id=id)
        service.log_access(
            session, clock=rt.clock, actor=user, action="patient.read", patient_id=patient.id,
            ip=client_ip(request),
        )  # fmt: skip
        return PatientDetail(**PatientDetail.fields_of(patient), merged_ids=merged)


@router.get(
    "/{id}/orders",
    response_model=PatientOrderList,
    summary="Órdenes de un paciente en todas las sedes",
    description="Incluye las órdenes registradas con ids duplicados ya unidos. Un supervisor ve "
    "las de sus sedes.",
    responses=errors(404),
)
def patient_orders(
    id: PatientId,
    request: Request,
    rt: RuntimeDep,
    user: Reader,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PatientOrderList:
    with unit_of_work(rt.engine) as session:
        patient, merged = service.get(session=session, patient_id=id)
        rows, total = service.orders(
            session=session, patient_ids=[patient.id, *merged], sedes=service.sedes_of(user),
            limit=limit, offset=offset,
        )  # fmt: skip
        service.log_access(
            session, clock=rt.clock, actor=user, action="patient.orders", patient_id=patient.id,
            ip=client_ip(request), details={"orders": len(rows)},
        )  # fmt: skip
        return PatientOrderList(
            items=[
                PatientOrderRead(
                    id=o.id, number=o.number, sede_id=o.sede_id, sede_code=o.sede_code,
                    business_date=o.business_date, status=o.status,
                    total=from_cents(o.total_cents), paid=from_cents(o.paid_cents),
                    balance=from_cents(o.balance_cents), convenio_id=o.convenio_id,
                )
                for o in rows
            ],
            total=total,
        )  # fmt: skip
