"""Building the resúmenes diarios (RC) that are due: signed, stored and queued for sending.

Boletas sent by summary (condition 1) and boletas voided in a summary (condition 3) are grouped
by business date, at most :data:`MAX_LINES` per summary, and named per RUC and issue date
(:mod:`edge.billing.summary_names`). Sending and polling is :mod:`edge.billing.summaries`;
:func:`store_summary` is shared with the comunicaciones de baja (:mod:`edge.billing.voids`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlmodel import Session, select

from domain.clock import LIMA, business_date
from domain.sunat import (
    SummaryCondition,
    SummaryDocument,
    build_summary,
    check_summary,
    summary_line_from_document,
)
from domain.sunat.ubl import summary_filename
from edge.billing import files, summary_names
from edge.billing.documents import issuer_for, this_sede, to_document
from edge.billing.models import (
    ACEPTADO,
    OBSERVADO,
    PENDIENTE,
    SEND_SUMMARY,
    Invoice,
    InvoiceFile,
    SunatSummary,
)
from edge.billing.sender import company_ruc
from edge.billing.signer import get_signer
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime

MAX_LINES = 500


def store_summary(
    session: Session,
    rt: EdgeRuntime,
    *,
    sede_id: str,
    kind: str,
    name: str,
    correlative: int,
    reference: dt.date,
    lines: list[dict[str, str]],
    signed: Any,
    stem: str,
    now: dt.datetime,
) -> SunatSummary:
    """The queued RC/RA row, its signed XML in ``invoice_file`` and, after the commit, on disk."""
    today = business_date(now)
    row = SunatSummary(
        sede_id=sede_id,
        kind=kind,
        name=name,
        correlative=correlative,
        issue_date=today,
        reference_date=reference,
        lines=lines,
        digest_value=signed.digest_value,
        xml_path=files.xml_relpath(today, stem),
        next_attempt_at=now,
        business_date=today,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    session.add(
        InvoiceFile(
            owner_id=row.id, kind="xml", filename=stem + ".xml", content=signed.xml, created_at=now
        )
    )
    files.write_after_commit(session, rt.settings.data_dir, row.xml_path, signed.xml)
    return row


def _create(
    session: Session, rt: EdgeRuntime, reference: dt.date, items: list[tuple[Invoice, str]]
) -> SunatSummary | None:
    """None when the day has no safe name left (the items wait for the next day)."""
    now = rt.clock.now()
    today = business_date(now)
    sede = this_sede(session, items[0][0].sede_id)
    correlative = summary_names.next_correlative(
        session,
        sede_id=sede.id,
        sede_code=sede.code,
        kind="RC",
        issue=today,
        ruc=company_ruc(session),
        data_dir=rt.settings.data_dir,
    )
    if correlative is None:
        return None
    summary = SummaryDocument(
        issuer=issuer_for(session, sede),
        issue_date=today,
        reference_date=reference,
        correlative=correlative,
        lines=tuple(
            summary_line_from_document(to_document(session, inv), SummaryCondition(cond))
            for inv, cond in items
        ),
    )
    check_summary(summary)
    signed = get_signer(rt.settings).sign_tree(build_summary(summary))
    stem = summary_filename(summary.issuer.ruc, summary.id)
    row = store_summary(
        session,
        rt,
        sede_id=sede.id,
        kind="RC",
        name=summary.id,
        correlative=correlative,
        reference=reference,
        lines=[{"invoice_id": inv.id, "condition": cond} for inv, cond in items],
        signed=signed,
        stem=stem,
        now=now,
    )
    for inv, cond in items:
        if cond == SummaryCondition.VOID.value:
            inv.void_summary_id = row.id
        else:
            inv.summary_id = row.id
        inv.updated_at = now
        session.add(inv)
    return row


def build_due_summaries(rt: EdgeRuntime, *, force: bool = False) -> list[str]:
    """Create the RC documents that are due; returns their names. Earlier days' boletas are
    always due; today's after ``sunat_summary_hour`` (or with ``force``)."""
    now = rt.clock.now()
    today = business_date(now)
    late = now.astimezone(LIMA).hour >= rt.settings.sunat_summary_hour
    names: list[str] = []
    with unit_of_work(rt.engine) as session:
        groups: dict[tuple[dt.date, str], list[tuple[Invoice, str]]] = defaultdict(list)
        to_report = session.exec(
            select(Invoice).where(
                Invoice.send_mode == SEND_SUMMARY,
                Invoice.summary_id == None,  # noqa: E711
                Invoice.state == PENDIENTE,
            )
        ).all()
        for inv in to_report:
            if inv.business_date < today or force or late or inv.void_requested:
                groups[(inv.business_date, "1")].append((inv, "1"))
        to_void = session.exec(
            select(Invoice).where(
                Invoice.void_requested == True,  # noqa: E712
                Invoice.void_summary_id == None,  # noqa: E711
                Invoice.state.in_((ACEPTADO, OBSERVADO)),  # type: ignore[attr-defined]
                Invoice.series.startswith("B"),  # type: ignore[attr-defined]  # facturas: RA
            )
        ).all()
        for inv in to_void:
            groups[(inv.business_date, "3")].append((inv, "3"))
        for (reference, _cond), items in sorted(groups.items(), key=lambda kv: kv[0]):
            items.sort(key=lambda pair: (pair[0].series, pair[0].number))
            for start in range(0, len(items), MAX_LINES):
                row = _create(session, rt, reference, items[start : start + MAX_LINES])
                if row is None:
                    return names
                names.append(row.name)
    return names


__all__ = ["MAX_LINES", "build_due_summaries", "store_summary"]
