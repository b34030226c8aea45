"""A :class:`~central.convenios.ledger.Ledger` as the API's :class:`ConvenioBalance`."""

from __future__ import annotations

from central.convenios.account_schemas import (
    ConvenioBalance,
    FacturaBalanceRead,
    PaymentRead,
    SedeBalanceRead,
)
from central.convenios.ledger import Ledger
from central.convenios.payment_models import ConvenioPayment
from domain.money import from_cents


def balance_read(book: Ledger) -> ConvenioBalance:
    c = book.convenio
    sedes = book.sedes
    return ConvenioBalance(
        convenio_id=c.id, name=c.name, credit_days=c.credit_days, as_of=book.as_of,
        sedes=[
            SedeBalanceRead(
                sede_id=s.sede_id, sede_code=s.sede_code, orders=s.orders,
                covered=from_cents(s.covered_cents), invoiced=from_cents(s.invoiced_cents),
                not_invoiced=from_cents(s.not_invoiced_cents), paid=from_cents(s.paid_cents),
                balance=from_cents(s.balance_cents), overdue=from_cents(s.overdue_cents),
                not_due=from_cents(s.not_due_cents),
            )
            for s in sedes
        ],
        facturas=[
            FacturaBalanceRead(
                id=ln.factura.id, invoice=ln.factura.ref, sede_id=ln.factura.sede_id,
                sede_code=ln.factura.sede_code, date=ln.factura.business_date,
                due_date=ln.due_date, payable=from_cents(ln.factura.payable_cents),
                paid=from_cents(ln.paid_cents), outstanding=from_cents(ln.outstanding_cents),
                overdue=ln.due_date < book.as_of and ln.outstanding_cents > 0,
            )
            for ln in book.facturas
        ],
        covered=from_cents(sum(s.covered_cents for s in sedes)),
        invoiced=from_cents(sum(s.invoiced_cents for s in sedes)),
        not_invoiced=from_cents(sum(s.not_invoiced_cents for s in sedes)),
        paid=from_cents(book.payments_cents),
        unapplied=from_cents(book.unapplied_cents),
        balance=from_cents(book.balance_cents),
        overdue=from_cents(sum(s.overdue_cents for s in sedes)),
        not_due=from_cents(sum(s.not_due_cents for s in sedes)),
    )  # fmt: skip


def payment_read(p: ConvenioPayment) -> PaymentRead:
    invoice = f"{p.invoice_series}-{p.invoice_number}" if p.invoice_series else None
    return PaymentRead(
        id=p.id, convenio_id=p.convenio_id, amount=p.amount, date=p.paid_on, method=p.method,
        reference=p.reference, invoice=invoice, invoice_id=p.invoice_id, sede_id=p.sede_id,
        note=p.note, created_by=p.created_by, created_at=p.created_at,
    )  # fmt: skip
