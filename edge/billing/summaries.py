"""Resumen diario (RC): boletas reported (condition 1) or voided (condition 3) in batches.

The same job builds, sends and polls the comunicaciones de baja (RA) of facturas, see
:mod:`edge.billing.voids` (same ticket flow, retries and circuit breaker).

Used for boletas (and notes on boletas) when ``boletas_via_summary`` is on, and always for a
same-day boleta voided before it was sent (reported with 1, then voided with 3 once SUNAT
accepted the first summary). ``sendSummary`` answers a ticket; ``getStatus`` answers 98
(still processing) until 0 (accepted, CDR) or 99 (rejected, CDR).

The due RCs are built by :mod:`edge.billing.summary_build`. Summary names are ``RC-YYYYMMDD-N``
per RUC and issue date, N = ``<sede number> * 100 + k`` (S01 → 101, 102 ...; S12 → 1201 ...):
two sedes never produce the same name, and a restore never makes a sede reuse one
(:mod:`edge.billing.summary_names`).

After a restore, a summary whose ticket only the re-imported attempt log (``sunat_submission``)
still knows is put back on the ticket path — polled, never sent again
(:mod:`edge.billing.ticket_resume`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from domain.clock import business_date
from domain.sunat.ubl import summary_filename
from edge.billing import hubcopy, ticket_resume, voids
from edge.billing.context import bind
from edge.billing.documents import alarm_due
from edge.billing.models import (
    ACEPTADO,
    ANULADO,
    ENVIADO,
    ERROR_RED,
    FINAL_STATES,
    PENDIENTE,
    RECHAZADO,
    Invoice,
    InvoiceFile,
    SunatSubmission,
    SunatSummary,
)
from edge.billing.sender import company_ruc, store_cdr
from edge.billing.summary_build import build_due_summaries
from edge.billing.sunat_client import SunatClient
from edge.billing.sunat_errors import SunatError, SunatRejected, SunatUnavailable
from edge.billing.transport import backoff_seconds, breaker_for, make_client
from edge.db import read_session, unit_of_work
from edge.runtime import EdgeRuntime
from edge.worker import job

MAX_LINES = 500


@dataclass
class SummaryReport:
    created: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    polled: dict[str, int] = field(default_factory=dict)
    breaker_open: bool = False
    resumed: list[str] = field(default_factory=list)  # tickets known only from the attempt log


def _apply_answer(
    session: Session, rt: EdgeRuntime, row: SunatSummary, status_code: int, cdr: Any
) -> None:
    now = rt.clock.now()
    row.status_code = status_code
    accepted = status_code == 0
    row.state = ACEPTADO if accepted else RECHAZADO
    if cdr is not None:
        ticket_resume.settle_name(session, row, cdr.reference_id)  # a row rebuilt after a restore
        row.sunat_code, row.sunat_description = str(cdr.response_code), cdr.description
        stem = summary_filename(company_ruc(session), row.name)
        row.cdr_path = store_cdr(session, rt, row.id, row.business_date, stem, cdr)
    if row.kind == "RA":
        voids.apply_answer(session, rt, row, accepted)
        return
    for line in row.lines:
        inv = session.get(Invoice, line["invoice_id"])
        if inv is None:
            continue
        if line["condition"] == "3":
            if accepted:
                inv.state = ANULADO
            else:
                inv.void_summary_id = None  # try again in a later summary
                inv.last_error = f"Resumen {row.name} rechazado: {row.sunat_description}"
        else:
            inv.state = ACEPTADO if accepted else RECHAZADO
            inv.sunat_code, inv.sunat_description = row.sunat_code, row.sunat_description
            inv.cdr_path = row.cdr_path
            session.flush()
            hubcopy.publish(session, inv, now=now, cdr_owner_id=row.id)
        inv.updated_at = now
        session.add(inv)


def _submission(row: SunatSummary, operation: str, now: dt.datetime) -> SunatSubmission:
    return SunatSubmission(
        sede_id=row.sede_id,
        summary_id=row.id,
        operation=operation,
        attempt=row.attempts,
        ticket=row.ticket,
        business_date=row.business_date,
        started_at=now,
    )


def _send(rt: EdgeRuntime, client: SunatClient, summary_id: str) -> str:
    """Send one RC (mark + attempt row committed first), store its ticket."""
    with unit_of_work(rt.engine) as session:
        row = session.get(SunatSummary, summary_id)
        assert row is not None
        now = rt.clock.now()
        xml = session.exec(
            select(InvoiceFile).where(InvoiceFile.owner_id == row.id, InvoiceFile.kind == "xml")
        ).one()
        stem = summary_filename(company_ruc(session), row.name)
        row.state, row.attempts, row.updated_at = ENVIADO, row.attempts + 1, now
        sub = _submission(row, "sendSummary", now)
        session.add_all([row, sub])
        session.flush()
        sub_id, content = sub.id, xml.content
    error: SunatError | None = None
    ticket: str | None = None
    try:
        ticket = client.send_summary(stem + ".zip", content)
    except SunatError as exc:
        error = exc
    with unit_of_work(rt.engine) as session:
        row = session.get(SunatSummary, summary_id)
        found = session.get(SunatSubmission, sub_id)
        assert row is not None and found is not None
        sub = found
        now = rt.clock.now()
        sub.finished_at = now
        if ticket is not None:
            row.ticket, sub.ticket, sub.outcome = ticket, ticket, "ticket"
            row.next_attempt_at = now
        elif isinstance(error, SunatRejected):
            row.state, sub.outcome = RECHAZADO, RECHAZADO
            row.sunat_code, row.sunat_description = error.sunat_code, error.description
            _apply_answer(session, rt, row, 99, None)
        else:
            assert error is not None
            row.state, sub.outcome = ERROR_RED, ERROR_RED
            row.last_error = error.msg
            row.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(row.attempts))
        if error is not None:
            sub.sunat_code, sub.description = error.sunat_code, error.description
        row.updated_at = now
        session.add_all([row, sub])
        return row.state


def _poll(rt: EdgeRuntime, client: SunatClient, summary_id: str) -> int | None:
    with read_session(rt.engine) as session:
        row = session.get(SunatSummary, summary_id)
        assert row is not None and row.ticket
        ticket = row.ticket
    try:
        status = client.get_status(ticket)
    except SunatUnavailable:
        return None
    with unit_of_work(rt.engine) as session:
        row = session.get(SunatSummary, summary_id)
        assert row is not None
        now = rt.clock.now()
        sub = _submission(row, "getStatus", now)
        sub.finished_at, sub.outcome = now, str(status.status_code)
        session.add(sub)
        if status.in_process:
            row.status_code = status.status_code
            # Asked again at the next round: the job's interval (15 s at a sede) paces the polls
            # (a fixed 10 s on top of it made every ticket wait for two rounds).
            row.next_attempt_at = now
        else:
            _apply_answer(session, rt, row, status.status_code, status.cdr)
        row.updated_at = now
        session.add(row)
    return status.status_code


def refresh_alarms(rt: EdgeRuntime) -> int:
    """Set the replicated ``alarm`` flag of documents near or past their deadline."""
    today = business_date(rt.clock.now())
    changed = 0
    # Only the rows whose flag changes (alarm_due in SQL; alarm_due itself still decides): the
    # unanswered documents pile up while SUNAT is down, and loading them all every 15 s made
    # the worker's memory grow with that backlog.
    should = and_(
        col(Invoice.state) != ANULADO,
        or_(col(Invoice.state).notin_(FINAL_STATES), col(Invoice.void_requested)),
        col(Invoice.business_date) <= today - dt.timedelta(days=1),
        col(Invoice.deadline) <= today + dt.timedelta(days=1),
    )
    with unit_of_work(rt.engine) as session:
        rows = session.exec(
            select(Invoice).where(
                or_(and_(should, ~col(Invoice.alarm)), and_(~should, col(Invoice.alarm)))
            )
        ).all()
        for inv in rows:
            due = alarm_due(inv, today)
            if due != inv.alarm:
                inv.alarm = due
                session.add(inv)
                changed += 1
    return changed


def summaries_round(
    rt: EdgeRuntime, *, client: SunatClient | None = None, force: bool = False
) -> SummaryReport:
    """One round: build due RCs, send pending ones, poll tickets (``sunat.summaries`` job)."""
    bind(rt)
    report = SummaryReport()
    refresh_alarms(rt)
    report.resumed = ticket_resume.resume_tickets(rt)  # before anything could send them again
    report.created = build_due_summaries(rt, force=force) + voids.build_due_voids(rt)
    breaker = breaker_for(rt.engine, rt.settings)
    now = rt.clock.now()
    if breaker.is_open(now):
        report.breaker_open = True
        return report
    with read_session(rt.engine) as session:
        to_send = session.exec(
            select(SunatSummary.id).where(
                SunatSummary.state.in_((PENDIENTE, ERROR_RED)),  # type: ignore[attr-defined]
                SunatSummary.next_attempt_at <= now,  # type: ignore[operator]
            )
        ).all()
        interrupted = session.exec(
            select(SunatSummary.id).where(
                SunatSummary.state == ENVIADO,
                SunatSummary.ticket == None,  # noqa: E711
            )
        ).all()
        to_poll = session.exec(
            select(SunatSummary.id).where(
                SunatSummary.state == ENVIADO,
                SunatSummary.ticket != None,  # noqa: E711
                SunatSummary.next_attempt_at <= now,  # type: ignore[operator]
            )
        ).all()
        ruc = company_ruc(session)
    if not (to_send or interrupted or to_poll):
        return report
    http: httpx.Client | None = None
    if client is None:
        http = httpx.Client()
        client = make_client(rt.settings, http, ruc=ruc)
    try:
        if client is None:
            return report
        # A crash between marking and storing the ticket: the same bytes again (SUNAT answers
        # the same ticket for the same file).
        for summary_id in [*interrupted, *to_send]:
            state = _send(rt, client, summary_id)
            if state == ERROR_RED:
                if breaker.failure(rt.clock.now()):
                    report.breaker_open = True
                    return report
            else:
                breaker.success()
                report.sent.append(summary_id)
        for summary_id in to_poll:
            code = _poll(rt, client, summary_id)
            if code is not None:
                report.polled[summary_id] = code
    finally:
        if http is not None:
            http.close()
    return report


@job("sunat.summaries", seconds=15)  # cheap when idle; a ticket is polled within ~15 s
def summaries_job(rt: EdgeRuntime) -> Any:
    return summaries_round(rt)


__all__ = ["SummaryReport", "refresh_alarms", "summaries_round"]
