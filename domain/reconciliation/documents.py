"""Findings about documents and cash: series gaps, paid orders without a document, documents
without an order, SUNAT rejections and deadlines, cash sessions open or over/short."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from domain.money import fmt_soles, from_cents
from domain.reconciliation.rows import (
    CANCELLED,
    CRITICAL,
    CRITICAL_CASH_FACTOR,
    FINAL_STATES,
    INVOICE_TYPES,
    MAX_LISTED,
    REJECTED,
    WARNING,
    DayData,
    Finding,
)


def series_gaps(data: DayData) -> list[Finding]:
    """Missing correlatives per series (from the day before's last number when known)."""
    by_series: dict[str, set[int]] = defaultdict(set)
    for d in data.day_documents():
        by_series[d.series].add(d.number)
    findings = []
    for series, numbers in sorted(by_series.items()):
        floor = data.series_floor.get(series)
        start = floor + 1 if floor is not None else min(numbers)
        missing = [n for n in range(start, max(numbers) + 1) if n not in numbers]
        if missing:
            findings.append(
                Finding(
                    kind="series_gap",
                    severity=CRITICAL,
                    message=f"Faltan {len(missing)} correlativo(s) en la serie {series}: "
                    + ", ".join(f"{series}-{n}" for n in missing[:10])
                    + ("…" if len(missing) > 10 else "."),
                    record_ids=tuple(f"{series}-{n}" for n in missing[:MAX_LISTED]),
                    key=f"series_gap:{series}",
                    details={"series": series, "missing": missing[:MAX_LISTED], "from": start},
                )
            )
    return findings


def paid_without_document(data: DayData) -> list[Finding]:
    """Orders whose patient part is paid in full and that have no factura or boleta."""
    invoiced = {d.order_id for d in data.documents if d.order_id and d.doc_type in INVOICE_TYPES}
    missing = [
        o
        for o in data.orders
        if o.status != CANCELLED
        and o.total - o.covered > 0
        and o.balance <= 0
        and o.id not in invoiced
    ]
    if not missing:
        return []
    amount = sum(o.total - o.covered for o in missing)
    return [
        Finding(
            kind="paid_without_document",
            severity=CRITICAL,
            message=f"{len(missing)} orden(es) pagada(s) sin comprobante por "
            f"{fmt_soles(from_cents(amount))}: " + ", ".join(o.number for o in missing[:10]),
            record_ids=tuple(o.id for o in missing[:MAX_LISTED]),
            amount=amount,
            key="paid_without_document",
            details={"numbers": [o.number for o in missing[:MAX_LISTED]]},
        )
    ]


def documents_without_order(data: DayData) -> list[Finding]:
    """Facturas and boletas of the day that name no order, or an order the hub does not have.
    A convenio's monthly factura bills many orders through its links, not one of its own."""
    known = data.known_order_ids | {o.id for o in data.orders}
    orphans = [
        d
        for d in data.day_documents()
        if d.doc_type in INVOICE_TYPES
        and (not d.order_id or d.order_id not in known)
        and d.id not in data.convenio_invoice_ids
    ]
    if not orphans:
        return []
    return [
        Finding(
            kind="document_without_order",
            severity=CRITICAL,
            message=f"{len(orphans)} comprobante(s) sin orden: "
            + ", ".join(f"{d.series}-{d.number}" for d in orphans[:10]),
            record_ids=tuple(d.id for d in orphans[:MAX_LISTED]),
            amount=sum(d.total for d in orphans),
            key="document_without_order",
            details={"documents": [f"{d.series}-{d.number}" for d in orphans[:MAX_LISTED]],
                     "missing_orders": sorted({d.order_id for d in orphans if d.order_id})},
        )
    ]  # fmt: skip


def sunat_problems(data: DayData, *, today: dt.date) -> list[Finding]:
    """Documents rejected by SUNAT, unsent past their deadline, or due today."""
    rejected = [d for d in data.day_documents() if d.state == REJECTED]
    overdue = [
        d
        for d in data.day_documents()
        if d.state not in FINAL_STATES and d.deadline is not None and d.deadline < today
    ]
    due = [
        d
        for d in data.day_documents()
        if d.state not in FINAL_STATES and d.deadline is not None and d.deadline == today
    ]
    out = []
    for kind, severity, docs, what in (
        ("document_rejected", CRITICAL, rejected, "rechazado(s) por SUNAT"),
        ("document_unsent_past_deadline", CRITICAL, overdue, "sin enviar pasado el plazo"),
        ("document_deadline_today", WARNING, due, "sin aceptar y con plazo que vence hoy"),
    ):
        if docs:
            out.append(
                Finding(
                    kind=kind,
                    severity=severity,
                    message=f"{len(docs)} comprobante(s) {what}: "
                    + ", ".join(f"{d.series}-{d.number}" for d in docs[:10]),
                    record_ids=tuple(d.id for d in docs[:MAX_LISTED]),
                    amount=sum(d.total for d in docs),
                    key=kind,
                    details={"documents": [f"{d.series}-{d.number}" for d in docs[:MAX_LISTED]]},
                )
            )
    return out


def cash_findings(data: DayData, *, threshold: int) -> list[Finding]:
    """Sessions still open, and cash over or short beyond the sede's threshold."""
    out = []
    for s in data.cash_sessions:
        if s.status != "cerrada":
            out.append(
                Finding(
                    kind="cash_session_open",
                    severity=WARNING,
                    message="Una caja del día sigue abierta.",
                    record_ids=(s.id,),
                    key=f"cash_session_open:{s.id}",
                    details={"cashier_id": s.cashier_id},
                )
            )
            continue
        diff = s.difference
        if abs(diff) > threshold:
            over = diff > 0
            out.append(
                Finding(
                    kind="cash_over" if over else "cash_short",
                    severity=CRITICAL if abs(diff) > threshold * CRITICAL_CASH_FACTOR else WARNING,
                    message=f"Caja con {'sobrante' if over else 'faltante'} de "
                    f"{fmt_soles(from_cents(abs(diff)))}"
                    f" (umbral {fmt_soles(from_cents(threshold))}).",
                    record_ids=(s.id,),
                    amount=diff,
                    expected=sum(s.expected.values()),
                    actual=sum(s.declared.values()),
                    key=f"cash:{s.id}",
                    details={"cashier_id": s.cashier_id, "threshold_cents": threshold},
                )
            )
    return out
