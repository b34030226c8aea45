"""What a convenio owes, per sede and per factura, as of a day.

- *covered*: the covered part of the convenio's non-cancelled orders (``sync_record`` orders).
- *invoiced*: what its standing facturas ask for (total less credit notes); the orders they cover
  (``convenio_invoice_order`` records) are no longer *not invoiced*. As the edge bills one line
  per order for its covered part, invoiced + not invoiced = covered.
- *payments* (:mod:`central.convenios.payments`) pay the factura they name first; payments "a
  cuenta" (and any surplus) pay the oldest outstanding facturas; what is still left is a credit
  of the convenio (``unapplied``), never attributed to a sede.
- A factura is *overdue* once ``credit_days`` have passed since its date; the part not invoiced
  yet is never due.

Everything is read as of ``as_of`` (orders and facturas of that day or before, payments received
that day or before), which also serves the statement's closing balance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, col, select

from central.config.sede_order import sede_code_key
from central.convenios.models import Convenio
from central.convenios.payment_models import ConvenioPayment
from central.convenios.payments import Factura, facturas
from central.convenios.service import get_convenio
from domain.money import to_cents

CANCELLED = ("anulada", "cancelada")


@dataclass
class FacturaLine:
    factura: Factura
    due_date: dt.date
    paid_cents: int = 0

    @property
    def outstanding_cents(self) -> int:
        return self.factura.payable_cents - self.paid_cents


@dataclass
class SedeLedger:
    sede_id: str
    sede_code: str
    orders: int = 0
    covered_cents: int = 0
    invoiced_cents: int = 0
    not_invoiced_cents: int = 0
    paid_cents: int = 0
    overdue_cents: int = 0
    not_due_cents: int = 0

    @property
    def balance_cents(self) -> int:
        return self.invoiced_cents - self.paid_cents + self.not_invoiced_cents


@dataclass
class Ledger:
    convenio: Convenio
    as_of: dt.date
    sedes: list[SedeLedger]
    facturas: list[FacturaLine]
    payments_cents: int = 0
    unapplied_cents: int = 0

    @property
    def balance_cents(self) -> int:
        return sum(s.balance_cents for s in self.sedes) - self.unapplied_cents


def _orders(session: Session, convenio_id: str, as_of: dt.date) -> list[tuple[str, str, str, int]]:
    rows = session.connection().execute(
        text(
            "SELECT r.id, coalesce(r.sede_id, ''), coalesce(s.code, ''), "
            "coalesce((r.payload->>'covered_total')::bigint, 0) "
            "FROM sync_record r LEFT JOIN sede s ON s.id = r.sede_id "
            "WHERE r.record_type = 'order' AND r.op <> 'delete' "
            "AND r.payload->>'convenio_id' = :c AND r.business_date <= :d "
            "AND coalesce(r.payload->>'status', '') <> ALL(:x)"
        ),
        {"c": convenio_id, "d": as_of.isoformat(), "x": list(CANCELLED)},
    )
    return [(r[0], r[1], r[2], int(r[3])) for r in rows]


def _links(session: Session, convenio_id: str) -> dict[str, set[str]]:
    """order id -> ids of the facturas that bill it (a link whose line a nota de crédito took
    off, ``credit_note_id``, no longer bills the order)."""
    rows = session.connection().execute(
        text(
            "SELECT payload->>'order_id', payload->>'invoice_id' FROM sync_record "
            "WHERE record_type = 'convenio_invoice_order' AND op <> 'delete' "
            "AND payload->>'convenio_id' = :c AND payload->>'credit_note_id' IS NULL"
        ),
        {"c": convenio_id},
    )
    out: dict[str, set[str]] = {}
    for order_id, invoice_id in rows:
        out.setdefault(order_id, set()).add(invoice_id)
    return out


def ledger(
    *, session: Session, convenio_id: str, sedes: list[str] | None, as_of: dt.date
) -> Ledger:
    """The convenio's account as of ``as_of``; ``sedes`` (``None``: all) narrows what is shown,
    never how payments are applied."""
    convenio = get_convenio(session=session, convenio_id=convenio_id)
    lines = [
        FacturaLine(f, f.due(convenio.credit_days))
        for f in facturas(session=session, convenio=convenio)
        if f.standing and f.business_date <= as_of
    ]
    by_id = {ln.factura.id: ln for ln in lines}
    payments = session.exec(
        select(ConvenioPayment)
        .where(ConvenioPayment.convenio_id == convenio_id, ConvenioPayment.paid_on <= as_of)
        .order_by(col(ConvenioPayment.paid_on), col(ConvenioPayment.created_at))
    ).all()
    loose = 0
    for p in payments:
        cents = to_cents(p.amount)
        target = by_id.get(p.invoice_id or "")
        if target is not None:
            applied = min(cents, max(target.outstanding_cents, 0))
            target.paid_cents += applied
            cents -= applied
        loose += cents
    total_paid = sum(to_cents(p.amount) for p in payments)
    for ln in lines:  # oldest first
        applied = min(loose, ln.outstanding_cents)
        ln.paid_cents += applied
        loose -= applied

    per: dict[str, SedeLedger] = {}

    def slot(sede_id: str, code: str) -> SedeLedger:
        return per.setdefault(sede_id, SedeLedger(sede_id=sede_id, sede_code=code))

    links = _links(session, convenio_id)
    for order_id, sede_id, code, covered in _orders(session, convenio_id, as_of):
        s = slot(sede_id, code)
        s.orders += 1
        s.covered_cents += covered
        if not links.get(order_id, set()) & by_id.keys():
            s.not_invoiced_cents += covered
    for ln in lines:
        s = slot(ln.factura.sede_id, ln.factura.sede_code)
        s.invoiced_cents += ln.factura.payable_cents
        s.paid_cents += ln.paid_cents
        if ln.due_date < as_of:
            s.overdue_cents += ln.outstanding_cents
        else:
            s.not_due_cents += ln.outstanding_cents
    shown = sorted(
        (s for s in per.values() if sedes is None or s.sede_id in sedes),
        key=lambda s: (sede_code_key(s.sede_code), s.sede_id),
    )
    visible = [ln for ln in lines if sedes is None or ln.factura.sede_id in sedes]
    return Ledger(
        convenio=convenio, as_of=as_of, sedes=shown, facturas=visible,
        payments_cents=total_paid if sedes is None else sum(s.paid_cents for s in shown),
        unapplied_cents=loose if sedes is None else 0,
    )  # fmt: skip
