"""API shapes of convenios."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from central.openapi_examples import commerce as ex
from domain.errors import InvalidInput
from domain.identity import DocType, validate_document
from sync.apitypes import Money, Percent

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Contact = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Pct = Percent  # ASCII text only, 0-100, 2 decimals (sync.apitypes)
Days = Annotated[int, Field(ge=0, le=365)]
Prices = Annotated[dict[Annotated[str, StringConstraints(max_length=36)], Money], Field()]


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
