"""API shapes of the company, sedes, settings and their history."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from central.openapi_examples import admin as ex
from domain.errors import InvalidInput
from domain.identity import DocType, validate_document
from domain.money import fmt, fmt_soles, parse_amount
from domain.results_promise import DEFAULT_DELIVERY_HOURS, parse_delivery_hours
from sync.apitypes import Money, Percent

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
OptName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Threshold = Annotated[Money, Field(le=Decimal("1000000.00"))]  # stored as int4 céntimos
SedeName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Ubigeo = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^([0-9]{6})?$")]

# document type -> first letter its series must start with ("" = F or B)
SERIES_KEYS: dict[str, str] = {
    "01": "F",
    "03": "B",
    "07F": "F",
    "07B": "B",
    "08F": "F",
    "08B": "B",
    "contingency01": "F",
    "contingency03": "B",
}
_SERIES = re.compile(r"[FB][A-Z0-9]{3}")
_SEDE_CODE = re.compile(r"[A-Z][A-Z0-9]{1,7}")


def _ruc(value: str) -> str:
    try:
        return validate_document(DocType.RUC, value)
    except InvalidInput as exc:
        raise InvalidInput(exc.msg, code=exc.code, loc=["ruc"]) from None


def check_series(series: dict[str, str]) -> dict[str, str]:
    """Normalise (upper-case) and validate a sede's series map."""
    out: dict[str, str] = {}
    for key, value in series.items():
        if key not in SERIES_KEYS:
            raise InvalidInput(
                f"Tipo de documento «{key}» desconocido; use: {', '.join(SERIES_KEYS)}.",
                code="series_key_invalid",
            )
        text = str(value).strip().upper()
        if not _SERIES.fullmatch(text) or not text.startswith(SERIES_KEYS[key]):
            raise InvalidInput(
                f"La serie «{value}» no es válida para «{key}»: deben ser 4 caracteres "
                f"empezando con {SERIES_KEYS[key]} (por ejemplo {SERIES_KEYS[key]}001).",
                code="series_invalid",
            )
        out[key] = text
    return out


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"Zona horaria desconocida: «{value}».", code="timezone_invalid"
        ) from None
    return value


# ------------------------------------------------------------------------------- company
class CompanyRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.COMPANY_READ]})

    id: str
    ruc: str
    razon_social: str
    nombre_comercial: str
    address: str
    ubigeo: str
    sunat_credentials_configured: bool = Field(description="usuario y clave SOL guardados")
    certificate_configured: bool = Field(description="certificado y su clave guardados")
    updated_at: dt.datetime | None


class CompanyUpdate(BaseModel):
    """Fields to change; credentials are write-only (never returned)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ruc": "20100070970",
                    "razon_social": "LABORATORIOS CLINICOS LABRED S.A.C.",
                    "address": "AV. AREQUIPA 1234, LIMA",
                    "ubigeo": "150101",
                    "sol_user": "LABRED01",
                    "sol_password": "clave-sol",
                }
            ]
        },
    )

    ruc: str | None = None
    razon_social: Text | None = None
    nombre_comercial: OptName | None = None
    address: OptText | None = None
    ubigeo: Ubigeo | None = None
    sol_user: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    sol_password: Annotated[str, StringConstraints(max_length=200)] | None = None
    certificate_ref: OptText | None = Field(
        default=None, description="ruta o referencia del certificado digital"
    )
    certificate_password: Annotated[str, StringConstraints(max_length=200)] | None = None

    @field_validator("ruc")
    @classmethod
    def _check_ruc(cls, value: str | None) -> str | None:
        return None if value is None else _ruc(value)


# ------------------------------------------------------------------------------- sedes
class SedeRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SEDE_READ]})

    id: str
    code: str
    name: str
    address: str
    ubigeo: str
    establishment_code: str
    series: dict[str, str]
    cash_threshold: Money = Field(description="límite de bancarización (S/)")
    cash_difference_threshold: Money = Field(description="diferencia de caja tolerada (S/)")
    timezone: str
    active: bool
    updated_at: dt.datetime | None


class SedeList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SEDE_LIST]})

    items: list[SedeRead]
    total: int


class _SedeFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("series", check_fields=False)
    @classmethod
    def _check_series(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else check_series(value)

    @field_validator("timezone", check_fields=False)
    @classmethod
    def _check_tz(cls, value: str | None) -> str | None:
        return None if value is None else _timezone(value)


class SedeCreate(_SedeFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "S04",
                    "name": "Sede San Isidro",
                    "address": "Av. Javier Prado Este 123, San Isidro",
                    "ubigeo": "150131",
                    "establishment_code": "0004",
                    "cash_threshold": "2000.00",
                }
            ]
        },
    )

    code: str = Field(description="1 letra y 1–7 letras o dígitos (S01); no se puede cambiar")
    name: SedeName
    address: OptText = ""
    ubigeo: Ubigeo = ""
    establishment_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] = "0000"
    series: dict[str, str] | None = Field(
        default=None, description="por defecto F00k, B00k, FC0k, ... según el número de la sede"
    )
    cash_threshold: Threshold = Decimal("2000.00")
    cash_difference_threshold: Threshold = Decimal("10.00")
    timezone: str = "America/Lima"
    active: bool = True

    @field_validator("code")
    @classmethod
    def _check_code(cls, value: str) -> str:
        code = value.strip().upper()
        if not _SEDE_CODE.fullmatch(code):
            raise InvalidInput(
                f"El código de sede «{value}» no es válido: una letra y de 1 a 7 letras o "
                "dígitos (por ejemplo S01).",
                code="sede_code_invalid",
            )
        return code


class SedeUpdate(_SedeFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Sede Miraflores", "cash_threshold": "3500.00"}]},
    )

    name: SedeName | None = None
    address: OptText | None = None
    ubigeo: Ubigeo | None = None
    establishment_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] | None = None
    series: dict[str, str] | None = None
    cash_threshold: Threshold | None = None
    cash_difference_threshold: Threshold | None = None
    timezone: str | None = None
    active: bool | None = None


# ------------------------------------------------------------------------------- settings
VOID_MODES = ("baja", "nota_credito")  # edge.billing.voids MODE_BAJA / MODE_CREDIT_NOTE
BAJA_DAYS_MIN, BAJA_DAYS_MAX = 1, 7  # SUNAT accepts a comunicación de baja up to 7 days late


def check_void_mode(value: object) -> str:
    """``sunat_factura_void``: how an accepted factura is cancelled."""
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in VOID_MODES:
        raise InvalidInput(
            f"Modo de anulación de facturas desconocido: «{value}». Use «baja» (comunicación "
            "de baja) o «nota_credito» (nota de crédito).",
            code="factura_void_mode_invalid",
        )
    return text


def check_baja_days(value: object) -> int:
    """``sunat_baja_days``: a whole number of days, 1 to 7."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            "El plazo de la comunicación de baja debe ser un número entero de días (1 a 7).",
            code="baja_days_not_integer",
        )
    if not BAJA_DAYS_MIN <= value <= BAJA_DAYS_MAX:
        raise InvalidInput(
            f"El plazo de la comunicación de baja debe estar entre {BAJA_DAYS_MIN} y "
            f"{BAJA_DAYS_MAX} días desde la emisión (SUNAT no acepta bajas posteriores); "
            f"se indicó {value}.",
            code="baja_days_out_of_range",
        )
    return value


PRICE_OVERRIDE_MAX_LIMIT = Decimal("999999999.99")


def check_price_override_max(value: object) -> str:
    """``price_override_max``: the highest unit price an override may set on an edge, soles
    above 0 and at most 999,999,999.99, stored as text ("50000.00") as the edges read it."""
    amount = parse_amount(value, field="precio máximo de un precio modificado")
    if amount <= 0:
        raise InvalidInput(
            "El precio máximo de un precio modificado debe ser mayor que 0 "
            f"(se indicó {fmt_soles(amount)}).",
            code="price_override_max_not_positive",
        )
    if amount > PRICE_OVERRIDE_MAX_LIMIT:
        raise InvalidInput(
            "El precio máximo de un precio modificado no puede superar S/ 999,999,999.99.",
            code="price_override_max_too_large",
        )
    return fmt(amount)


def check_delivery_hours(value: object) -> dict[str, str]:
    """``results_delivery_hours``: one "HH:MM-HH:MM" range per weekday (mon..sun), "" or null
    for a day without delivery, at least one day open; stored normalised ("07:00-19:00")."""
    return parse_delivery_hours(value).as_json()


Pct = Percent  # ASCII text only, 0-100, 2 decimals (sync.apitypes)
HourMinute = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class SettingsRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SETTINGS_READ]})

    discount_approval_threshold_pct: str = Field(
        description="descuento (%) por encima del cual se requiere aprobación del supervisor"
    )
    sunat_factura_deadline_days: int = Field(description="días para enviar una factura a SUNAT")
    sunat_boleta_deadline_days: int = Field(description="días para informar una boleta")
    reconciliation_hour: str = Field(description="hora de la conciliación diaria (HH:MM, Lima)")
    retention_audit_days: int = Field(description="días que se conserva la auditoría")
    retention_backup_days: int = Field(description="días que se conservan las copias")
    sunat_factura_void: str = Field(
        description="cómo se anula una factura aceptada: «baja» (comunicación de baja dentro "
        "del plazo, si no nota de crédito) o «nota_credito» (siempre nota de crédito)"
    )
    sunat_baja_days: int = Field(
        description="días desde la emisión para enviar la comunicación de baja (1 a 7)"
    )
    price_override_max: str = Field(
        description="precio unitario máximo (S/) que se puede fijar al modificar el precio de "
        "un examen en una sede",
        examples=["50000.00"],
    )
    results_delivery_hours: dict[str, str] = Field(
        description="horario de entrega de resultados por día (mon..sun): «HH:MM-HH:MM», o "
        "«» si ese día no se entrega; la fecha prometida de cada orden cae en este horario "
        "(y nunca en feriados nacionales)",
        examples=[DEFAULT_DELIVERY_HOURS],
    )
    updated_at: dt.datetime | None


class SettingsUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"discount_approval_threshold_pct": "15", "reconciliation_hour": "23:00"},
                {"sunat_factura_void": "nota_credito", "sunat_baja_days": 5},
                {"results_delivery_hours": dict(DEFAULT_DELIVERY_HOURS, sat="08:00-14:00")},
            ]
        },
    )

    discount_approval_threshold_pct: Pct | None = None
    sunat_factura_deadline_days: Annotated[int, Field(ge=1, le=7)] | None = None
    sunat_boleta_deadline_days: Annotated[int, Field(ge=1, le=7)] | None = None
    reconciliation_hour: HourMinute | None = None
    retention_audit_days: Annotated[int, Field(ge=365, le=36500)] | None = None
    retention_backup_days: Annotated[int, Field(ge=7, le=3650)] | None = None
    sunat_factura_void: str | None = Field(
        default=None, description="«baja» o «nota_credito»", examples=["nota_credito"]
    )
    sunat_baja_days: int | None = Field(default=None, description="1 a 7", examples=[3])
    price_override_max: str | None = Field(
        default=None,
        description="soles como texto, mayor que 0 y hasta 999999999.99",
        examples=["50000.00"],
        json_schema_extra={"pattern": r"^[0-9]{1,9}(\.[0-9]{1,2})?$"},
    )

    results_delivery_hours: dict[str, str | None] | None = Field(
        default=None,
        description="un rango «HH:MM-HH:MM» por día (mon, tue, wed, thu, fri, sat, sun); «» "
        "o null: ese día no se entregan resultados; al menos un día con atención",
        examples=[DEFAULT_DELIVERY_HOURS],
    )

    @field_validator("results_delivery_hours", mode="before")
    @classmethod
    def _delivery_hours(cls, value: Any) -> Any:
        return None if value is None else check_delivery_hours(value)

    @field_validator("sunat_factura_void", mode="before")
    @classmethod
    def _void_mode(cls, value: Any) -> Any:
        return None if value is None else check_void_mode(value)

    @field_validator("sunat_baja_days", mode="before")
    @classmethod
    def _baja_days(cls, value: Any) -> Any:
        return None if value is None else check_baja_days(value)

    @field_validator("price_override_max", mode="before")
    @classmethod
    def _override_max(cls, value: Any) -> Any:
        return None if value is None else check_price_override_max(value)

    @field_validator("discount_approval_threshold_pct", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        if isinstance(value, float | bool):
            raise InvalidInput(
                'El porcentaje debe enviarse como texto decimal (por ejemplo "10.5").',
                code="amount_not_decimal",
            )
        return value


# ------------------------------------------------------------------------------- history
class ConfigChangeRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [ex.CONFIG_CHANGE_READ]}
    )

    id: str
    entity: str
    entity_id: str
    field: str
    old_value: Any
    new_value: Any
    changed_by: str | None
    changed_by_username: str | None
    changed_at: dt.datetime
    ip: str | None


class ConfigChangeList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONFIG_CHANGE_LIST]})

    items: list[ConfigChangeRead]
    total: int
