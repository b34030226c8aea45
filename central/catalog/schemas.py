"""API shapes of catalog categories, services (tests and panels) and price history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from central.openapi_examples import commerce as ex
from sync.apitypes import Money, Price

Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]
Loinc = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^([0-9]{1,7}-[0-9])?$")]
Igv = Literal["10", "20", "30"]
Hours = Annotated[int, Field(ge=1, le=2160)]
Ids = Annotated[list[Annotated[str, StringConstraints(max_length=36)]], Field(max_length=100)]


# ------------------------------------------------------------------------------- categories
class CategoryRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [ex.CATEGORY_READ]}
    )

    id: str
    code: str
    name: str
    active: bool
    updated_at: dt.datetime | None


class CategoryList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CATEGORY_LIST]})

    items: list[CategoryRead]
    total: int


class CategoryCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"code": "HEM", "name": "Hematología"}]}
    )

    code: Code
    name: Name
    active: bool = True


class CategoryUpdate(BaseModel):
    """A new name and/or state; the code never changes (edges and reports key on it)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Hematología y coagulación"}, {"active": False}]},
    )

    name: Name | None = None
    active: bool | None = None


# ------------------------------------------------------------------------------- services
class ServiceRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SERVICE_READ]})

    id: str
    code: str
    name: str
    category_id: str | None
    sample_type: str
    tube: str
    price: Money = Field(description="precio vigente (S/, IGV incluido)")
    catalog_version: int
    is_panel: bool
    panel_service_ids: list[str]
    igv_affectation: str
    turnaround_hours: int
    loinc: str
    active: bool
    updated_at: dt.datetime | None
    scheduled_price: Money | None = Field(default=None, description="próximo precio programado")
    scheduled_from: dt.date | None = None


class ServiceList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SERVICE_LIST]})

    items: list[ServiceRead]
    total: int


class ServiceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "BIO-050",
                    "name": "Ácido úrico",
                    "category_id": "0190a1b2-0000-7000-8000-000000000001",
                    "sample_type": "Suero",
                    "tube": "Rojo (sin aditivo)",
                    "price": "15.00",
                    "turnaround_hours": 4,
                    "loinc": "3084-1",
                },
                {
                    "code": "PAN-REN",
                    "name": "Perfil renal",
                    "price": "25.00",
                    "is_panel": True,
                    "panel_service_ids": ["0190a1b2-0000-7000-8000-000000000002"],
                },
            ]
        },
    )

    code: Code
    name: Name
    category_id: Annotated[str, StringConstraints(max_length=36)] | None = None
    sample_type: Short = ""
    tube: Short = ""
    price: Price
    is_panel: bool = False
    panel_service_ids: Ids = Field(default_factory=list)
    igv_affectation: Igv = "10"
    turnaround_hours: Hours = 24
    loinc: Loinc = ""
    active: bool = True


class ServiceUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"price": "38.00", "price_reason": "Ajuste anual de tarifas"},
                {"price": "40.00", "price_effective_from": "2027-01-01"},
            ]
        },
    )

    name: Name | None = None
    category_id: Annotated[str, StringConstraints(max_length=36)] | None = Field(
        default=None, description="null (enviado) deja el examen sin categoría"
    )
    sample_type: Short | None = None
    tube: Short | None = None
    price: Price | None = None
    price_effective_from: dt.date | None = Field(
        default=None, description="fecha (Lima) desde la que rige el precio; hoy si se omite"
    )
    price_reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    panel_service_ids: Ids | None = None
    igv_affectation: Igv | None = None
    turnaround_hours: Hours | None = None
    loinc: Loinc | None = None
    active: bool | None = None


class PriceRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PRICE_READ]})

    id: str
    price: Money
    previous_price: Money | None
    effective_from: dt.date
    status: str = Field(description="applied | scheduled | cancelled")
    catalog_version: int | None
    reason: str
    changed_by_username: str | None
    created_at: dt.datetime
    applied_at: dt.datetime | None
    cancelled_at: dt.datetime | None = Field(default=None, description="si se canceló, cuándo")
    cancelled_by_username: str | None = Field(default=None, description="quién lo canceló")


class PriceHistory(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PRICE_HISTORY]})

    service_id: str
    items: list[PriceRead]


# ------------------------------------------------------------------------------- scheduled prices
class ScheduledPriceCancel(BaseModel):
    """Which scheduled price of the test to cancel: the one from ``effective_from``, or (omitted)
    the next one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"effective_from": "2027-01-01"}, {}]},
    )

    effective_from: dt.date | None = Field(
        default=None, description="fecha (Lima) del precio programado; el próximo si se omite"
    )


class ScheduledListCancel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"effective_from": "2027-01-01"}]}
    )

    effective_from: dt.date = Field(description="fecha (Lima) de la lista de precios programados")


class ScheduledListRead(BaseModel):
    effective_from: dt.date
    services: int = Field(description="exámenes y perfiles con un precio programado esa fecha")
    reasons: list[str] = Field(description="motivos de esos precios (los 3 primeros)")


_SCHEDULED_LIST: JsonDict = {
    "effective_from": "2027-01-01",
    "services": 600,
    "reasons": ["Tarifario 2027"],
}


class ScheduledLists(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SCHEDULED_LIST], "total": 1}]}
    )

    items: list[ScheduledListRead]
    total: int


class ScheduledListCancelled(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "effective_from": "2027-01-01",
                    "cancelled": 600,
                    "message": "Lista del 01/01/2027 cancelada: 600 precio(s) programado(s).",
                }
            ]
        }
    )

    effective_from: dt.date
    cancelled: int = Field(description="precios programados cancelados (uno por examen)")
    message: str


# ------------------------------------------------------------------------------- import/export
_IMPORT_EXAMPLE: JsonDict = {
    "filename": "tarifario-2027.csv",
    "content_base64": (
        "77u/Q8OzZGlnbyxOb21icmUsUHJlY2lvIChTLykNCkhFTS0wMDEsSGVtb2dyYW1hIGNvbXBsZXRvLDM4LjAwDQo="
    ),
}


_PREVIEW_EXAMPLE: JsonDict = {
    "rows": 2,
    "counts": {
        "create": 0,
        "update": 0,
        "price": 1,
        "schedule": 0,
        "deactivate": 0,
        "unchanged": 0,
        "errors": 1,
    },  # fmt: skip
    "changes": [
        {
            "row": 2,
            "code": "HEM-001",
            "name": "Hemograma completo",
            "actions": ["price"],
            "fields": [],
            "old_price": "35.00",
            "new_price": "38.00",
            "price_from": None,
        },
    ],  # fmt: skip
    "changes_total": 1,
    "errors": [
        {
            "row": 3,
            "column": "Precio (S/)",
            "type": "price_invalid",
            "msg": "«quince» no es un precio: escriba un monto como 18.50 o 18,50.",
        },
    ],  # fmt: skip
    "errors_total": 1,
}

_APPLIED_EXAMPLE: JsonDict = {
    "rows": 1,
    "counts": {
        "create": 0,
        "update": 0,
        "price": 1,
        "schedule": 0,
        "deactivate": 0,
        "unchanged": 0,
        "errors": 0,
    },  # fmt: skip
    "changes": _PREVIEW_EXAMPLE["changes"],
    "changes_total": 1,
    "errors": [],
    "errors_total": 0,
    "applied": True,
    "message": "Catálogo importado: 1 precio(s) cambiado(s).",
}


class SpreadsheetUpload(BaseModel):
    """An imported spreadsheet (xlsx or csv) in base64, at most 1 MB once decoded: the catalog
    here, a convenio's price list (central.convenios.schemas.PriceFile)."""

    model_config = ConfigDict(extra="forbid")

    filename: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    content_base64: Annotated[str, StringConstraints(min_length=1, max_length=3_000_000)]


class ImportFile(SpreadsheetUpload):
    """A catalog file (xlsx or csv, as exported) in base64; at most 1 MB once decoded."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [_IMPORT_EXAMPLE | {"effective_from": "2027-01-01"}]},
    )

    effective_from: dt.date | None = Field(
        default=None, description="fecha (Lima) desde la que rigen los precios nuevos; hoy si falta"
    )


class ImportApply(ImportFile):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [_IMPORT_EXAMPLE | {"reason": "Tarifario 2027"}]},
    )

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ImportRowError(BaseModel):
    row: int = Field(description="número de fila en la hoja")
    column: str
    type: str = Field(description="código estable (inglés)")
    msg: str


class ImportChange(BaseModel):
    row: int
    code: str
    name: str
    actions: list[str] = Field(description="create | update | price | schedule | deactivate")
    fields: list[str] = Field(description="columnas que cambian")
    old_price: Money | None = None
    new_price: Money | None = None
    price_from: dt.date | None = Field(default=None, description="null: desde hoy")
    scheduled_price: Money | None = None
    scheduled_from: dt.date | None = None


class ImportCounts(BaseModel):
    create: int
    update: int
    price: int
    schedule: int
    deactivate: int
    unchanged: int
    errors: int = Field(description="filas rechazadas")


class ImportPreview(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PREVIEW_EXAMPLE]})

    rows: int = Field(description="filas de datos leídas")
    counts: ImportCounts
    changes: list[ImportChange] = Field(description="los primeros 200 cambios")
    changes_total: int
    errors: list[ImportRowError] = Field(description="los primeros 200 errores")
    errors_total: int


class ImportApplied(ImportPreview):
    model_config = ConfigDict(json_schema_extra={"examples": [_APPLIED_EXAMPLE]})

    applied: bool = Field(description="false: el archivo no cambiaba nada")
    message: str
