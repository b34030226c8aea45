"""Comunicación de baja (RA, ``VoidedDocuments``): cancelling an accepted factura.

Policy (hub-owned settings mirrored at the edge, table ``setting``):

* ``sunat.factura_void``: ``"baja"`` (default) cancels an accepted factura with an RA when it is
  still inside the window; ``"nota_credito"`` always issues a nota de crédito (chains whose
  accountant prefers it). Boletas are not affected: they are voided in the resumen diario
  (condition 3) or credited, see :func:`edge.billing.service.void`.
* ``sunat.baja_days`` (default 3): the RA must reach SUNAT at most this many calendar days
  after the factura's issue date. SUNAT rejects late RAs (code 2374, "fuera del plazo"); the
  window is counted from the issue date, which is never later than SUNAT's reception date, so
  the edge never sends one SUNAT would find late by our own count.

Flow: the cancellation marks the factura ``void_requested`` (nothing numbered, so it works
offline); the ``sunat.summaries`` job builds one RA per issue date of the facturas to void
(``RA-YYYYMMDD-N``, named as the RC are, :mod:`edge.billing.summary_names`), signs it and
sends it with ``sendSummary`` (ticket), polls ``getStatus`` (98 → 0 / 99) with the same retries,
backoff and circuit breaker as the resumen diario. Accepted: the factura becomes ``anulado``.
Rejected, or the window passed before the RA could be built: the factura is credited with a
nota de crédito (motivo 01) in the same transaction, so a cancelled sale is never left standing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlmodel import Session, select

from domain.clock import business_date
from domain.sunat import CreditNoteReason, VoidedDocument, VoidedLine, build_voided, check_voided
from domain.sunat.catalogs import DocumentType
from domain.sunat.ubl import summary_filename
from edge.billing import summary_build, summary_names
from edge.billing.documents import issuer_for, this_sede
from edge.billing.models import (
    ACEPTADO,
    ANULADO,
    OBSERVADO,
    Invoice,
    SunatSummary,
)
from edge.billing.signer import get_signer
from edge.config.replicated import day_count, replicated_value
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime

log = logging.getLogger("labred.edge.billing")

SETTING_MODE = "sunat.factura_void"
SETTING_DAYS = "sunat.baja_days"
MODE_BAJA = "baja"
MODE_CREDIT_NOTE = "nota_credito"
DEFAULT_DAYS = 3
MAX_LINES = 500


def policy(session: Session) -> tuple[str, int]:
    """(mode, window days) from the mirrored settings, with safe defaults."""
    mode = replicated_value(session.connection(), SETTING_MODE)
    window = day_count(replicated_value(session.connection(), SETTING_DAYS), low=0)
    chosen = mode if mode in (MODE_BAJA, MODE_CREDIT_NOTE) else MODE_BAJA
    return str(chosen), DEFAULT_DAYS if window is None else window


def last_day(inv: Invoice, days: int) -> dt.date:
    return inv.business_date + dt.timedelta(days=days)


def baja_applies(session: Session, inv: Invoice, today: dt.date, *, credited: bool) -> bool:
    """True when cancelling ``inv`` goes through a comunicación de baja."""
    mode, days = policy(session)
    return (
        mode == MODE_BAJA
        and inv.doc_type == DocumentType.FACTURA.value
        and inv.state in (ACEPTADO, OBSERVADO)
        and not credited  # a factura with notes is settled by notes, not voided under them
        and today <= last_day(inv, days)
    )


def request_baja(session: Session, inv: Invoice, *, reason: str, now: dt.datetime) -> Invoice:
    """Mark the factura for the next RA (no number taken: works offline)."""
    inv.void_requested = True
    inv.reason = (reason.strip() or "Anulación de la operación")[:100]
    inv.last_error = None
    inv.updated_at = now
    session.add(inv)
    session.flush()
    return inv


def _create(
    session: Session, rt: EdgeRuntime, reference: dt.date, items: list[Invoice]
) -> SunatSummary | None:
    """None when the day has no safe name left (the facturas wait for the next day)."""
    now = rt.clock.now()
    today = business_date(now)
    sede = this_sede(session, items[0].sede_id)
    issuer = issuer_for(session, sede)
    correlative = summary_names.next_correlative(
        session,
        sede_id=sede.id,
        sede_code=sede.code,
        kind="RA",
        issue=today,
        ruc=issuer.ruc,
        data_dir=rt.settings.data_dir,
    )
    if correlative is None:
        return None
    voided = VoidedDocument(
        issuer=issuer,
        issue_date=today,
        reference_date=reference,
        correlative=correlative,
        lines=tuple(
            VoidedLine(DocumentType(inv.doc_type), inv.series, inv.number, inv.reason)
            for inv in items
        ),
    )
    check_voided(voided)
    signed = get_signer(rt.settings).sign_tree(build_voided(voided))
    stem = summary_filename(voided.issuer.ruc, voided.id)
    row = summary_build.store_summary(
        session,
        rt,
        sede_id=sede.id,
        kind="RA",
        name=voided.id,
        correlative=correlative,
        reference=reference,
        lines=[{"invoice_id": inv.id, "condition": "3"} for inv in items],
        signed=signed,
        stem=stem,
        now=now,
    )
    for inv in items:
        inv.void_summary_id = row.id
        inv.updated_at = now
        session.add(inv)
    return row


def _credit_instead(session: Session, rt: EdgeRuntime, inv: Invoice, why: str) -> Invoice:
    """The baja is no longer possible: credit the whole factura (nota de crédito 01)."""
    from edge.billing import service  # service imports this module

    inv.void_requested = False
    inv.void_summary_id = None
    inv.last_error = why[:500]
    inv.updated_at = rt.clock.now()
    session.add(inv)
    session.flush()
    note = service.credit_note(
        session=session,
        settings=rt.settings,
        clock=rt.clock,
        invoice_id=inv.id,
        reason=CreditNoteReason.ANULACION_OPERACION,
        description=inv.reason or "Anulación de la operación",
        require_accepted=False,
    )
    log.warning("baja of %s not possible (%s): credited by %s", inv.full_number, why, note.id)
    return note


def build_due_voids(rt: EdgeRuntime) -> list[str]:
    """Create the RAs for facturas marked for baja; returns their names. A factura whose
    window has passed is credited instead."""
    today = business_date(rt.clock.now())
    names: list[str] = []
    with unit_of_work(rt.engine) as session:
        _mode, days = policy(session)
        pending = session.exec(
            select(Invoice)
            .where(
                Invoice.void_requested == True,  # noqa: E712
                Invoice.void_summary_id == None,  # noqa: E711
                Invoice.doc_type == DocumentType.FACTURA.value,
                Invoice.state.in_((ACEPTADO, OBSERVADO)),  # type: ignore[attr-defined]
            )
            .order_by(Invoice.series, Invoice.number)  # type: ignore[arg-type]
        ).all()
        groups: dict[dt.date, list[Invoice]] = defaultdict(list)
        for inv in pending:
            if today > last_day(inv, days):
                _credit_instead(
                    session, rt, inv, f"Plazo de la comunicación de baja vencido ({days} días)."
                )
            else:
                groups[inv.business_date].append(inv)
        for reference, items in sorted(groups.items()):
            for start in range(0, len(items), MAX_LINES):
                row = _create(session, rt, reference, items[start : start + MAX_LINES])
                if row is None:
                    return names
                names.append(row.name)
    return names


def apply_answer(session: Session, rt: EdgeRuntime, row: SunatSummary, accepted: bool) -> None:
    """SUNAT's final answer to an RA: the facturas become ``anulado``, or are credited."""
    now = rt.clock.now()
    for line in row.lines:
        inv = session.get(Invoice, line["invoice_id"])
        if inv is None:
            continue
        if accepted:
            inv.state = ANULADO
            inv.updated_at = now
            session.add(inv)
        else:
            why = f"Comunicación de baja {row.name} rechazada"
            detail = f" ({row.sunat_code}: {row.sunat_description})" if row.sunat_code else ""
            _credit_instead(session, rt, inv, why + detail + ".")


__all__ = [
    "DEFAULT_DAYS",
    "MODE_BAJA",
    "MODE_CREDIT_NOTE",
    "SETTING_DAYS",
    "SETTING_MODE",
    "apply_answer",
    "baja_applies",
    "build_due_voids",
    "last_day",
    "policy",
    "request_baja",
]
