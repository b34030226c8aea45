"""Patients at the edge: registration, edits with history, reads that are access-logged, and
a patient's orders (recurring patients: ``recurring``; consents: ``consents``).

Services never commit: the caller's unit of work does. Every view, search, print or export
of personal data writes an ``AccessLog`` row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.clock import Clock, business_date
from domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from domain.identity import DocType, validate_document
from edge.audit import service as audit_service
from edge.orders.models import Order
from edge.patients import search as patient_search
from edge.patients.models import Patient, PatientHistory
from edge.patients.schemas import (
    PatientCreate,
    PatientUpdate,
    check_birth_date,
)

TRACKED_FIELDS = (
    "doc_type",
    "doc_number",
    "first_names",
    "last_names",
    "birth_date",
    "sex",
    "phone",
    "email",
    "address",
)
CANCELLED_STATUS = "anulada"


@dataclass(frozen=True)
class Actor:
    """Who acts, from where: written into history, consents and the access log."""

    user_id: str
    username: str | None
    sede_id: str | None
    ip: str | None = None


# ----------------------------------------------------------------------------- registration
def _find_active(session: Session, doc_type: str, doc_number: str) -> Patient | None:
    if doc_type == DocType.SIN_DOCUMENTO.value:
        return None  # "sin documento" numbers are not identities
    return session.exec(
        select(Patient).where(
            col(Patient.doc_type) == doc_type,
            col(Patient.doc_number) == doc_number,
            col(Patient.canonical_id).is_(None),
        )
    ).first()


def _duplicate(existing: Patient) -> Conflict:
    label = DocType(existing.doc_type).label
    return Conflict(
        f"Ya existe un paciente con {label} {existing.doc_number}: "
        f"{existing.last_names}, {existing.first_names}.",
        code="patient_duplicate",
        loc=["body", "doc_number"],
        extra={"patient_id": existing.id},
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:200]


def _history(
    session: Session, patient: Patient, *, action: str, field: str, old: Any, new: Any,
    actor: Actor, now: dt.datetime,
) -> None:  # fmt: skip
    session.add(
        PatientHistory(
            patient_id=patient.id,
            sede_id=actor.sede_id,
            action=action,
            field=field,
            old_value=_text(old),
            new_value=_text(new),
            user_id=actor.user_id,
            username=actor.username,
            business_date=business_date(now),
            created_at=now,
        )
    )


def _flush_unique(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:  # the unique index has the last word; the unit of work rolls back
        raise Conflict(
            "Ya existe un paciente con ese documento.",
            code="patient_duplicate",
            loc=["body", "doc_number"],
        ) from None


def create(*, session: Session, clock: Clock, actor: Actor, patient_in: PatientCreate) -> Patient:
    """Register a patient; a second registration of a document raises 409 with the id."""
    now = clock.now()
    if patient_in.birth_date is not None:
        check_birth_date(patient_in.birth_date, today=business_date(now))
    existing = _find_active(session, patient_in.doc_type, patient_in.doc_number)
    if existing is not None:
        raise _duplicate(existing)
    if actor.sede_id is None:
        raise RuleViolation(
            "La sede no está inicializada (labred edge init).", code="sede_not_initialized"
        )
    patient = Patient(
        **patient_in.model_dump(),
        home_sede_id=actor.sede_id,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(patient)
    for field in TRACKED_FIELDS:
        value = getattr(patient, field)
        if value is not None:
            _history(session, patient, action="create", field=field, old=None, new=value,
                     actor=actor, now=now)  # fmt: skip
    _flush_unique(session)
    return patient


def get(*, session: Session, patient_id: str) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("Paciente no encontrado.", code="patient_not_found", loc=["path", "id"])
    return patient


def view(*, session: Session, clock: Clock, actor: Actor, patient_id: str) -> Patient:
    """``get`` for showing a patient to staff: the view is access-logged."""
    patient = get(session=session, patient_id=patient_id)
    log_access(session=session, clock=clock, actor=actor, action="view", patient_ids=[patient.id])
    return patient


def update(
    *, session: Session, clock: Clock, actor: Actor, patient_id: str, patient_in: PatientUpdate
) -> Patient:
    """Change the fields sent; each changed field gets a history row (old → new)."""
    patient = get(session=session, patient_id=patient_id)
    if patient.canonical_id is not None:
        raise RuleViolation(
            "Este registro fue fusionado con otro paciente; edite el paciente vigente.",
            code="patient_merged",
            extra={"canonical_id": patient.canonical_id},
        )
    now = clock.now()
    changes = patient_in.model_dump(exclude_unset=True)
    for required in ("doc_type", "doc_number", "first_names", "last_names"):
        if required in changes and changes[required] is None:
            raise InvalidInput(
                "Este campo es obligatorio.", code="field_required", loc=["body", required]
            )
    if "doc_type" in changes or "doc_number" in changes:
        doc_type = changes.get("doc_type", patient.doc_type)
        raw_number = changes.get("doc_number", patient.doc_number)
        try:
            doc_number = validate_document(doc_type, raw_number)
        except InvalidInput as exc:
            exc.loc = ["body", "doc_number"]
            raise
        changes["doc_type"], changes["doc_number"] = doc_type, doc_number
        existing = _find_active(session, doc_type, doc_number)
        if existing is not None and existing.id != patient.id:
            raise _duplicate(existing)
    if changes.get("birth_date") is not None:
        check_birth_date(changes["birth_date"], today=business_date(now))
    changed = False
    for field, new in changes.items():
        old = getattr(patient, field)
        if old == new:
            continue
        setattr(patient, field, new)
        _history(session, patient, action="update", field=field, old=old, new=new,
                 actor=actor, now=now)  # fmt: skip
        changed = True
    if changed:
        patient.updated_at = now
        session.add(patient)
        _flush_unique(session)
    return patient


# ------------------------------------------------------------------------------------ reads
def list_patients(*, session: Session, limit: int, offset: int) -> tuple[list[Patient], int]:
    """Non-merged patients in name order, and how many there are."""
    active = col(Patient.canonical_id).is_(None)
    total = session.exec(select(func.count()).select_from(Patient).where(active)).one()
    rows = session.exec(
        select(Patient)
        .where(active)
        .order_by(col(Patient.last_names), col(Patient.first_names), col(Patient.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(total)


def search(
    *, session: Session, clock: Clock, actor: Actor, q: str, limit: int, offset: int
) -> patient_search.SearchPage:
    """Ranked search (see ``edge.patients.search``), logged without the query's text."""
    page = patient_search.search(session=session, q=q, limit=limit, offset=offset)
    digest = hashlib.sha256(q.strip().casefold().encode()).hexdigest()[:16]
    log_access(
        session=session,
        clock=clock,
        actor=actor,
        action="search",
        patient_ids=[None],
        details={"q_sha256": digest, "q_length": len(q.strip()), "results": len(page.hits),
                 "offset": offset},
    )  # fmt: skip
    return page


def history(
    *, session: Session, patient_id: str, limit: int, offset: int
) -> tuple[list[PatientHistory], int]:
    get(session=session, patient_id=patient_id)
    where = col(PatientHistory.patient_id) == patient_id
    total = session.exec(select(func.count()).select_from(PatientHistory).where(where)).one()
    rows = session.exec(
        select(PatientHistory)
        .where(where)
        .order_by(col(PatientHistory.created_at).desc(), col(PatientHistory.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(total)


def orders(
    *, session: Session, patient_id: str, limit: int, offset: int
) -> tuple[list[Order], int]:
    """The patient's orders at this sede, newest first."""
    get(session=session, patient_id=patient_id)
    where = col(Order.patient_id) == patient_id
    total = session.exec(select(func.count()).select_from(Order).where(where)).one()
    rows = session.exec(
        select(Order)
        .where(where)
        .order_by(col(Order.created_at).desc(), col(Order.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(total)


def log_access(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    action: str,
    patient_ids: Sequence[str | None],
    details: dict[str, Any] | None = None,
) -> None:
    """One access-log row per patient (``None``: an access not tied to one patient)."""
    for pid in patient_ids:
        audit_service.log_access(
            session,
            action=action,
            clock=clock,
            sede_id=actor.sede_id,
            user_id=actor.user_id,
            patient_id=pid,
            ip=actor.ip,
            details=details,
        )
