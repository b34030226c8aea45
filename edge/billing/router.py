"""``/api/billing``: boletas, facturas, notas de crédito and their queue; the printouts and XML
are :mod:`edge.billing.printouts_router`."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from sqlmodel import Session, select

import edge.billing.hooks  # noqa: F401 - registers issuing in the sale transaction
from domain.clock import business_date
from domain.errors import NotFound
from domain.sunat import Customer, DocumentType
from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.billing import context, credit_terms_note, debit, service
from edge.billing.documents import alarm_due, identity_type, lines_of
from edge.billing.models import FINAL_STATES, Invoice
from edge.billing.schemas import (
    AlarmList,
    AlarmRead,
    CreditNoteCreate,
    CustomerIn,
    DebitNoteCreate,
    InvoiceCreate,
    InvoiceList,
    InvoiceRead,
    ReceiptCreate,
)
from edge.db import read_session, unit_of_work
from edge.deps import RuntimeDep, client_ip, error_responses, require
from edge.orders.models import Order
from edge.runtime import EdgeRuntime


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Bind the app's runtime so the order hooks find these settings (not a fallback)."""
    rt = getattr(app.state, "runtime", None)
    if isinstance(rt, EdgeRuntime):
        context.bind(rt)
    yield


router = APIRouter(prefix="/api/billing", tags=["comprobantes"], lifespan=_lifespan)

Reader = Annotated[Principal, Depends(require("invoice.read"))]
Creator = Annotated[Principal, Depends(require("invoice.create"))]
Crediter = Annotated[Principal, Depends(require("invoice.credit_note"))]
Debiter = Annotated[Principal, Depends(require("invoice.debit_note"))]
Resender = Annotated[Principal, Depends(require("invoice.resend"))]
InvoiceId = Annotated[str, Path(description="id del comprobante", max_length=36)]


def _read(rt: EdgeRuntime, invoice_id: str) -> InvoiceRead:
    with read_session(rt.engine) as session:
        inv = service.get(session, invoice_id)
        return InvoiceRead.from_model(inv, lines_of(session, inv.id))


def _issued_note(
    session: Session,
    rt: EdgeRuntime,
    user: Principal,
    request: Request,
    note: Invoice,
    action: str,
    *,
    reference: str,
    reason: str,
) -> InvoiceRead:
    """Audit a note issued from the API (who, from where, on what) and read it back."""
    audit.record(
        session,
        action=action,
        clock=rt.clock,
        sede_id=note.sede_id,
        user_id=user.user_id,
        username=user.username,
        record_type="invoice",
        record_id=note.id,
        ip=client_ip(request),
        details={"reference": reference, "total": f"{note.total:.2f}", "reason": reason},
    )
    return InvoiceRead.from_model(note, lines_of(session, note.id))


def _customer(c: CustomerIn) -> Customer:
    return Customer(identity_type(c.doc_type), c.doc_number.strip(), c.name.strip(), c.address)


def _order(session: object, order_id: str) -> Order:
    order = session.get(Order, order_id)  # type: ignore[attr-defined]
    if order is None:
        raise NotFound("Orden no encontrada.", code="order_not_found", loc=["body", "order_id"])
    return order


@router.post(
    "/invoice",
    status_code=201,
    response_model=InvoiceRead,
    summary="Emitir la factura de una orden",
    description="Solo a un cliente con RUC válido (422 `invoice_requires_ruc`); una orden tiene "
    "un solo comprobante (409 `order_already_invoiced`). Se firma y queda en cola para SUNAT.",
    responses=error_responses(404, 409, 422, 503),
)
def create_invoice(body: InvoiceCreate, rt: RuntimeDep, user: Creator) -> InvoiceRead:
    context.bind(rt)
    with unit_of_work(rt.engine) as session:
        inv = service.issue_for_order(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            order=_order(session, body.order_id),
            doc_type=DocumentType.FACTURA,
            customer=_customer(body.customer),
            user_id=user.user_id,
        )
        return InvoiceRead.from_model(inv, lines_of(session, inv.id))


@router.post(
    "/receipt",
    status_code=201,
    response_model=InvoiceRead,
    summary="Emitir la boleta de una orden",
    description="Por defecto al cliente de la orden o al paciente. Más de S/ 700.00 exige un "
    "cliente identificado (422 `boleta_requires_customer`).",
    responses=error_responses(404, 409, 422, 503),
)
def create_receipt(body: ReceiptCreate, rt: RuntimeDep, user: Creator) -> InvoiceRead:
    context.bind(rt)
    with unit_of_work(rt.engine) as session:
        inv = service.issue_for_order(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            order=_order(session, body.order_id),
            doc_type=DocumentType.BOLETA,
            customer=_customer(body.customer) if body.customer else None,
            user_id=user.user_id,
        )
        return InvoiceRead.from_model(inv, lines_of(session, inv.id))


@router.get(
    "",
    response_model=InvoiceList,
    summary="Comprobantes (filtros)",
    description="Más recientes primero.",
    responses=error_responses(422),
)
def list_invoices(
    rt: RuntimeDep,
    user: Reader,
    date: Annotated[dt.date | None, Query(description="día de negocio AAAA-MM-DD")] = None,
    state: Annotated[
        str | None,
        Query(
            pattern="^(pendiente|enviado|aceptado|observado|rechazado|error_red|"
            "por_reenviar|anulado)$"
        ),
    ] = None,
    doc_type: Annotated[str | None, Query(pattern="^(01|03|07|08)$")] = None,
    series: Annotated[str | None, Query(pattern="^[A-Z0-9]{4}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> InvoiceList:
    with read_session(rt.engine) as session:
        rows = service.search(
            session,
            business_date=date,
            state=state,
            doc_type=doc_type,
            series=series,
            limit=limit,
            offset=offset,
        )
        items = [InvoiceRead.from_model(r) for r in rows]
    return InvoiceList(items=items, count=len(items))


@router.get(
    "/alarms",
    response_model=AlarmList,
    summary="Comprobantes cerca o fuera de su plazo de envío a SUNAT",
    responses=error_responses(),
)
def alarms(rt: RuntimeDep, user: Reader) -> AlarmList:
    today = business_date(rt.clock.now())
    with read_session(rt.engine) as session:
        rows = session.exec(
            select(Invoice)
            .where(
                Invoice.state.notin_(FINAL_STATES) | (Invoice.void_requested == True)  # type: ignore[attr-defined]  # noqa: E712
            )
            .order_by(Invoice.deadline)  # type: ignore[arg-type]
        ).all()
        items = []
        for inv in rows:
            if not alarm_due(inv, today):
                continue
            days = (inv.deadline - today).days
            when = (
                "vence hoy"
                if days == 0
                else (f"vence en {days} día(s)" if days > 0 else f"venció hace {-days} día(s)")
            )
            items.append(
                AlarmRead(
                    id=inv.id,
                    full_number=inv.full_number,
                    doc_type=inv.doc_type,
                    state=inv.state,
                    business_date=inv.business_date,
                    deadline=inv.deadline,
                    days_left=days,
                    message=f"{inv.full_number} ({inv.state}) sin respuesta de SUNAT: "
                    f"el plazo de envío {when} ({inv.deadline:%d/%m/%Y}).",
                )
            )
    return AlarmList(items=items, count=len(items))


@router.get(
    "/by-order/{order_id}",
    response_model=InvoiceList,
    summary="Comprobantes de una orden (incluye sus notas)",
    responses=error_responses(),
)
def by_order(
    order_id: Annotated[str, Path(max_length=36)], rt: RuntimeDep, user: Reader
) -> InvoiceList:
    with read_session(rt.engine) as session:
        items = [
            InvoiceRead.from_model(r, lines_of(session, r.id))
            for r in service.by_order(session, order_id)
        ]
    return InvoiceList(items=items, count=len(items))


@router.get(
    "/{invoice_id}",
    response_model=InvoiceRead,
    summary="Un comprobante con sus ítems y su estado en SUNAT",
    responses=error_responses(404),
)
def get_invoice(invoice_id: InvoiceId, rt: RuntimeDep, user: Reader) -> InvoiceRead:
    return _read(rt, invoice_id)


@router.post(
    "/{invoice_id}/credit-note",
    status_code=201,
    response_model=InvoiceRead,
    summary="Emitir una nota de crédito",
    description="Sobre una factura o boleta aceptada de esta sede; la serie conserva su letra "
    "(F… / B…) y el importe nunca supera el saldo (422 `credit_note_exceeds_remaining`).",
    responses=error_responses(404, 422, 503),
)
def create_credit_note(
    invoice_id: InvoiceId,
    body: CreditNoteCreate,
    rt: RuntimeDep,
    user: Crediter,
    request: Request,
) -> InvoiceRead:
    context.bind(rt)
    with unit_of_work(rt.engine) as session:
        note, _terms_note = credit_terms_note.credit_note_with_terms(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            invoice_id=invoice_id,
            reason=body.reason_code,
            description=body.description,
            amount=body.amount,
            user_id=user.user_id,
        )
        return _issued_note(session, rt, user, request, note, "invoice.credit_note",
                            reference=invoice_id, reason=body.reason_code.value)  # fmt: skip


@router.post(
    "/{invoice_id}/debit-note",
    status_code=201,
    response_model=InvoiceRead,
    summary="Emitir una nota de débito",
    description="Sobre una factura o boleta aceptada de esta sede (422 `reference_not_accepted`"
    ", `note_other_sede`); motivos del catálogo 10 (01 intereses por mora, 02 aumento en el "
    "valor, 03 penalidades); la serie conserva la letra del original (F… / B…). Se firma y "
    "queda en cola para SUNAT.",
    responses=error_responses(404, 422, 503),
)
def create_debit_note(
    invoice_id: InvoiceId,
    body: DebitNoteCreate,
    rt: RuntimeDep,
    user: Debiter,
    request: Request,
) -> InvoiceRead:
    context.bind(rt)
    with unit_of_work(rt.engine) as session:
        note = debit.debit_note(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            invoice_id=invoice_id,
            reason=body.reason,
            description=body.description,
            amount=body.amount,
            user_id=user.user_id,
        )
        return _issued_note(session, rt, user, request, note, "invoice.debit_note",
                            reference=invoice_id, reason=body.reason_code)  # fmt: skip


@router.post(
    "/{invoice_id}/resend",
    response_model=InvoiceRead,
    summary="Reenviar a SUNAT",
    description="Vuelve a la cola con el mismo número y los mismos bytes firmados; antes de "
    "reenviar se consulta el estado en SUNAT. 409 si ya tiene respuesta final.",
    responses=error_responses(404, 409),
)
def resend(invoice_id: InvoiceId, rt: RuntimeDep, user: Resender, request: Request) -> InvoiceRead:
    with unit_of_work(rt.engine) as session:
        inv = service.resend(session=session, clock=rt.clock, invoice_id=invoice_id)
        audit.record(
            session,
            action="invoice.resend",
            clock=rt.clock,
            sede_id=inv.sede_id,
            user_id=user.user_id,
            username=user.username,
            record_type="invoice",
            record_id=inv.id,
            ip=client_ip(request),
        )
        return InvoiceRead.from_model(inv, lines_of(session, inv.id))
