"""``/api/billing/{id}/…``: a comprobante's printed representation (PDF, 80 mm ticket) and its
signed XML. Issuing, listing and the SUNAT queue are :mod:`edge.billing.router`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response

from domain.errors import NotFound
from edge.auth.tokens import Principal
from edge.billing import printing, service
from edge.db import read_session
from edge.deps import RuntimeDep, error_responses, require

router = APIRouter(prefix="/api/billing", tags=["comprobantes"])

Reader = Annotated[Principal, Depends(require("invoice.read"))]
InvoiceId = Annotated[str, Path(description="id del comprobante", max_length=36)]


@router.get(
    "/{invoice_id}/pdf",
    response_class=Response,
    summary="Representación impresa en PDF (A4 o ticket de 80 mm)",
    responses={200: {"content": {"application/pdf": {}}}, **error_responses(404, 422)},
)
def pdf(
    invoice_id: InvoiceId,
    rt: RuntimeDep,
    user: Reader,
    format: Annotated[Literal["a4", "ticket"], Query(description="a4 | ticket")] = "a4",
) -> Response:
    with read_session(rt.engine) as session:
        data = printing.print_data(session, service.get(session, invoice_id))
    body = printing.pdf_a4(data) if format == "a4" else printing.pdf_ticket(data)
    name = f"{data.company_ruc}-{data.full_number}-{format}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get(
    "/{invoice_id}/ticket.html",
    response_class=HTMLResponse,
    summary="Ticket de 80 mm listo para imprimir (HTML)",
    responses=error_responses(404),
)
def ticket_html(invoice_id: InvoiceId, rt: RuntimeDep, user: Reader) -> HTMLResponse:
    with read_session(rt.engine) as session:
        data = printing.print_data(session, service.get(session, invoice_id))
    return HTMLResponse(printing.html_ticket(data))


@router.get(
    "/{invoice_id}/xml",
    response_class=Response,
    summary="XML firmado, exactamente como se envía a SUNAT",
    responses={200: {"content": {"application/xml": {}}}, **error_responses(404)},
)
def xml(invoice_id: InvoiceId, rt: RuntimeDep, user: Reader) -> Response:
    with read_session(rt.engine) as session:
        service.get(session, invoice_id)
        kept = service.signed_xml(session, invoice_id)
        if kept is None:
            raise NotFound("El comprobante no tiene XML.", code="xml_not_found")
        content, filename = kept.content, kept.filename
    return Response(
        content,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
