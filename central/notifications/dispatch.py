"""Turning queued events into notifications, and sending them with retries and backoff.

- ``process_events``: each unprocessed ``notification_event`` becomes at most one notification
  per (event, channel, recipient) (a unique key: a twice-delivered event changes nothing). A
  patient is messaged only over channels they consented to (the latest ``patient_consent``
  record per kind wins); without consent a ``skipped`` row records why, and nothing is sent.
- ``send_due``: sends pending notifications whose time has come (consent re-checked just
  before), ``FOR UPDATE SKIP LOCKED`` so two workers never send the same one; a transient
  failure retries after ``backoff * 2^(n-1)`` (capped at an hour), a permanent one fails.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, col, select

from central.auth.models import HubUser
from central.config.models import Company, Sede
from central.notifications import documents, templates
from central.notifications.adapters import Attachment, Channels, DeliveryError
from central.notifications.models import (
    ALERT,
    EMAIL,
    FAILED,
    PENDING,
    SENT,
    SKIPPED,
    WHATSAPP,
    Notification,
    NotificationEvent,
    NotificationTemplate,
)
from central.sync.models import HubPatient
from domain.errors import InvalidInput
from domain.ids import new_id
from domain.money import fmt, from_cents

log = logging.getLogger("labred.hub.notifications")
_N = Notification.__table__  # type: ignore[attr-defined]
CONSENT_KIND = {EMAIL: "contacto_email", WHATSAPP: "contacto_whatsapp"}
STALE_ORDER = dt.timedelta(days=2)  # an order pushed after a long outage is not announced
MAX_BACKOFF = 3600.0


def ensure_templates(session: Session, *, now: dt.datetime) -> None:
    """Create the default templates that do not exist yet."""
    have = {(t.event, t.channel) for t in session.exec(select(NotificationTemplate))}
    for (event, channel), (name, subject, body) in templates.DEFAULTS.items():
        if (event, channel) not in have:
            tpl = NotificationTemplate(
                event=event, channel=channel, name=name, subject=subject, body=body,
                updated_at=now,
            )  # fmt: skip
            session.add(tpl)
    session.flush()


def consent(session: Session, patient_id: str, channel: str) -> bool:
    """The latest consent of the patient (or its merged aliases) for ``channel``."""
    kind = CONSENT_KIND.get(channel)
    if kind is None:
        return True
    ids = [patient_id] + list(
        session.connection()
        .execute(
            text("SELECT alias_id FROM hub_patient_alias WHERE canonical_id = :p"),
            {"p": patient_id},
        )
        .scalars()
    )
    row = (
        session.connection()
        .execute(
            text(
                "SELECT (payload->>'granted')::boolean FROM sync_record "
                "WHERE record_type = 'patient_consent' AND payload->>'patient_id' = ANY(:ids) "
                "AND payload->>'kind' = :k ORDER BY payload->>'created_at' DESC, hlc DESC LIMIT 1"
            ),
            {"ids": ids, "k": kind},
        )
        .first()
    )
    return bool(row and row[0])


def _patient(session: Session, patient_id: str | None) -> HubPatient | None:
    if not patient_id:
        return None
    p = session.get(HubPatient, patient_id)
    if p is not None and p.canonical_id:
        return session.get(HubPatient, p.canonical_id) or p
    return p


def _record(session: Session, rtype: str, rid: str | None) -> dict[str, Any]:
    if not rid:
        return {}
    row = (
        session.connection()
        .execute(
            text("SELECT payload FROM sync_record WHERE record_type = :t AND id = :i"),
            {"t": rtype, "i": rid},
        )
        .first()
    )
    return dict(row[0]) if row else {}


def _common(session: Session, sede_id: str | None) -> dict[str, Any]:
    company = session.exec(select(Company)).first()
    sede = session.get(Sede, sede_id) if sede_id else None
    return {
        "company_name": company.nombre_comercial or company.razon_social if company else "",
        "sede_name": sede.name if sede else "",
        "sede_code": sede.code if sede else "",
    }


def _template(session: Session, event: str, channel: str) -> NotificationTemplate | None:
    return session.exec(
        select(NotificationTemplate).where(
            NotificationTemplate.event == event,
            NotificationTemplate.channel == channel,
            NotificationTemplate.active,
        )
    ).first()


def _queue(
    session: Session,
    *,
    event: NotificationEvent,
    channel: str,
    recipient: str,
    context: dict[str, Any],
    now: dt.datetime,
    patient_id: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    skip_reason: str | None = None,
) -> bool:
    tpl = _template(session, event.kind, channel)
    subject = body = ""
    if tpl is not None and skip_reason is None:
        subject = templates.render(tpl.subject, context) if tpl.subject else ""
        body = templates.render(tpl.body, context)
    elif skip_reason is None:
        skip_reason = "sin plantilla activa"
    result = session.connection().execute(
        pg_insert(_N)
        .values(
            id=new_id(), event_key=f"{event.kind}:{event.ref_id}", event=event.kind,
            channel=channel, recipient=recipient, patient_id=patient_id, sede_id=event.sede_id,
            template_id=tpl.id if tpl else None, subject=subject[:200], body=body,
            attachments=attachments or [], status=SKIPPED if skip_reason else PENDING,
            attempts=0, max_attempts=5, next_attempt_at=None if skip_reason else now,
            last_error=skip_reason, created_at=now, created_by="sistema",
        )
        .on_conflict_do_nothing(index_elements=["event_key", "channel", "recipient"])
        .returning(_N.c.id)
    )  # fmt: skip
    return result.first() is not None


def _to_patient(
    session: Session, event: NotificationEvent, *, patient_id: str | None,
    context: dict[str, Any], now: dt.datetime, attachments: list[dict[str, Any]] | None = None,
) -> str:  # fmt: skip
    patient = _patient(session, patient_id)
    if patient is None:
        return "paciente desconocido"
    context = context | {"patient_name": f"{patient.first_names} {patient.last_names}".strip()}
    outcomes = []
    for channel, address in ((EMAIL, patient.email), (WHATSAPP, patient.phone)):
        if not address:
            outcomes.append(f"{channel}: sin dato")
            continue
        allowed = consent(session, patient.id, channel)
        _queue(
            session, event=event, channel=channel, recipient=address, context=context,
            now=now, patient_id=patient.id,
            attachments=attachments if channel == EMAIL else None,
            skip_reason=None if allowed else "sin consentimiento",
        )  # fmt: skip
        outcomes.append(f"{channel}: {'en cola' if allowed else 'sin consentimiento'}")
    return "; ".join(outcomes)


def _handle(session: Session, event: NotificationEvent, *, now: dt.datetime) -> str:
    p = event.payload
    base = _common(session, event.sede_id)
    if event.kind == "order_created":
        created = p.get("created_at")
        if created and now - dt.datetime.fromisoformat(created) > STALE_ORDER:
            return "orden antigua: no se anuncia"
        ctx = base | {"order_number": p.get("number", ""),
                      "total": fmt(from_cents(int(p.get("total") or 0)))}  # fmt: skip
        return _to_patient(session, event, patient_id=p.get("patient_id"), context=ctx, now=now)
    if event.kind == "invoice_accepted":
        if p.get("doc_type") not in ("01", "03"):
            return "no es factura ni boleta"
        order = _record(session, "order", p.get("order_id"))
        label = "factura" if p.get("doc_type") == "01" else "boleta"
        document = f"{p.get('series')}-{p.get('number')}"
        ctx = base | {"document": document, "document_label": label,
                      "total": fmt(from_cents(int(p.get("total") or 0)))}  # fmt: skip
        files = [{"kind": "invoice_pdf", "invoice_id": event.ref_id,
                  "filename": f"{label}-{document}.pdf"},
                 {"kind": "invoice_xml", "invoice_id": event.ref_id}]  # fmt: skip
        return _to_patient(session, event, patient_id=order.get("patient_id"), context=ctx,
                           now=now, attachments=files)  # fmt: skip
    if event.kind == "results_ready":
        ctx = base | {"order_number": p.get("order_number", "")}
        return _to_patient(session, event, patient_id=p.get("patient_id"), context=ctx, now=now)
    if event.kind == "discrepancy_found":
        from central.reconciliation.models import Discrepancy

        found = session.exec(
            select(Discrepancy.message).where(Discrepancy.closure_id == p.get("closure_id"))
        ).all()
        ctx = base | p | {"findings": list(found)[:20]}
        staff = staff_emails(session, event.sede_id)
        for email in staff:
            _queue(session, event=event, channel=ALERT, recipient=email, context=ctx, now=now)
        return f"alerta a {len(staff)} persona(s)"
    return "evento desconocido"


def staff_emails(session: Session, sede_id: str | None) -> list[str]:
    """Active admins, and supervisors of ``sede_id``, that have an e-mail."""
    users = session.exec(select(HubUser).where(HubUser.active)).all()
    return sorted(
        {
            u.email
            for u in users
            if u.email
            and (u.role == "admin" or (u.role == "supervisor" and sede_id in (u.sede_ids or [])))
        }
    )


def process_events(*, session: Session, now: dt.datetime, limit: int = 200) -> int:
    """Turn up to ``limit`` queued events into notifications; returns how many were handled."""
    ensure_templates(session, now=now)
    events = session.exec(
        select(NotificationEvent)
        .where(col(NotificationEvent.processed_at).is_(None))
        .order_by(col(NotificationEvent.created_at), col(NotificationEvent.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for event in events:
        try:
            outcome = _handle(session, event, now=now)
        except InvalidInput as exc:
            outcome = exc.msg
        event.processed_at = now
        event.outcome = outcome[:200]
        session.add(event)
    session.flush()
    return len(events)


def _attachments(session: Session, n: Notification) -> list[Attachment]:
    out = []
    for a in n.attachments:
        if a.get("kind") == "invoice_pdf":
            invoice = _record(session, "invoice", a.get("invoice_id"))
            if invoice:
                out.append(Attachment(a["filename"], documents.invoice_pdf(session, invoice)))
        elif a.get("kind") == "invoice_xml":
            document = _record(session, "invoice_document", a.get("invoice_id"))
            signed = documents.signed_files(document)
            if not signed and n.attempts < n.max_attempts:
                # The sede sends the XML with the accepted state; wait for it a few times,
                # then mail the summary alone rather than never.
                raise DeliveryError("el XML firmado del comprobante aún no llega de la sede")
            out.extend(signed)
    return out


def deliver(session: Session, n: Notification, channels: Channels) -> str:
    """Send one notification now; returns the provider's id; raises ``DeliveryError``."""
    if n.patient_id and not consent(session, n.patient_id, n.channel):
        raise DeliveryError("sin consentimiento", permanent=True)
    if n.channel in (EMAIL, ALERT):
        if channels.mailer is None:
            raise DeliveryError("SMTP no configurado")
        return channels.mailer.send_mail(to=n.recipient, subject=n.subject, body=n.body,
                                         attachments=_attachments(session, n))  # fmt: skip
    if n.channel == WHATSAPP:
        if channels.whatsapp is None:
            raise DeliveryError("WhatsApp no configurado")
        return channels.whatsapp.send_text(to=n.recipient, body=n.body)
    raise DeliveryError(f"canal desconocido: {n.channel}", permanent=True)


def send_due(
    *, session: Session, now: dt.datetime, channels: Channels, limit: int = 50,
    backoff: float = 30.0,
) -> dict[str, int]:  # fmt: skip
    """Send pending notifications whose time has come; returns counts per outcome."""
    due = session.exec(
        select(Notification)
        .where(
            Notification.status == PENDING,
            (col(Notification.next_attempt_at).is_(None))
            | (col(Notification.next_attempt_at) <= now),
        )
        .order_by(col(Notification.created_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    counts = {SENT: 0, "retry": 0, FAILED: 0}
    for n in due:
        n.attempts += 1
        try:
            n.provider_id = deliver(session, n, channels)[:120] or None
            n.status, n.sent_at, n.last_error, n.next_attempt_at = SENT, now, None, None
            counts[SENT] += 1
        except DeliveryError as exc:
            n.last_error = str(exc)[:500]
            if exc.permanent or n.attempts >= n.max_attempts:
                n.status, n.next_attempt_at = FAILED, None
                counts[FAILED] += 1
            else:
                delay = min(backoff * 2 ** (n.attempts - 1), MAX_BACKOFF)
                n.next_attempt_at = now + dt.timedelta(seconds=delay)
                counts["retry"] += 1
            log.warning("notification not sent", extra={"id": n.id, "error": n.last_error})
        session.add(n)
    session.flush()
    return counts
