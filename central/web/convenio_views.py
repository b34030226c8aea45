"""View models of the dashboard's convenio page (``/panel/convenios``).

Everything here reads the convenio account services (:mod:`central.convenios.ledger`,
:mod:`central.convenios.payments`); nothing writes. Payments are recorded through
``POST /api/convenios/{id}/payments`` itself.

- The list shows each convenio's balance as of today (the ledger, narrowed to the sedes the
  user sees) and how many days its oldest overdue factura is past due.
- One convenio's account adds, per factura, the payments that name it and the part of its
  ``paid`` that came from payments "a cuenta"; the ageing buckets and the charts are computed
  from the same ledger, so the page never shows two versions of a figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from central.convenios import ledger as ledger_service
from central.convenios import payments as payments_service
from central.convenios import service as convenio_service
from central.convenios.ledger import FacturaLine, Ledger
from central.convenios.payment_models import ConvenioPayment
from central.web.charts import Bar, bar_chart
from domain.money import from_cents, to_cents

#: Ageing buckets of the outstanding balance: (label, first day overdue, last day overdue).
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("Vencido 1–30 días", 1, 30),
    ("Vencido 31–60 días", 31, 60),
    ("Vencido 61–90 días", 61, 90),
    ("Vencido más de 90 días", 91, None),
)
NOT_INVOICED = "Por facturar"
NOT_DUE = "Por vencer"


@dataclass(frozen=True)
class Summary:
    """One row of the convenio list."""

    book: Ledger
    overdue_days: int


@dataclass(frozen=True)
class FacturaView:
    line: FacturaLine
    days_overdue: int
    named: list[ConvenioPayment]
    on_account_cents: int


@dataclass(frozen=True)
class Account:
    book: Ledger
    facturas: list[FacturaView]
    payments: list[ConvenioPayment]
    aging: list[tuple[str, int]]
    chart_sedes: str
    chart_aging: str


def days_overdue(line: FacturaLine, as_of: dt.date) -> int:
    """Days a factura with something outstanding is past its due date (0 if not)."""
    if line.outstanding_cents <= 0 or line.due_date >= as_of:
        return 0
    return (as_of - line.due_date).days


def oldest_overdue_days(book: Ledger) -> int:
    return max((days_overdue(ln, book.as_of) for ln in book.facturas), default=0)


def aging(book: Ledger) -> list[tuple[str, int]]:
    """The balance split by age, in céntimos: not invoiced yet, invoiced and not due, then
    overdue by days past due. Every bucket is listed (zeros too); a credit of the convenio
    (``unapplied``) is not ageable and is left out."""
    out = {NOT_INVOICED: sum(s.not_invoiced_cents for s in book.sedes), NOT_DUE: 0}
    out |= {label: 0 for label, _, _ in AGING_BUCKETS}
    for ln in book.facturas:
        if ln.outstanding_cents <= 0:
            continue
        days = days_overdue(ln, book.as_of)
        if days == 0:
            out[NOT_DUE] += ln.outstanding_cents
            continue
        for label, low, high in AGING_BUCKETS:
            if days >= low and (high is None or days <= high):
                out[label] += ln.outstanding_cents
                break
    return list(out.items())


def summaries(*, session: Session, sedes: list[str] | None, as_of: dt.date) -> list[Summary]:
    """Every convenio (active first, then by name) with its balance as of ``as_of``."""
    rows = convenio_service.list_convenios(session=session)
    rows.sort(key=lambda c: (not c.active, c.name))
    out = []
    for c in rows:
        book = ledger_service.ledger(session=session, convenio_id=c.id, sedes=sedes, as_of=as_of)
        out.append(Summary(book=book, overdue_days=oldest_overdue_days(book)))
    return out


def _facturas(book: Ledger, payments: Sequence[ConvenioPayment]) -> list[FacturaView]:
    views = []
    for ln in book.facturas:
        named = [p for p in payments if p.invoice_id == ln.factura.id]
        named_cents = min(sum(to_cents(p.amount) for p in named), ln.paid_cents)
        views.append(
            FacturaView(
                line=ln, days_overdue=days_overdue(ln, book.as_of), named=named,
                on_account_cents=ln.paid_cents - named_cents,
            )
        )  # fmt: skip
    return views


def charts(book: Ledger, buckets: list[tuple[str, int]]) -> tuple[str, str]:
    """SVG of the balance by sede and of the ageing buckets (see :mod:`central.web.charts`)."""
    by_sede = bar_chart(
        "Saldo por sede",
        [Bar(s.sede_code or s.sede_id, from_cents(s.balance_cents)) for s in book.sedes],
    )
    if any(cents for _, cents in buckets):
        by_age = bar_chart(
            "Antigüedad del saldo", [Bar(label, from_cents(c)) for label, c in buckets]
        )
    else:
        by_age = bar_chart("Antigüedad del saldo", [])
    return by_sede, by_age


def account(
    *, session: Session, convenio_id: str, sedes: list[str] | None, as_of: dt.date
) -> Account:
    """One convenio's account for the page: balance, facturas with their payments, all
    payments received (those the user may see), ageing and charts."""
    book = ledger_service.ledger(session=session, convenio_id=convenio_id, sedes=sedes, as_of=as_of)
    received = payments_service.list_payments(session=session, convenio_id=convenio_id, sedes=sedes)
    buckets = aging(book)
    chart_sedes, chart_aging = charts(book, buckets)
    return Account(
        book=book, facturas=_facturas(book, received), payments=received, aging=buckets,
        chart_sedes=chart_sedes, chart_aging=chart_aging,
    )  # fmt: skip
