"""``/api/convenios/{id}/orders|balance|statement``: a convenio's account across the sedes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from central.audit import service as audit
from central.auth.deps import RuntimeDep, client_ip, require
from central.auth.tokens import Principal
from central.convenios import accounts, ledger, statements
from central.convenios.account_schemas import ConvenioBalance
from central.convenios.balance_view import balance_read
from central.convenios.schemas import ConvenioOrderList, ConvenioOrderRead
from central.db import unit_of_work
from central.reports.export import FORMATS
from central.responses import errors
from domain.clock import business_date
from domain.money import from_cents

router = APIRouter(prefix="/api/convenios", tags=["convenios"])
Reader = Annotated[Principal, Depends(require("report.read"))]
ConvenioId = Annotated[str, Path(max_length=36, description="id del convenio")]
SedeQ = Annotated[str | None, Query(max_length=36, alias="sede", description="id de la sede")]
Month = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="mes AAAA-MM")]


@router.get(
    "/{convenio_id}/orders",
    response_model=ConvenioOrderList,
    summary="Órdenes de un convenio en todas las sedes",
    responses=errors(404, 422),
)
def convenio_orders(
    convenio_id: ConvenioId,
    rt: RuntimeDep,
    user: Reader,
    date_from: Annotated[dt.date, Query(alias="from", description="desde (día de negocio)")],
    date_to: Annotated[dt.date, Query(alias="to", description="hasta (día de negocio)")],
    sede: SedeQ = None,
    limit: Annotated[int, Query(ge=1, le=500, description="máximo de filas")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="filas a saltar")] = 0,
) -> ConvenioOrderList:
    with unit_of_work(rt.engine) as session:
        convenio, lines, total = accounts.orders(
            session=session, convenio_id=convenio_id, sedes=accounts.sedes_for(user, sede),
            date_from=date_from, date_to=date_to, limit=limit, offset=offset,
        )  # fmt: skip
        items = [
            ConvenioOrderRead(
                id=o.id, number=o.number, sede_id=o.sede_id, sede_code=o.sede_code,
                business_date=o.business_date, patient_id=o.patient_id,
                patient_name=o.patient_name, patient_document=o.patient_document,
                status=o.status, total=from_cents(o.total_cents),
                covered=from_cents(o.covered_cents), patient_part=from_cents(o.patient_cents),
                due_date=accounts.due_date(o.business_date, convenio.credit_days),
            )
            for o in lines
        ]  # fmt: skip
        covered = from_cents(sum(o.covered_cents for o in lines))
        return ConvenioOrderList(items=items, total=total, covered_total=covered)


@router.get(
    "/{convenio_id}/balance",
    response_model=ConvenioBalance,
    summary="Saldo de un convenio por sede: facturado y por facturar, vencido y por vencer",
    responses=errors(404),
)
def convenio_balance(
    convenio_id: ConvenioId, rt: RuntimeDep, user: Reader, sede: SedeQ = None
) -> ConvenioBalance:
    today = business_date(rt.clock.now())
    with unit_of_work(rt.engine) as session:
        book = ledger.ledger(
            session=session, convenio_id=convenio_id, sedes=accounts.sedes_for(user, sede),
            as_of=today,
        )  # fmt: skip
        return balance_read(book)


@router.get(
    "/{convenio_id}/statement",
    summary="Estado de cuenta mensual de un convenio (xlsx o PDF)",
    response_class=Response,
    responses={
        **errors(404, 422),
        200: {"content": {m: {} for m in FORMATS.values()}, "description": "El archivo"},
    },
)
def convenio_statement(
    convenio_id: ConvenioId,
    request: Request,
    rt: RuntimeDep,
    user: Reader,
    month: Month,
    sede: SedeQ = None,
    format: Annotated[Literal["xlsx", "pdf"], Query(description="formato")] = "xlsx",
) -> Response:
    with unit_of_work(rt.engine) as session:
        content, filename = statements.statement_file(
            session=session, convenio_id=convenio_id, month=month,
            sedes=accounts.sedes_for(user, sede), fmt=format,
        )  # fmt: skip
        audit.record(
            session, action="convenio.statement", clock=rt.clock, actor=user,
            record_type="convenio", record_id=convenio_id, ip=client_ip(request),
            details={"month": month, "format": format, "sede_id": sede},
        )  # fmt: skip
    return Response(
        content,
        media_type=FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
