"""``/api/convenios``: companies and insurers with agreed prices or coverage."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from central.auth.deps import RuntimeDep, require
from central.auth.tokens import Principal
from central.catalog.schemas import ImportRowError
from central.catalog.transfer import FORMATS
from central.catalog.transfer_http import SHOWN, decode_upload
from central.convenios import price_transfer, service
from central.convenios.models import Convenio
from central.convenios.price_transfer import Issue, PricePlan
from central.convenios.schemas import (
    ConvenioCreate,
    ConvenioList,
    ConvenioRead,
    ConvenioUpdate,
    PriceApplied,
    PriceApply,
    PriceChangeRead,
    PriceCounts,
    PriceFile,
    PricePreview,
)
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


# --------------------------------------------------------------- price list as a spreadsheet
def _issues(items: list[Issue]) -> list[ImportRowError]:
    return [ImportRowError(row=i.row, column=i.column, type=i.code, msg=i.msg) for i in items]


def price_answer(plan: PricePlan) -> PricePreview:
    return PricePreview(
        rows=plan.rows,
        counts=PriceCounts(**plan.counts()),
        changes=[
            PriceChangeRead(
                row=c.row,
                code=c.code,
                name=c.name,
                action=c.action,
                old_price=c.old_price,
                new_price=c.new_price,
                public_price=c.public_price,
            )
            for c in plan.changes[:SHOWN]
        ],
        changes_total=len(plan.changes),
        errors=_issues(plan.errors[:SHOWN]),
        errors_total=len(plan.errors),
        warnings=_issues(plan.warnings[:SHOWN]),
        warnings_total=len(plan.warnings),
    )


@router.get(
    "/{convenio_id}/prices/export",
    response_class=Response,
    summary="Exportar el tarifario del convenio (xlsx o csv) para llenarlo y volver a importarlo",
    description=(
        "Todos los exámenes y perfiles ACTIVOS del catálogo, uno por fila, con encabezados en "
        "español: código, nombre, tipo, precio público y precio del convenio (vacío si no tiene "
        "uno: se cobra el público). El csv va en UTF-8 con BOM, separado por comas; una celda "
        "que una hoja de cálculo tomaría por fórmula se escribe como texto."
    ),
    responses={
        200: {"description": "El archivo", "content": {FORMATS["xlsx"]: {}, "text/csv": {}}},
        **errors(404),
    },
)
def export_prices(
    convenio_id: ConvenioId,
    rt: RuntimeDep,
    _user: Reader,
    format: Annotated[Literal["xlsx", "csv"], Query(description="xlsx o csv")] = "xlsx",
) -> Response:
    with unit_of_work(rt.engine) as session:
        out = price_transfer.export_prices(
            session=session, clock=rt.clock, convenio_id=convenio_id, fmt=format
        )
    return Response(
        content=out.content,
        media_type=out.media_type,
        headers={"Content-Disposition": f'attachment; filename="{out.filename}"'},
    )


# 413: the body limit's own answer (sync.webapp.document_payload_limit); a decoded file over
# 1 MB is 413 import_file_too_large, said in each description
_IMPORT_ERRORS = errors(404)


@router.post(
    "/{convenio_id}/prices/import/preview",
    response_model=PricePreview,
    summary="Previsualizar la importación del tarifario de un convenio (no escribe nada)",
    description=(
        "El archivo exportado (xlsx o csv; `;` o `,`; UTF-8 con o sin BOM), con la columna "
        "«Precio convenio (S/)» llena, en base64. Responde los precios nuevos, cambiados (antes "
        "→ ahora), quitados (celda vaciada: rige el precio público) y sin cambios; las filas "
        "rechazadas con su número, columna y motivo (código desconocido o repetido, examen "
        "desactivado, precio inválido o con 3 decimales) y, aparte, las advertencias (precio del "
        "convenio mayor que el público), que no impiden aplicar. Las filas ausentes del archivo "
        "no se tocan. Como máximo 1 MB (413) y 3000 filas (422 `import_too_many_rows`)."
    ),
    responses=_IMPORT_ERRORS,
)
def import_prices_preview(
    convenio_id: ConvenioId, body: PriceFile, rt: RuntimeDep, _user: Manager
) -> PricePreview:
    content = decode_upload(body.content_base64)
    with unit_of_work(rt.engine) as session:
        plan = price_transfer.preview_prices(
            session=session, convenio_id=convenio_id, content=content
        )
        return price_answer(plan)


@router.post(
    "/{convenio_id}/prices/import/apply",
    response_model=PriceApplied,
    summary="Aplicar la importación del tarifario de un convenio (todo o nada)",
    description=(
        "El mismo archivo de la previsualización. Con alguna fila rechazada no se aplica nada "
        "(422 `import_has_errors`); si no cambia nada responde `applied: false` («sin "
        "cambios»). El tarifario se guarda con el mismo servicio que la edición del convenio: "
        "auditoría y sincronización con las sedes."
    ),
    responses=_IMPORT_ERRORS,
)
def import_prices_apply(
    convenio_id: ConvenioId, body: PriceApply, rt: RuntimeDep, user: Manager
) -> PriceApplied:
    content = decode_upload(body.content_base64)
    with unit_of_work(rt.engine) as session:
        result = price_transfer.apply_prices(
            session=session,
            clock=rt.clock,
            actor=user,
            convenio_id=convenio_id,
            content=content,
            filename=body.filename,
            note=body.note,
        )
        answer = price_answer(result.plan)
        return PriceApplied(**answer.model_dump(), applied=result.applied, message=result.message)
