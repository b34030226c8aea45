"""API shapes of samples."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from domain.barcode import human_readable
from edge.openapi_examples import samples as ex
from edge.samples.models import REJECT_REASON_LABELS, RejectReason, Sample


class SampleRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SAMPLE, ex.REPLACEMENT]})

    id: str
    order_id: str
    barcode: str = Field(description="Code 128: sede + AAMMDD + correlativo de 4 dígitos")
    barcode_text: str = Field(description="el código espaciado para leerlo")
    sample_type: str
    tube: str
    item_ids: list[str]
    status: str = Field(description="pendiente | tomada | rechazada")
    taken_at: dt.datetime | None
    taken_by: str | None
    label_prints: int
    business_date: dt.date
    reject_reason: RejectReason | None = Field(description="motivo del rechazo (si rechazada)")
    reject_reason_label: str | None = Field(description="el motivo, para mostrarlo")
    reject_note: str | None = Field(description="observación del rechazo")
    rejected_at: dt.datetime | None
    rejected_by: str | None = Field(description="id del usuario que la rechazó")
    replaces_id: str | None = Field(
        description="en una retoma: la muestra rechazada a la que reemplaza"
    )
    replaced_by_id: str | None = Field(description="en una rechazada: su retoma")

    @classmethod
    def from_model(cls, s: Sample) -> SampleRead:
        reason = RejectReason(s.reject_reason) if s.reject_reason else None
        return cls(
            id=s.id,
            order_id=s.order_id,
            barcode=s.barcode,
            barcode_text=human_readable(s.barcode),
            sample_type=s.sample_type,
            tube=s.tube,
            item_ids=list(s.item_ids),
            status=s.status,
            taken_at=s.taken_at,
            taken_by=s.taken_by,
            label_prints=s.label_prints,
            business_date=s.business_date,
            reject_reason=reason,
            reject_reason_label=REJECT_REASON_LABELS[reason] if reason else None,
            reject_note=s.reject_note,
            rejected_at=s.rejected_at,
            rejected_by=s.rejected_by,
            replaces_id=s.replaces_id,
            replaced_by_id=s.replaced_by_id,
        )


class SampleList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SAMPLE_LIST]})

    order_id: str
    recollection_pending: bool = Field(
        description="hay una retoma (muestra que reemplaza a una rechazada) por tomar"
    )
    items: list[SampleRead]


class RejectIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.REJECT_IN, ex.REJECT_OTHER_IN]}
    )

    reason: RejectReason = Field(
        description="hemolizada | insuficiente | coagulada | mal_rotulada | contaminada | "
        "derramada | otra"
    )
    note: str | None = Field(
        default=None,
        min_length=3,
        max_length=300,
        description="observación (obligatoria con el motivo «otra»)",
    )


class RejectionRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.REJECTION]})

    rejected: SampleRead = Field(description="la muestra rechazada")
    replacement: SampleRead = Field(description="la retoma, pendiente de toma")
