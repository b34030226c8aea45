"""API shapes of convenios."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from central.catalog.schemas import ImportRowError, SpreadsheetUpload
from central.openapi_examples import commerce as ex
from domain.errors import InvalidInput
from domain.identity import DocType, validate_document
from sync.apitypes import Money, Percent, Price

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Contact = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Pct = Percent  # ASCII text only, 0-100, 2 decimals (sync.apitypes)
Days = Annotated[int, Field(ge=0, le=365)]
Prices = Annotated[dict[Annotated[str, StringConstraints(max_length=36)], Price], Field()]


def _ruc(value: str) -> str:
    try:
        return validate_document(DocType.RUC, value)
    except InvalidInput as exc:
        raise InvalidInput(exc.msg, code=exc.code) from None


def _no_float(value: Any) -> Any:
    if isinstance(value, float | bool):
        raise InvalidInput(
            'El porcentaje debe enviarse como texto decimal (por ejemplo "80").',
            code="amount_not_decimal",
        )
    return value


class ConvenioRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO_READ]})

    id: str
    ruc: str
    name: str
    coverage_pct: str = Field(description="porcentaje cubierto por el convenio (0–100)")
    prices: dict[str, Money] = Field(description="id del examen -> precio del convenio (S/)")
    credit_days: int
    contact: str
    active: bool
    updated_at: dt.datetime | None


class ConvenioList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO_LIST]})

    items: list[ConvenioRead]
    total: int


class ConvenioCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ruc": "20503123453",
                    "name": "SALUD PLUS EPS S.A.",
                    "coverage_pct": "80",
                    "prices": {"0190a1b2-0000-7000-8000-000000000001": "30.00"},
                    "credit_days": 30,
                    "contact": "convenios@saludplus.example.pe",
                }
            ]
        },
    )

    ruc: str
    name: Name
    coverage_pct: Pct = Decimal("0")
    prices: Prices = Field(default_factory=dict)
    credit_days: Days = 30
    contact: Contact = ""
    active: bool = True

    @field_validator("ruc")
    @classmethod
    def _check_ruc(cls, value: str) -> str:
        return _ruc(value)

    @field_validator("coverage_pct", mode="before")
    @classmethod
    def _check_pct(cls, value: Any) -> Any:
        return _no_float(value)


class ConvenioUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"coverage_pct": "90", "credit_days": 45}]},
    )

    name: Name | None = None
    coverage_pct: Pct | None = None
    prices: Prices | None = None
    credit_days: Days | None = None
    contact: Contact | None = None
    active: bool | None = None

    @field_validator("coverage_pct", mode="before")
    @classmethod
    def _check_pct(cls, value: Any) -> Any:
        return _no_float(value)


class ConvenioOrderRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO_ORDER_READ]})

    id: str
    number: str
    sede_id: str
    sede_code: str
    business_date: dt.date
    patient_id: str
    patient_name: str
    patient_document: str
    status: str
    total: Money
    covered: Money = Field(description="lo que paga el convenio (0 si la orden está anulada)")
    patient_part: Money = Field(description="lo que pagó el paciente")
    due_date: dt.date = Field(description="vencimiento: fin de mes + días de crédito")


class ConvenioOrderList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO_ORDER_LIST]})

    items: list[ConvenioOrderRead]
    total: int
    covered_total: Money = Field(description="suma de lo cubierto en esta página")


# --------------------------------------------------------------- price list as a spreadsheet
_PRICE_FILE_EXAMPLE: dict[str, Any] = {
    "filename": "tarifario-saludplus-2027.xlsx",
    "content_base64": "UEsDBBQAAAAIAA==",
}
_PRICE_PREVIEW_EXAMPLE: dict[str, Any] = {
    "rows": 3,
    "counts": {"added": 1, "changed": 1, "removed": 0, "unchanged": 1, "errors": 0,
               "warnings": 1},
    "changes": [
        {"row": 5, "code": "HEM-001", "name": "Hemograma completo", "action": "changed",
         "old_price": "30.00", "new_price": "32.00", "public_price": "35.00"},
        {"row": 6, "code": "BIO-010", "name": "Glucosa basal", "action": "added",
         "old_price": None, "new_price": "14.00", "public_price": "12.50"},
    ],
    "changes_total": 2,
    "errors": [],
    "errors_total": 0,
    "warnings": [
        {"row": 6, "column": "Precio convenio (S/)", "type": "price_above_public",
         "msg": "S/ 14.00 es mayor que el precio público (S/ 12.50)."},
    ],
    "warnings_total": 1,
}  # fmt: skip


class PriceFile(SpreadsheetUpload):
    """A convenio's price list (xlsx or csv, as exported) in base64; at most 1 MB decoded."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_PRICE_FILE_EXAMPLE]})


class PriceApply(PriceFile):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [_PRICE_FILE_EXAMPLE | {"note": "Tarifario 2027"}]},
    )

    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        default="", description="nota para la auditoría (p. ej. «Tarifario 2027»)"
    )


class PriceChangeRead(BaseModel):
    row: int = Field(description="número de fila en la hoja")
    code: str
    name: str
    action: Literal["added", "changed", "removed"] = Field(
        description="added: precio nuevo · changed: antes → ahora · removed: celda vaciada, "
        "rige el precio público"
    )
    old_price: Money | None = None
    new_price: Money | None = None
    public_price: Money


class PriceCounts(BaseModel):
    added: int
    changed: int
    removed: int
    unchanged: int
    errors: int = Field(description="filas rechazadas")
    warnings: int = Field(description="filas con advertencia (se aplican)")


class PricePreview(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PRICE_PREVIEW_EXAMPLE]})

    rows: int = Field(description="filas de datos leídas")
    counts: PriceCounts
    changes: list[PriceChangeRead] = Field(description="los primeros 200 cambios")
    changes_total: int
    errors: list[ImportRowError] = Field(description="las primeras 200 filas rechazadas")
    errors_total: int
    warnings: list[ImportRowError] = Field(
        description="las primeras 200 advertencias (precio del convenio mayor que el público); "
        "no impiden aplicar"
    )
    warnings_total: int


class PriceApplied(PricePreview):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _PRICE_PREVIEW_EXAMPLE
                | {"applied": True,
                   "message": "Tarifario de SALUD PLUS EPS S.A. importado: 1 precio(s) nuevo(s), "
                              "1 cambiado(s)."}
            ]
        }
    )  # fmt: skip

    applied: bool = Field(description="false: el archivo no cambiaba nada («sin cambios»)")
    message: str
