"""The SUNAT queue worker for documents sent one by one (``sendBill``).

States: pendiente → enviado → aceptado / observado / rechazado, plus error_red (retry with
exponential backoff and jitter, ``next_attempt_at``) and por_reenviar (re-queued; SUNAT is
asked with ``getStatusCdr`` before the same bytes go again).

Crash safety: each attempt is two transactions. The first marks the document ``enviado`` and
writes an open ``sunat_submission`` row, and commits, *before* SUNAT is called; the second
stores the answer. A document found ``enviado`` at the start of a round lost its answer to a
crash: it becomes por_reenviar + in doubt, so the next try asks getStatusCdr first and sends
only if SUNAT has nothing. "Already registered" (1033 / 1032) is resolved by fetching the CDR,
never by a new number. A circuit breaker stops calling SUNAT for a while after consecutive
outages.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlmodel import Session, select

from domain.sunat import sunat_filename
from edge.billing import fence, files, hubcopy
from edge.billing.cdr_parser import CdrResult
from edge.billing.context import bind
from edge.billing.models import (
    ACEPTADO,
    ENVIADO,
    ERROR_RED,
    OBSERVADO,
    POR_REENVIAR,
    RECHAZADO,
    SEND_BILL,
    SENDABLE_STATES,
    Invoice,
    InvoiceFile,
    SunatSubmission,
)
from edge.billing.rebuild import rebuild_xml
from edge.billing.sunat_client import SunatClient
from edge.billing.sunat_errors import (
    SunatAlreadyRegistered,
    SunatError,
    SunatRejected,
    SunatUnavailable,
)
from edge.billing.transport import backoff_seconds, breaker_for, make_client
from edge.config.models import Company
from edge.db import read_session, unit_of_work
from edge.runtime import EdgeRuntime
from edge.worker import job

log = logging.getLogger("labred.edge.billing")
_JOBS = (fence,)  # imported for its ``billing.series_fence`` worker job

#: A note waits this long before checking again whether its original was accepted.
NOTE_WAIT_SECONDS = 60


@dataclass
class RoundReport:
    sent: int = 0
    answered: dict[str, int] = field(default_factory=dict)
    failures: int = 0
    recovered: int = 0
    breaker_open: bool = False

    def count(self, state: str) -> None:
        self.answered[state] = self.answered.get(state, 0) + 1


@dataclass(frozen=True)
class _Outcome:
    kind: str  # cdr | rejected | unavailable | already | error
    cdr: CdrResult | None = None
    error: Exception | None = None
    operation: str = "sendBill"


def company_ruc(session: Session) -> str:
    company = session.exec(select(Company)).first()
    return company.ruc if company is not None else ""


def store_cdr(
    session: Session,
    rt: EdgeRuntime,
    owner_id: str,
    business_date: dt.date,
    stem: str,
    cdr: CdrResult,
) -> str:
    """Keep the CDR bytes in the database and as ``R-<stem>.zip``; returns the relative path."""
    content = cdr.raw_zip or cdr.raw_xml
    now = rt.clock.now()
    existing = session.exec(
        select(InvoiceFile).where(InvoiceFile.owner_id == owner_id, InvoiceFile.kind == "cdr")
    ).first()
    if existing is None:
        existing = InvoiceFile(
            owner_id=owner_id, kind="cdr", filename="", content=b"", created_at=now
        )
    existing.filename = f"R-{stem}.zip"
    existing.content = content
    session.add(existing)
    relpath = files.cdr_relpath(business_date, stem)
    files.write_after_commit(session, rt.settings.data_dir, relpath, content)
    return relpath


def recover_interrupted(rt: EdgeRuntime) -> int:
    """Documents left ``enviado`` by a crash: ask SUNAT first on their next try."""
    with unit_of_work(rt.engine) as session:
        stuck = session.exec(
            select(Invoice).where(Invoice.state == ENVIADO, Invoice.send_mode == SEND_BILL)
        ).all()
        now = rt.clock.now()
        for inv in stuck:
            inv.state, inv.in_doubt, inv.next_attempt_at = POR_REENVIAR, True, now
            inv.last_error = "Envío interrumpido: se consultará el estado en SUNAT."
            inv.updated_at = now
            session.add(inv)
            for sub in session.exec(
                select(SunatSubmission).where(
                    SunatSubmission.invoice_id == inv.id,
                    SunatSubmission.outcome == None,  # noqa: E711
                )
            ):
                sub.outcome, sub.finished_at = "interrumpido", now
                session.add(sub)
        return len(stuck)


def _begin(rt: EdgeRuntime, invoice_id: str) -> tuple[Invoice, bytes, str, str] | None:
    """Transaction 1: mark ``enviado`` + open attempt row, committed before SUNAT is called."""
    with unit_of_work(rt.engine) as session:
        inv = session.get(Invoice, invoice_id)
        now = rt.clock.now()
        if inv is None or inv.state not in SENDABLE_STATES or inv.send_mode != SEND_BILL:
            return None
        if inv.reference_invoice_id:
            original = session.get(Invoice, inv.reference_invoice_id)
            if original is not None and original.state not in (ACEPTADO, OBSERVADO):
                # SUNAT needs the original first; a pending one goes in this same queue.
                inv.next_attempt_at = now + dt.timedelta(seconds=NOTE_WAIT_SECONDS)
                session.add(inv)
                return None
        xml = session.exec(
            select(InvoiceFile).where(InvoiceFile.owner_id == inv.id, InvoiceFile.kind == "xml")
        ).first() or rebuild_xml(session, rt.settings, inv)  # re-imported by a restore
        if xml is None:
            inv.next_attempt_at, inv.alarm = None, True  # out of the queue, for the operator
            inv.last_error = (
                "XML firmado no disponible tras la restauración y no reconstruible: revise el"
                " comprobante antes de reenviarlo."
            )
            inv.updated_at = now
            session.add(inv)
            log.error("%s has no signed XML and cannot be rebuilt", inv.full_number)
            return None
        ruc = company_ruc(session)
        operation = "getStatusCdr" if inv.in_doubt else "sendBill"
        inv.state = ENVIADO
        inv.attempts += 1
        inv.updated_at = now
        session.add(inv)
        sub = SunatSubmission(
            sede_id=inv.sede_id,
            invoice_id=inv.id,
            operation=operation,
            attempt=inv.attempts,
            business_date=inv.business_date,
            started_at=now,
        )
        session.add(sub)
        session.flush()
        # the bytes sent are the row's: a file the full disk refuses is written later
        files.try_write(rt.settings.data_dir, inv.xml_path, xml.content, missing_only=True)
        return inv, xml.content, ruc, sub.id


def _call(client: SunatClient, inv: Invoice, xml: bytes, ruc: str) -> _Outcome:
    """Talk to SUNAT (no database work here)."""
    stem = sunat_filename(ruc, inv.doc_type, inv.series, inv.number)
    operation = "sendBill"
    try:
        if inv.in_doubt:
            operation = "getStatusCdr"
            cdr = client.get_status_cdr(ruc, inv.doc_type, inv.series, inv.number)
            if cdr is not None:
                return _Outcome("cdr", cdr=cdr, operation=operation)
            operation = "sendBill"
        return _Outcome("cdr", cdr=client.send_bill(stem + ".zip", xml), operation=operation)
    except SunatAlreadyRegistered as exc:
        try:
            cdr = client.get_status_cdr(ruc, inv.doc_type, inv.series, inv.number)
        except SunatUnavailable as again:
            return _Outcome("unavailable", error=again, operation="getStatusCdr")
        if cdr is not None:
            return _Outcome("cdr", cdr=cdr, error=exc, operation="getStatusCdr")
        return _Outcome("already", error=exc, operation=operation)
    except SunatRejected as exc:
        return _Outcome("rejected", error=exc, operation=operation)
    except SunatUnavailable as exc:
        return _Outcome("unavailable", error=exc, operation=operation)
    except SunatError as exc:
        return _Outcome("error", error=exc, operation=operation)
    except Exception as exc:  # noqa: BLE001 - a bug must not lose the document
        log.exception("unexpected error sending %s-%s", inv.series, inv.number)
        return _Outcome("error", error=exc, operation=operation)


def _finish(rt: EdgeRuntime, invoice_id: str, sub_id: str, ruc: str, out: _Outcome) -> str:
    """Transaction 2: store SUNAT's answer (or schedule the retry). Returns the new state."""
    with unit_of_work(rt.engine) as session:
        inv = session.get(Invoice, invoice_id)
        sub = session.get(SunatSubmission, sub_id)
        assert inv is not None and sub is not None
        now = rt.clock.now()
        stem = sunat_filename(ruc, inv.doc_type, inv.series, inv.number)
        sub.operation = out.operation
        sub.finished_at = now
        err = out.error
        if out.kind == "cdr" and out.cdr is not None:
            cdr = out.cdr
            state = cdr.state if cdr.state != "excepcion" else RECHAZADO
            inv.state = state
            inv.sunat_code = str(cdr.response_code)
            inv.sunat_description = cdr.description
            inv.sunat_notes = [n.raw for n in cdr.notes]
            inv.cdr_path = store_cdr(session, rt, inv.id, inv.business_date, stem, cdr)
            inv.in_doubt, inv.next_attempt_at, inv.last_error = False, None, None
            session.flush()
            hubcopy.publish(session, inv, now=now)  # XML + CDR reach the hub with the state
        elif out.kind == "rejected" and isinstance(err, SunatError):
            inv.state = RECHAZADO
            inv.sunat_code, inv.sunat_description = err.sunat_code, err.description
            inv.in_doubt, inv.next_attempt_at, inv.last_error = False, None, err.msg
        elif out.kind == "already" and isinstance(err, SunatError) and err.sunat_code == "1032":
            inv.state = RECHAZADO  # SUNAT holds it as voided / rejected and keeps no CDR
            inv.sunat_code, inv.sunat_description = err.sunat_code, err.description
            inv.in_doubt, inv.next_attempt_at, inv.last_error = False, None, err.msg
        else:
            unavailable = isinstance(err, SunatUnavailable)
            maybe = bool(getattr(err, "maybe_delivered", True)) or inv.in_doubt
            inv.state = ERROR_RED if unavailable else POR_REENVIAR
            inv.in_doubt = maybe or out.kind == "already"
            inv.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(inv.attempts))
            inv.last_error = getattr(err, "msg", None) or str(err)
        if inv.state == RECHAZADO:  # a rejected credit note credits nothing: cuotas again
            # imported here: the notes module issues documents (service -> voids -> sender)
            from edge.billing import convenio_credit_retry, credit_terms_note

            convenio_credit_retry.release_rejected_note(session=session, clock=rt.clock, note=inv)
            credit_terms_note.restate_after_rejection(
                session=session, settings=rt.settings, clock=rt.clock, note=inv
            )
        sub.outcome = inv.state
        if isinstance(err, SunatError):
            sub.sunat_code, sub.description = err.sunat_code, err.description
        if out.cdr is not None:
            sub.sunat_code, sub.description = str(out.cdr.response_code), out.cdr.description
        inv.updated_at = now
        session.add(inv)
        session.add(sub)
        return inv.state


def send_one(rt: EdgeRuntime, client: SunatClient, invoice_id: str) -> str | None:
    """One attempt for one document; returns its new state (None: not due / skipped)."""
    begun = _begin(rt, invoice_id)
    if begun is None:
        return None
    inv, xml, ruc, sub_id = begun
    outcome = _call(client, inv, xml, ruc)
    return _finish(rt, invoice_id, sub_id, ruc, outcome)


def due_ids(session: Session, now: dt.datetime, limit: int) -> list[str]:
    return list(
        session.exec(
            select(Invoice.id)
            .where(
                Invoice.state.in_(SENDABLE_STATES),  # type: ignore[attr-defined]
                Invoice.send_mode == SEND_BILL,
                Invoice.next_attempt_at != None,  # noqa: E711
                Invoice.next_attempt_at <= now,  # type: ignore[operator]
            )
            .order_by(Invoice.next_attempt_at, Invoice.doc_type, Invoice.number)  # type: ignore[arg-type]
            .limit(limit)
        )
    )


def send_round(
    rt: EdgeRuntime, *, client: SunatClient | None = None, limit: int = 50
) -> RoundReport:
    """One bounded round of the queue (the body of the ``sunat.send`` job)."""
    bind(rt)
    report = RoundReport()
    breaker = breaker_for(rt.engine, rt.settings)
    if breaker.is_open(rt.clock.now()):
        report.breaker_open = True
        return report
    report.recovered = recover_interrupted(rt)
    with read_session(rt.engine) as session:
        ids = due_ids(session, rt.clock.now(), limit)
        ruc = company_ruc(session)
    if not ids:
        return report
    http: httpx.Client | None = None
    if client is None:
        http = httpx.Client()
        client = make_client(rt.settings, http, ruc=ruc)
    try:
        if client is None:
            return report  # no SUNAT endpoint configured: documents wait in the queue
        for invoice_id in ids:
            state = send_one(rt, client, invoice_id)
            if state is None:
                continue
            report.sent += 1
            report.count(state)
            if state in (ERROR_RED,):
                report.failures += 1
                if breaker.failure(rt.clock.now()):
                    report.breaker_open = True
                    log.warning("SUNAT unavailable: circuit breaker open")
                    break
            else:
                breaker.success()
    finally:
        if http is not None:
            http.close()
    return report


@job("sunat.send", seconds=2)
def send_job(rt: EdgeRuntime) -> Any:
    return send_round(rt)


__all__ = ["RoundReport", "company_ruc", "recover_interrupted", "send_one", "send_round"]
