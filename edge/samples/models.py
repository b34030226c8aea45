"""Samples (one per tube of an order), with barcodes unique across sedes.

A tube the laboratory cannot use is *rejected* (``rechazada``: reason, note, who and when) and a
replacement sample is drawn again (``replaces_id`` on the new row, ``replaced_by_id`` on the
rejected one): same order, sample type, tube and tests, a new barcode.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON
from sqlmodel import Field

from domain.ids import new_id
from edge.base import EdgeModel
from sync.sqltypes import UTCDateTime

PENDING = "pendiente"
TAKEN = "tomada"
REJECTED = "rechazada"


class RejectReason(StrEnum):
    """Why a tube was rejected (stable codes; Spanish labels in :data:`REJECT_REASON_LABELS`)."""

    HEMOLIZADA = "hemolizada"
    INSUFICIENTE = "insuficiente"
    COAGULADA = "coagulada"
    MAL_ROTULADA = "mal_rotulada"
    CONTAMINADA = "contaminada"
    DERRAMADA = "derramada"
    OTRA = "otra"


REJECT_REASON_LABELS: dict[str, str] = {
    RejectReason.HEMOLIZADA: "Muestra hemolizada",
    RejectReason.INSUFICIENTE: "Volumen insuficiente",
    RejectReason.COAGULADA: "Muestra coagulada",
    RejectReason.MAL_ROTULADA: "Tubo mal rotulado",
    RejectReason.CONTAMINADA: "Muestra contaminada",
    RejectReason.DERRAMADA: "Tubo roto o derramado en el transporte",
    RejectReason.OTRA: "Otro motivo",
}


class Sample(EdgeModel, table=True):
    __tablename__ = "sample"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert
    __sync_type__ = "sample"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    order_id: str = Field(foreign_key="lab_order.id", index=True, max_length=36)
    sede_id: str = Field(max_length=36)
    barcode: str = Field(unique=True, max_length=30, description="sede code + sequence")
    sample_type: str
    tube: str
    item_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    status: str = Field(
        default=PENDING, max_length=20, description="pendiente | tomada | rechazada"
    )
    taken_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    taken_by: str | None = Field(default=None, max_length=36)
    label_prints: int = 0
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    # rejection ("muestra rechazada -> retoma")
    reject_reason: str | None = Field(default=None, max_length=20, description="RejectReason")
    reject_note: str | None = Field(default=None, max_length=300)
    rejected_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    rejected_by: str | None = Field(default=None, max_length=36)
    replaces_id: str | None = Field(
        default=None, max_length=36, description="the rejected sample this one is drawn again for"
    )
    replaced_by_id: str | None = Field(
        default=None, max_length=36, description="the sample drawn again after this rejection"
    )


class SampleCounter(EdgeModel, table=True):
    """Per-sede, per-day sample sequence (local; the barcodes it yields replicate)."""

    __tablename__ = "sample_counter"

    sede_id: str = Field(primary_key=True, max_length=36)
    business_date: dt.date = Field(primary_key=True)
    last_seq: int = 0
