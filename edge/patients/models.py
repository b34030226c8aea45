"""Patients (shared: written at any edge, merged at the hub), their history and consents.

The full-text index over patient names (``patient_search`` + the FTS5 table ``patient_fts``)
is not an ORM model: migration 0002 creates it with the triggers that keep it in step with
``patient`` (see ``edge/patients/search.py``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, text
from sqlmodel import Field

from domain.ids import new_id
from edge.base import EdgeModel
from sync.sqltypes import UTCDateTime


class Patient(EdgeModel, table=True):
    __tablename__ = "patient"
    __sync_type__ = "patient"
    __table_args__ = (
        # One active patient per document; merged aliases and "sin documento" are exempt.
        Index(
            "uq_patient_document",
            "doc_type",
            "doc_number",
            unique=True,
            sqlite_where=text("canonical_id IS NULL AND doc_type <> '0'"),
        ),
        Index("ix_patient_doc_number", "doc_number"),
        Index("ix_patient_names", "last_names", "first_names"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    doc_type: str = Field(
        max_length=1, description="SUNAT catálogo 06: 1 DNI, 4 CE, 6 RUC, 7 pasaporte"
    )
    doc_number: str = Field(max_length=15)
    first_names: str = Field(max_length=120)
    last_names: str = Field(max_length=120)
    birth_date: dt.date | None = None
    sex: str | None = Field(default=None, max_length=1, description="F | M | X")
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=120)
    address: str | None = Field(default=None, max_length=200)
    home_sede_id: str = Field(max_length=36, description="sede where first registered")
    canonical_id: str | None = Field(
        default=None, max_length=36, description="set when the hub merged this into another"
    )
    row_hlc: str | None = Field(default=None, max_length=80, description="HLC of the last edit")
    created_by: str | None = Field(default=None, max_length=36)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class PatientHistory(EdgeModel, table=True):
    """One changed field of one patient: who, when, old → new (creation: old is None)."""

    __tablename__ = "patient_history"
    __sync_type__ = "patient_history"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    patient_id: str = Field(foreign_key="patient.id", index=True, max_length=36)
    sede_id: str | None = Field(default=None, max_length=36)
    action: str = Field(max_length=10, description="create | update")
    field: str = Field(max_length=30)
    old_value: str | None = Field(default=None, max_length=200)
    new_value: str | None = Field(default=None, max_length=200)
    user_id: str | None = Field(default=None, max_length=36)
    username: str | None = Field(default=None, max_length=60)
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class PatientConsent(EdgeModel, table=True):
    """A consent given or withdrawn (Ley 29733); the latest row per (patient, kind) wins."""

    __tablename__ = "patient_consent"
    __sync_type__ = "patient_consent"
    __table_args__ = (Index("ix_patient_consent_latest", "patient_id", "kind", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    sede_id: str | None = Field(default=None, max_length=36)
    kind: str = Field(max_length=20, description="datos_salud | contacto_email | contacto_whatsapp")
    granted: bool
    version: str = Field(max_length=20, description="version of the consent text shown")
    channel: str = Field(max_length=20, description="presencial | web | telefono")
    user_id: str | None = Field(default=None, max_length=36)
    username: str | None = Field(default=None, max_length=60)
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
