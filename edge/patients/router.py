"""Patient endpoints of the edge: registration, search, history, orders, recurring patients,
export and consents. Thin: parse, call one service, return a schema."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from domain.clock import business_date
from edge.access_deferral import access_logged_read
from edge.auth.tokens import Principal
from edge.db import read_session, unit_of_work
from edge.deps import RuntimeDep, client_ip, error_responses, require
from edge.patients import consents as consents_service
from edge.patients import export as patient_export
from edge.patients import recurring as recurring_service
from edge.patients import service as patients_service
from edge.patients.consent_schemas import (
    ConsentCreate,
    ConsentRead,
    ConsentState,
    PatientConsents,
)
from edge.patients.schemas import (
    HistoryList,
    HistoryRead,
    PatientCreate,
    PatientList,
    PatientOrderList,
    PatientOrderRead,
    PatientRead,
    PatientSearchHit,
    PatientSearchResult,
    PatientUpdate,
    RecurringList,
    RecurringPatient,
)
from edge.patients.search import search_log_unit_of_work
from edge.patients.service import Actor
from edge.runtime import EdgeRuntime

router = APIRouter(prefix="/api/patients", tags=["pacientes"])

Reader = Annotated[Principal, Depends(require("patient.read"))]
Creator = Annotated[Principal, Depends(require("patient.create"))]
Updater = Annotated[Principal, Depends(require("patient.update"))]
Exporter = Annotated[Principal, Depends(require("patient.export"))]
ConsentManager = Annotated[Principal, Depends(require("consent.manage"))]
Limit = Annotated[int, Query(ge=1, le=200, description="Tamaño de página")]
Offset = Annotated[int, Query(ge=0, le=100_000, description="Desde qué fila")]


def _actor(rt: EdgeRuntime, user: Principal, request: Request) -> Actor:
    return Actor(user.user_id, user.username, rt.sede_id, client_ip(request))


@router.get(
    "", response_model=PatientList, summary="Pacientes en orden alfabético",
    responses=error_responses(422),
)  # fmt: skip
def list_patients(
    rt: RuntimeDep, _user: Reader, limit: Limit = 50, offset: Offset = 0
) -> PatientList:
    with read_session(rt.engine) as session:
        rows, total = patients_service.list_patients(session=session, limit=limit, offset=offset)
        return PatientList(
            items=[PatientRead.from_model(p) for p in rows], total=total, limit=limit, offset=offset
        )


@router.post(
    "",
    response_model=PatientRead,
    status_code=201,
    summary="Registrar un paciente",
    description="Un documento ya registrado responde 409 `patient_duplicate` con el id del "
    "paciente existente en `detail[0].ctx.patient_id`; nunca se crea un duplicado.",
    responses=error_responses(409, 422),
)
def create_patient(
    body: PatientCreate, rt: RuntimeDep, user: Creator, request: Request
) -> PatientRead:
    with unit_of_work(rt.engine) as session:
        patient = patients_service.create(
            session=session, clock=rt.clock, actor=_actor(rt, user, request), patient_in=body
        )
        return PatientRead.from_model(patient)


@router.get(
    "/search",
    response_model=PatientSearchResult,
    summary="Buscar por documento (o su inicio) o por cualquier parte del nombre",
    description="Sin distinguir mayúsculas ni tildes («nunez» encuentra «NÚÑEZ»). Orden: "
    "documento exacto, documento que empieza así, nombre que empieza así, el resto.",
    responses=error_responses(422),
)
def search_patients(
    rt: RuntimeDep,
    user: Reader,
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Documento o nombre")],
    limit: Annotated[int, Query(ge=1, le=100, description="Tamaño de página")] = 20,
    offset: Annotated[int, Query(ge=0, le=1000, description="Desde qué fila")] = 0,
) -> PatientSearchResult:
    with access_logged_read(search_log_unit_of_work(rt.engine)) as session:
        page = patients_service.search(
            session=session, clock=rt.clock, actor=_actor(rt, user, request),
            q=q, limit=limit, offset=offset,
        )  # fmt: skip
        return PatientSearchResult(
            q=q,
            items=[
                PatientSearchHit(**PatientRead.from_model(h.patient).model_dump(), match=h.match)  # type: ignore[arg-type]
                for h in page.hits
            ],
            limit=limit,
            offset=offset,
            has_more=page.has_more,
        )


@router.get(
    "/recurring",
    response_model=RecurringList,
    summary="Pacientes recurrentes: 2 o más órdenes en el rango, los más frecuentes primero",
    description="Sin fechas: los últimos 90 días. Las órdenes anuladas no cuentan.",
    responses=error_responses(422),
)
def recurring_patients(
    rt: RuntimeDep,
    _user: Reader,
    date_from: Annotated[dt.date | None, Query(description="Fecha de negocio inicial")] = None,
    date_to: Annotated[dt.date | None, Query(description="Fecha de negocio final")] = None,
    min_orders: Annotated[int, Query(ge=2, le=1000, description="Órdenes mínimas")] = 2,
    limit: Limit = 50,
    offset: Offset = 0,
) -> RecurringList:
    to = date_to or business_date(rt.clock.now())
    start = date_from or to - dt.timedelta(days=90)
    with read_session(rt.engine) as session:
        rows, total = recurring_service.recurring(
            session=session, date_from=start, date_to=to, min_orders=min_orders,
            limit=limit, offset=offset,
        )  # fmt: skip
        return RecurringList(
            date_from=start,
            date_to=to,
            min_orders=min_orders,
            items=[
                RecurringPatient(
                    patient=PatientRead.from_model(r.patient),
                    order_count=r.order_count,
                    total_amount=r.total_amount,
                    last_order_date=r.last_order_date,
                )
                for r in rows
            ],
            total=total,
            limit=limit,
            offset=offset,
        )


@router.get(
    "/export",
    summary="Exportar pacientes a Excel (xlsx)",
    description=f"Hasta {patient_export.MAX_EXPORT_ROWS} pacientes por archivo, filtrados por "
    "fecha de registro (Lima). Queda en la auditoría y en el registro de accesos.",
    response_class=Response,
    responses={
        200: {
            "content": {patient_export.XLSX_MEDIA_TYPE: {}},
            "description": "Libro Excel con una fila por paciente",
        },
        **error_responses(422),
    },
)
def export_patients(
    rt: RuntimeDep,
    user: Exporter,
    request: Request,
    registered_from: Annotated[dt.date | None, Query(description="Registrados desde")] = None,
    registered_to: Annotated[dt.date | None, Query(description="Registrados hasta")] = None,
) -> Response:
    with unit_of_work(rt.engine) as session:
        result = patient_export.export_patients(
            session=session, clock=rt.clock, actor=_actor(rt, user, request),
            registered_from=registered_from, registered_to=registered_to,
        )  # fmt: skip
    return Response(
        result.content,
        media_type=patient_export.XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{result.filename}"',
            "X-Exported-Rows": str(result.count),
        },
    )


@router.get(
    "/{patient_id}",
    response_model=PatientRead,
    summary="Ver un paciente (queda en el registro de accesos)",
    responses=error_responses(404),
)
def get_patient(patient_id: str, rt: RuntimeDep, user: Reader, request: Request) -> PatientRead:
    with access_logged_read(unit_of_work(rt.engine)) as session:  # answered on a full disk
        patient = patients_service.view(
            session=session, clock=rt.clock, actor=_actor(rt, user, request), patient_id=patient_id
        )
        return PatientRead.from_model(patient)


@router.put(
    "/{patient_id}",
    response_model=PatientRead,
    summary="Modificar un paciente (solo los campos enviados; queda en su historial)",
    responses=error_responses(404, 409, 422),
)
def update_patient(
    patient_id: str, body: PatientUpdate, rt: RuntimeDep, user: Updater, request: Request
) -> PatientRead:
    with unit_of_work(rt.engine) as session:
        patient = patients_service.update(
            session=session, clock=rt.clock, actor=_actor(rt, user, request),
            patient_id=patient_id, patient_in=body,
        )  # fmt: skip
        return PatientRead.from_model(patient)


@router.get(
    "/{patient_id}/orders",
    response_model=PatientOrderList,
    summary="Órdenes del paciente en esta sede, las más recientes primero",
    responses=error_responses(404, 422),
)
def patient_orders(
    patient_id: str, rt: RuntimeDep, _user: Reader, limit: Limit = 50, offset: Offset = 0
) -> PatientOrderList:
    with read_session(rt.engine) as session:
        rows, total = patients_service.orders(
            session=session, patient_id=patient_id, limit=limit, offset=offset
        )
        return PatientOrderList(
            items=[PatientOrderRead.model_validate(o, from_attributes=True) for o in rows],
            total=total,
            limit=limit,
            offset=offset,
        )


@router.get(
    "/{patient_id}/history",
    response_model=HistoryList,
    summary="Historial de cambios del paciente (quién, cuándo, antes → después)",
    responses=error_responses(404, 422),
)
def patient_history(
    patient_id: str, rt: RuntimeDep, _user: Reader, limit: Limit = 100, offset: Offset = 0
) -> HistoryList:
    with read_session(rt.engine) as session:
        rows, total = patients_service.history(
            session=session, patient_id=patient_id, limit=limit, offset=offset
        )
        return HistoryList(
            items=[HistoryRead.from_model(h) for h in rows], total=total, limit=limit, offset=offset
        )


def _consents_body(patient_id: str, summary: consents_service.ConsentSummary) -> PatientConsents:
    current = {k: ConsentRead.from_model(v) if v else None for k, v in summary.current.items()}
    return PatientConsents(
        patient_id=patient_id,
        current=[
            ConsentState(kind=kind, granted=bool(c and c.granted), current=c)
            for kind, c in current.items()
        ],
        history=[ConsentRead.from_model(r) for r in summary.history],
    )


@router.get(
    "/{patient_id}/consents",
    response_model=PatientConsents,
    summary="Consentimientos del paciente (Ley 29733): vigentes e historial",
    responses=error_responses(404),
)
def get_consents(patient_id: str, rt: RuntimeDep, _user: Reader) -> PatientConsents:
    with read_session(rt.engine) as session:
        summary = consents_service.consents(session=session, patient_id=patient_id)
        return _consents_body(patient_id, summary)


@router.post(
    "/{patient_id}/consents",
    response_model=PatientConsents,
    status_code=201,
    summary="Registrar un consentimiento otorgado o revocado (el último de cada tipo vale)",
    responses=error_responses(404, 422),
)
def post_consent(
    patient_id: str, body: ConsentCreate, rt: RuntimeDep, user: ConsentManager, request: Request
) -> PatientConsents:
    with unit_of_work(rt.engine) as session:
        summary = consents_service.record_consent(
            session=session, clock=rt.clock, actor=_actor(rt, user, request),
            patient_id=patient_id, consent_in=body,
        )  # fmt: skip
        return _consents_body(patient_id, summary)
