"""API shapes of the catalog (read-only at the edge)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from domain.money import from_cents
from edge.catalog.models import CatalogCategory, CatalogService, Convenio
from edge.openapi_examples import catalog as ex
from sync.apitypes import Money


class CategoryRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CATEGORY]})

    id: str
    code: str
    name: str
    active: bool

    @classmethod
    def from_model(cls, c: CatalogCategory) -> CategoryRead:
        return cls(id=c.id, code=c.code, name=c.name, active=c.active)


class PanelMember(BaseModel):
    id: str
    code: str
    name: str


class ServiceRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SERVICE]})

    id: str
    code: str
    name: str
    category_id: str | None
    category_name: str | None = None
    sample_type: str
    tube: str
    price: Money = Field(description="precio público, IGV incluido")
    catalog_version: int
    is_panel: bool
    panel_services: list[PanelMember] = Field(default_factory=list)
    turnaround_hours: int
    loinc: str
    active: bool

    @classmethod
    def from_model(
        cls,
        s: CatalogService,
        *,
        categories: dict[str, CatalogCategory] | None = None,
        members: dict[str, CatalogService] | None = None,
    ) -> ServiceRead:
        category = (categories or {}).get(s.category_id or "")
        panel = [
            PanelMember(id=m.id, code=m.code, name=m.name)
            for sid in s.panel_service_ids
            if (m := (members or {}).get(sid)) is not None
        ]
        return cls(
            id=s.id,
            code=s.code,
            name=s.name,
            category_id=s.category_id,
            category_name=category.name if category else None,
            sample_type=s.sample_type,
            tube=s.tube,
            price=from_cents(s.price_cents),
            catalog_version=s.catalog_version,
            is_panel=s.is_panel,
            panel_services=panel,
            turnaround_hours=s.turnaround_hours,
            loinc=s.loinc,
            active=s.active,
        )


class ServiceList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SERVICE_LIST]})

    items: list[ServiceRead]
    total: int
    limit: int
    offset: int


class ConvenioRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO]})

    id: str
    ruc: str
    name: str
    coverage_pct: Decimal = Field(description="porcentaje cubierto por el convenio")
    has_price_list: bool
    prices: dict[str, Money] = Field(
        default_factory=dict,
        description="precio del convenio por id de examen; con lista, solo esos exámenes "
        "los cubre el convenio (el resto lo paga el paciente a precio público)",
    )
    credit_days: int
    active: bool

    @classmethod
    def from_model(cls, c: Convenio) -> ConvenioRead:
        return cls(
            id=c.id,
            ruc=c.ruc,
            name=c.name,
            coverage_pct=Decimal(c.coverage_pct),
            has_price_list=bool(c.prices_cents),
            prices={sid: from_cents(int(cents)) for sid, cents in (c.prices_cents or {}).items()},
            credit_days=c.credit_days,
            active=c.active,
        )
