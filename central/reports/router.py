"""``/api/reports``: the dashboard, the consolidated reports and their export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from central.auth.deps import RuntimeDep, require
from central.auth.tokens import Principal
from central.db import unit_of_work
from central.reports import exporting, service
from central.reports.export import FORMATS
from central.reports.schemas import Dashboard, ExportRequest, ReportRead
from central.responses import errors

router = APIRouter(prefix="/api/reports", tags=["reportes"])
Reader = Annotated[Principal, Depends(require("report.read"))]
SedeQ = Annotated[
    str | None, Query(max_length=36, pattern=r"^[0-9A-Za-z-]+$", description="id de la sede")
]
FromQ = Annotated[dt.date | None, Query(alias="from", description="desde (día de negocio)")]
ToQ = Annotated[dt.date | None, Query(alias="to", description="hasta (día de negocio)")]


def _filters(rt: Any, user: Principal, f: dt.date | None, t: dt.date | None,
             sede: str | None) -> service.Filters:  # fmt: skip
    return service.filters_for(
        user, today=service.today_of(rt.clock.now()), date_from=f, date_to=t, sede_id=sede
    )


@router.get(
    "/dashboard", response_model=Dashboard, summary="Tablero de la cadena", responses=errors()
)
def dashboard(
    rt: RuntimeDep, user: Reader, date_from: FromQ = None, date_to: ToQ = None, sede: SedeQ = None
) -> Dashboard:
    filters = _filters(rt, user, date_from, date_to, sede)
    with unit_of_work(rt.engine) as session:
        return Dashboard(**service.dashboard(session=session, filters=filters))


def _table_endpoint(name: str, summary: str) -> None:
    def endpoint(
        rt: RuntimeDep,
        user: Reader,
        date_from: FromQ = None,
        date_to: ToQ = None,
        sede: SedeQ = None,
        limit: Annotated[int, Query(ge=1, le=500, description="filas (top)")] = 10,
    ) -> ReportRead:
        filters = _filters(rt, user, date_from, date_to, sede)
        with unit_of_work(rt.engine) as session:
            table = service.run(session=session, report=name, filters=filters, limit=limit)
        return ReportRead.of(table, date_from=filters.date_from, date_to=filters.date_to,
                             sede_ids=filters.sede_ids)  # fmt: skip

    endpoint.__name__ = "report_" + name.replace("-", "_")
    router.add_api_route(
        f"/{name}", endpoint, methods=["GET"], response_model=ReportRead, summary=summary,
        responses=errors(),
    )  # fmt: skip


for _name, _summary in (
    ("orders", "Órdenes por día"),
    ("sales", "Ventas por sede"),
    ("top-services", "Servicios más vendidos"),
    ("payment-methods", "Medios de pago"),
    ("patients-analysis", "Pacientes nuevos y recurrentes, por edad y sexo"),
    ("monthly-comparison", "Comparativo mensual"),
    ("discounts", "Descuentos por usuario"),
    ("cancellations", "Anulaciones por usuario"),
    ("cash-differences", "Diferencias de caja por cajero"),
    ("convenio-sales", "Ventas por convenio"),
    ("turnaround", "Tiempo de entrega de resultados"),
    ("sunat-states", "Comprobantes por estado SUNAT"),
    ("physicians", "Médicos solicitantes: órdenes, urgentes y total vendido"),
):
    _table_endpoint(_name, _summary)


@router.post(
    "/export",
    summary="Exportar un reporte (xlsx o PDF)",
    response_class=Response,
    responses={
        **errors(),
        200: {"content": {m: {} for m in FORMATS.values()}, "description": "El archivo"},
    },
)
def export(body: ExportRequest, rt: RuntimeDep, user: Reader) -> Response:
    filters = _filters(rt, user, body.date_from, body.date_to, body.sede)
    with unit_of_work(rt.engine) as session:
        content, filename = exporting.report_file(
            session=session, report=body.report, filters=filters, fmt=body.format,
            limit=body.limit,
        )  # fmt: skip
    return Response(
        content,
        media_type=FORMATS[body.format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
