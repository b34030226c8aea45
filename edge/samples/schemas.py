"""API shapes of samples."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from domain.barcode import human_readable
from edge.openapi_examples import records as ex
from edge.samples.models import Sample


class SampleRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SAMPLES[0]]})

    id: str
    order_id: str
    barcode: str = Field(description="Code 128: sede + AAMMDD + correlativo de 4 dígitos")
    barcode_text: str = Field(description="el código espaciado para leerlo")
    sample_type: str
    tube: str
    item_ids: list[str]
    status: str = Field(description="pendiente | tomada")
    taken_at: dt.datetime | None
    taken_by: str | None
    label_prints: int
    business_date: dt.date

    @classmethod
    def from_model(cls, s: Sample) -> SampleRead:
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
        )


class SampleList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SAMPLE_LIST]})

    order_id: str
    items: list[SampleRead]
