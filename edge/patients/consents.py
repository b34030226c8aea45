"""Consents of a patient (Ley 29733): recorded with who and when, the latest per kind in force;
``may_contact`` is what notification code asks before every message."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from domain.clock import Clock, business_date
from domain.errors import InvalidInput
from edge.patients.consent_schemas import CONSENT_KINDS, ConsentCreate
from edge.patients.models import PatientConsent
from edge.patients.service import Actor, get

CONTACT_CHANNELS = {"email": "contacto_email", "whatsapp": "contacto_whatsapp"}


@dataclass(frozen=True)
class ConsentSummary:
    history: list[PatientConsent]  # every record, newest first
    current: dict[str, PatientConsent | None]  # the record in force per kind (None: never asked)


def record_consent(
    *, session: Session, clock: Clock, actor: Actor, patient_id: str, consent_in: ConsentCreate
) -> ConsentSummary:
    """Record a consent given or withdrawn; the latest record of each kind is the one in force."""
    get(session=session, patient_id=patient_id)
    now = clock.now()
    session.add(
        PatientConsent(
            patient_id=patient_id,
            sede_id=actor.sede_id,
            kind=consent_in.kind,
            granted=consent_in.granted,
            version=consent_in.version.strip(),
            channel=consent_in.channel,
            user_id=actor.user_id,
            username=actor.username,
            business_date=business_date(now),
            created_at=now,
        )
    )
    session.flush()
    return consents(session=session, patient_id=patient_id)


def consents(*, session: Session, patient_id: str) -> ConsentSummary:
    """Every consent record of a patient (newest first) and the one in force per kind."""
    get(session=session, patient_id=patient_id)
    history = list(
        session.exec(
            select(PatientConsent)
            .where(col(PatientConsent.patient_id) == patient_id)
            .order_by(col(PatientConsent.created_at).desc(), col(PatientConsent.id).desc())
        ).all()
    )
    current: dict[str, PatientConsent | None] = dict.fromkeys(CONSENT_KINDS)
    for record in history:
        if current.get(record.kind) is None:
            current[record.kind] = record
    return ConsentSummary(history, current)


def has_consent(session: Session, patient_id: str, kind: str) -> bool:
    """True when the latest record of ``kind`` for the patient grants it."""
    latest = session.exec(
        select(PatientConsent)
        .where(col(PatientConsent.patient_id) == patient_id, col(PatientConsent.kind) == kind)
        .order_by(col(PatientConsent.created_at).desc(), col(PatientConsent.id).desc())
        .limit(1)
    ).first()
    return bool(latest is not None and latest.granted)


def may_contact(session: Session, patient_id: str, channel: str) -> bool:
    """May the patient be sent a message by ``channel`` ("email" or "whatsapp")?

    Only if the latest consent to be contacted by that channel grants it. Notification code
    calls this before every message; no consent on record means no.
    """
    kind = CONTACT_CHANNELS.get(channel)
    if kind is None:
        raise InvalidInput(
            f"Canal de contacto desconocido: «{channel}» (use email o whatsapp).",
            code="contact_channel_invalid",
            loc=["channel"],
        )
    return has_consent(session, patient_id, kind)
