"""Summaries (RC / RA) whose ticket only the re-imported attempt log still knows (after a restore).

``sunat_summary`` is local (not replicated); its attempt log ``sunat_submission`` is. A node
restored from an older copy (:mod:`edge.sync.restore`) gets back the submissions and documents
it had pushed after that copy, but the summary row is either gone (the summary was built after
the copy) or stale (built before, sent after: still ``pendiente`` / ``error_red``, or
``enviado`` without its ticket). The documents keep pointing at it (``summary_id`` /
``void_summary_id``) and nothing would poll the ticket SUNAT gave: the boletas would wait for
their deadline alarm, and a stale row would even be sent again (a duplicate, which SUNAT may
answer with 2223 and a rejection).

:func:`resume_tickets` (first step of every ``sunat.summaries`` round) finds each summary with a
ticket in its submissions and no final answer (no ``getStatus`` other than 98) whose local row
is missing or has no ticket, and puts it back on the ticket path: a stale row takes the ticket
(``enviado``, never sent again); a missing row is rebuilt from the documents that point at it
(kind, lines, dates; provisional name until SUNAT's CDR gives the real one, see
:func:`settle_name`). The round then polls it with ``getStatus`` and applies the answer exactly
as for any RC / RA (:func:`edge.billing.summaries._apply_answer`). A summary whose ticket is not
known (none in its submissions) is left to the existing path.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from sqlalchemy import exists, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from domain.sunat import DocumentType
from edge.billing.models import (
    ENVIADO,
    FINAL_STATES,
    Invoice,
    InvoiceFile,
    SummaryFloor,
    SunatSubmission,
    SunatSummary,
)
from edge.billing.rebuild import rebuild_xml
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime

log = logging.getLogger("labred.edge.billing")

#: Name of a rebuilt row until SUNAT's CDR tells the real one (``RC-20260310-T<ticket>``).
_PROVISIONAL = re.compile(r"^(RC|RA)-\d{8}-T")
_REAL = re.compile(r"^(RC|RA)-(\d{8})-(\d{1,5})$")
#: ``getStatus`` outcome of a ticket still in process (any other one is SUNAT's final answer).
IN_PROCESS = "98"


def _candidates(session: Session) -> list[Any]:
    """The latest ticketed submission of each summary to resume (see the module docstring)."""
    sub = SunatSubmission.__table__  # type: ignore[attr-defined]
    summ = SunatSummary.__table__  # type: ignore[attr-defined]
    final = sub.alias("final")
    query = (
        sa_select(sub)
        .where(
            sub.c.summary_id > "",  # (not IS NOT NULL: this one walks the summary_id index)
            sub.c.ticket.is_not(None),
            ~exists().where(  # the local row already knows its ticket or its answer
                summ.c.id == sub.c.summary_id,
                or_(summ.c.ticket.is_not(None), summ.c.state.in_(FINAL_STATES)),
            ),
            ~exists().where(  # SUNAT's final answer is already in the log
                final.c.summary_id == sub.c.summary_id,
                final.c.operation == "getStatus",
                final.c.outcome.is_not(None),
                final.c.outcome != IN_PROCESS,
            ),
        )
        .order_by(sub.c.started_at)
    )
    latest: dict[str, Any] = {}
    for row in session.connection().execute(query):
        latest[row.summary_id] = row  # ordered by time: the last ticket wins
    return list(latest.values())


def _restored(session: Session) -> bool:
    """Only a node that was restored can hold such submissions: every restore that takes
    records back closes its day's summary names (``summary_floor``,
    :func:`edge.billing.summary_names.close_day`); one indexed read for any other node."""
    floor = SummaryFloor.__table__  # type: ignore[attr-defined]
    return session.connection().execute(sa_select(floor.c.issue_date).limit(1)).first() is not None


def _rebuild_row(session: Session, rt: EdgeRuntime, sub: Any, now: dt.datetime) -> SunatSummary:
    """The lost summary row, from the documents that point at it and its attempt log."""
    reported = session.exec(select(Invoice).where(Invoice.summary_id == sub.summary_id)).all()
    voided = session.exec(select(Invoice).where(Invoice.void_summary_id == sub.summary_id)).all()
    kind = (
        "RA"
        if any(inv.doc_type == DocumentType.FACTURA.value for inv in voided) and not reported
        else "RC"
    )
    items = sorted(
        [(inv, "1") for inv in reported] + [(inv, "3") for inv in voided],
        key=lambda pair: (pair[0].series, pair[0].number, pair[1]),
    )
    sends = session.exec(
        select(SunatSubmission).where(
            SunatSubmission.summary_id == sub.summary_id,
            SunatSubmission.operation == "sendSummary",
        )
    ).all()
    row = SunatSummary(
        id=sub.summary_id,
        sede_id=sub.sede_id,
        kind=kind,
        name=f"{kind}-{sub.business_date:%Y%m%d}-T{sub.ticket}"[:40],
        correlative=0,  # unknown until the CDR; 0 never raises the day's next name
        issue_date=sub.business_date,
        reference_date=min((inv.business_date for inv, _ in items), default=sub.business_date),
        lines=[{"invoice_id": inv.id, "condition": cond} for inv, cond in items],
        state=ENVIADO,
        ticket=sub.ticket,
        attempts=max([s.attempt for s in sends], default=sub.attempt),
        next_attempt_at=now,
        business_date=sub.business_date,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    for inv in reported:  # their XML, so the answer reaches the hub with it (hubcopy.publish)
        has_xml = session.exec(
            select(InvoiceFile.id).where(InvoiceFile.owner_id == inv.id, InvoiceFile.kind == "xml")
        ).first()
        if has_xml is None:
            rebuild_xml(session, rt.settings, inv)  # kept only when it is the document issued
    return row


def resume_tickets(rt: EdgeRuntime) -> list[str]:
    """Put every summary whose ticket only the attempt log knows back on the ticket path
    (polled by the same round); returns their ids."""
    resumed: list[str] = []
    with unit_of_work(rt.engine) as session:
        candidates = _candidates(session) if _restored(session) else []
        now = rt.clock.now()
        for sub in candidates:
            row = session.get(SunatSummary, sub.summary_id)
            if row is None:
                row = _rebuild_row(session, rt, sub, now)
                log.warning(
                    "summary %s lost in a restore: rebuilt with %d lines, polling ticket %s",
                    row.id,
                    len(row.lines),
                    sub.ticket,
                )
            else:  # stale copy: take the ticket SUNAT gave, never send the file again
                log.warning(
                    "summary %s: ticket %s taken from its attempt log", row.name, sub.ticket
                )
                row.ticket, row.state = sub.ticket, ENVIADO
                row.attempts = max(row.attempts, sub.attempt)
                row.next_attempt_at, row.updated_at = now, now
                row.last_error = None
                session.add(row)
            resumed.append(row.id)
    return resumed


def settle_name(session: Session, row: SunatSummary, reference_id: str) -> None:
    """A rebuilt row takes its real name and correlative from SUNAT's CDR (``ReferenceID``)."""
    if not _PROVISIONAL.match(row.name):
        return
    found = _REAL.match(reference_id.strip())
    if found is None or found.group(1) != row.kind:
        log.warning("summary %s: CDR reference %r not used as its name", row.id, reference_id)
        return
    taken = session.exec(
        select(SunatSummary.id).where(
            SunatSummary.name == found.group(0), SunatSummary.id != row.id
        )
    ).first()
    if taken is None:
        row.name, row.correlative = found.group(0), int(found.group(3))


__all__ = ["resume_tickets", "settle_name"]
