"""A convenio's monthly statement as a file (xlsx or PDF): its orders of the month across the
sedes, the facturas issued and the payments received in the month, and the opening and closing
balance (:func:`central.convenios.ledger.ledger` as of the day before the month and as of its
last day) per sede."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlmodel import Session

from central.convenios import accounts, ledger, payments
from central.reports.export import Sheet, render
from domain.money import fmt_soles, from_cents


def statement_file(
    *, session: Session, convenio_id: str, month: str, sedes: list[str] | None, fmt: str
) -> tuple[bytes, str]:
    """``(content, filename)`` of the statement of ``month`` (``AAAA-MM``)."""
    first, last = accounts.month_range(month)
    convenio, lines, _ = accounts.orders(
        session=session, convenio_id=convenio_id, sedes=sedes, date_from=first, date_to=last
    )
    detail = Sheet(
        "Órdenes",
        ["Fecha", "Sede", "Orden", "Paciente", "Documento", "Estado", "Total", "Cubierto",
         "Paciente pagó"],
        [
            [f"{o.business_date:%d/%m/%Y}", o.sede_code, o.number, o.patient_name,
             o.patient_document, o.status, from_cents(o.total_cents),
             from_cents(o.covered_cents), from_cents(o.patient_cents)]
            for o in lines
        ],
    )  # fmt: skip
    opening = ledger.ledger(
        session=session, convenio_id=convenio_id, sedes=sedes, as_of=first - dt.timedelta(days=1)
    )
    closing = ledger.ledger(session=session, convenio_id=convenio_id, sedes=sedes, as_of=last)
    issued = [ln for ln in closing.facturas if first <= ln.factura.business_date <= last]
    facturas = Sheet(
        "Facturas",
        ["Fecha", "Sede", "Factura", "Importe", "Pagado", "Saldo", "Vence", "Vencida"],
        [
            [f"{ln.factura.business_date:%d/%m/%Y}", ln.factura.sede_code, ln.factura.ref,
             from_cents(ln.factura.payable_cents), from_cents(ln.paid_cents),
             from_cents(ln.outstanding_cents), f"{ln.due_date:%d/%m/%Y}",
             "sí" if ln.due_date < last and ln.outstanding_cents > 0 else "no"]
            for ln in issued
        ],
    )  # fmt: skip
    received = payments.list_payments(
        session=session, convenio_id=convenio_id, sedes=sedes, date_from=first, date_to=last
    )
    paid = Sheet(
        "Pagos",
        ["Fecha", "Medio", "Referencia", "Factura", "Monto"],
        [
            [f"{p.paid_on:%d/%m/%Y}", p.method, p.reference,
             f"{p.invoice_series}-{p.invoice_number}" if p.invoice_series else "a cuenta",
             p.amount]
            for p in received
        ],
    )  # fmt: skip
    before = {s.sede_id: s.balance_cents for s in opening.sedes}
    per_sede: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in lines:
        per_sede[o.sede_id][0] += 1
        per_sede[o.sede_id][1] += o.covered_cents
    rows: list[list[object]] = [
        [s.sede_code, per_sede[s.sede_id][0], from_cents(before.get(s.sede_id, 0)),
         from_cents(per_sede[s.sede_id][1]), from_cents(s.invoiced_cents),
         from_cents(s.not_invoiced_cents), from_cents(s.overdue_cents),
         from_cents(s.balance_cents)]
        for s in closing.sedes
    ]  # fmt: skip
    if closing.unapplied_cents or opening.unapplied_cents:
        rows.append(
            ["A cuenta", 0, from_cents(-opening.unapplied_cents), from_cents(0), from_cents(0),
             from_cents(0), from_cents(0), from_cents(-closing.unapplied_cents)]
        )  # fmt: skip
    covered = sum(o.covered_cents for o in lines)
    rows.append(
        ["Total", len(lines), from_cents(opening.balance_cents), from_cents(covered),
         from_cents(sum(s.invoiced_cents for s in closing.sedes)),
         from_cents(sum(s.not_invoiced_cents for s in closing.sedes)),
         from_cents(sum(s.overdue_cents for s in closing.sedes)),
         from_cents(closing.balance_cents)]
    )  # fmt: skip
    summary = Sheet(
        "Resumen",
        ["Sede", "Órdenes del mes", "Saldo inicial", "Cubierto del mes", "Facturado",
         "Por facturar", "Vencido", "Saldo final"],
        rows,
    )  # fmt: skip
    title = f"Estado de cuenta — {convenio.name} (RUC {convenio.ruc})"
    subtitle = (
        f"Periodo {first:%d/%m/%Y} al {last:%d/%m/%Y} · {len(lines)} orden(es) · "
        f"cubierto {fmt_soles(from_cents(covered))} · {len(issued)} factura(s) · "
        f"{len(received)} pago(s) · saldo al {last:%d/%m/%Y}: "
        f"{fmt_soles(from_cents(closing.balance_cents))} ({convenio.credit_days} días de crédito)"
    )
    content = render(fmt, title, [summary, detail, facturas, paid], subtitle=subtitle)
    return content, f"estado-cuenta-{convenio.ruc}-{month}.{fmt}"
