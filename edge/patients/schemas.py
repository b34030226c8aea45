"""API shapes of patients and their history, with the field rules of reception.

Each field rule raises ``InvalidInput`` with a stable code; the app renders it with the
field's location (``["body", "<field>"]``) and a Spanish message.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from domain.errors import InvalidInput
from domain.identity import DocType, parse_doc_type, validate_document
from edge.openapi_examples import patients as ex
from edge.patients.models import Patient, PatientHistory
from sync.apitypes import Money

MIN_BIRTH_DATE = dt.date(1900, 1, 1)
_NAME = re.compile(r"[^\W\d_]+(?:[ '\-.][^\W\d_]*)*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_PHONE_JUNK = re.compile(r"[\s\-().]+")


# ------------------------------------------------------------------------------ field rules
def clean_name(value: object, *, field: str) -> str:
    """Trimmed, single-spaced, uppercase (accents kept, as SUNAT and reception expect)."""
    if not isinstance(value, str):
        raise InvalidInput("Debe ser un texto.", code="name_invalid", loc=[field])
    name = " ".join(unicodedata.normalize("NFC", value).split()).upper()
    if not name:
        raise InvalidInput("Este campo es obligatorio.", code="name_required", loc=[field])
    if len(name) > 120:
        raise InvalidInput("Máximo 120 caracteres.", code="name_too_long", loc=[field])
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            "Use solo letras, espacios, apóstrofos, guiones o puntos.",
            code="name_invalid",
            loc=[field],
        )
    return name


def clean_phone(value: str) -> str:
    """A Peruvian mobile (9 digits from 9) or landline, ``+51`` allowed; stored nationally:
    ``9XXXXXXXX``, ``01XXXXXXX`` (Lima) or ``0AAXXXXXX`` (province code 41..84)."""
    raw = _PHONE_JUNK.sub("", value)
    international = raw.startswith("+51") or (len(raw) == 11 and raw.startswith("519"))
    national = raw[3:] if raw.startswith("+51") else raw[2:] if international else raw
    if not raw.startswith("+") or raw.startswith("+51"):
        if international and national[:1] not in ("", "0", "9"):
            national = "0" + national  # +51 1 4567890 -> 014567890
        if len(national) == 7 and national[0] != "0":
            national = "01" + national  # a bare Lima number
        if national.isdigit() and len(national) == 9:
            if national[0] == "9":
                return national
            if national.startswith("01") or (national[0] == "0" and "41" <= national[1:3] <= "84"):
                return national
    raise InvalidInput(
        "Teléfono inválido: use un celular de 9 dígitos que empiece con 9 o un fijo "
        "(01 + 7 dígitos en Lima, 0 + código de provincia + 6 dígitos); se admite +51.",
        code="phone_invalid",
        loc=["phone"],
    )


def clean_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 120 or not _EMAIL.fullmatch(email) or ".." in email:
        raise InvalidInput(
            "Correo electrónico inválido (ejemplo: nombre@dominio.pe).",
            code="email_invalid",
            loc=["email"],
        )
    return email


def clean_address(value: str) -> str:
    address = " ".join(unicodedata.normalize("NFC", value).split())
    if len(address) < 3:
        raise InvalidInput(
            "La dirección es demasiado corta.", code="address_too_short", loc=["address"]
        )
    if len(address) > 200:
        raise InvalidInput(
            "La dirección admite hasta 200 caracteres.", code="address_too_long", loc=["address"]
        )
    return address


def clean_sex(value: str) -> str:
    sex = value.strip().upper()
    if sex not in {"F", "M", "X"}:
        raise InvalidInput("Sexo inválido: use F, M o X.", code="sex_invalid", loc=["sex"])
    return sex


def check_birth_date(value: dt.date, *, today: dt.date | None = None) -> dt.date:
    """Not before 1900; not after ``today`` (checked by the service, which owns the clock)."""
    if value < MIN_BIRTH_DATE:
        raise InvalidInput(
            "La fecha de nacimiento no puede ser anterior a 1900.",
            code="birth_date_too_old",
            loc=["body", "birth_date"],
        )
    if today is not None and value > today:
        raise InvalidInput(
            "La fecha de nacimiento no puede ser futura.",
            code="birth_date_future",
            loc=["body", "birth_date"],
        )
    return value


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


# --------------------------------------------------------------------------------- inputs
_EXAMPLE: dict[str, Any] = {
    "doc_type": "1",
    "doc_number": "45871236",
    "first_names": "María José",
    "last_names": "Núñez Quispe",
    "birth_date": "1987-03-14",
    "sex": "F",
    "phone": "987654321",
    "email": "maria.nunez@example.pe",
    "address": "Av. Larco 1150, Miraflores",
}


class _PatientFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=300)

    @field_validator("doc_type", mode="before", check_fields=False)
    @classmethod
    def _doc_type(cls, v: Any) -> str:
        return parse_doc_type(v).value

    @field_validator("doc_number", mode="before", check_fields=False)
    @classmethod
    def _doc_number(cls, v: Any, info: ValidationInfo) -> Any:
        doc_type = info.data.get("doc_type")
        if doc_type is None:
            return v  # doc_type failed or absent (update without it: the service checks)
        return validate_document(doc_type, v)

    @field_validator("first_names", "last_names", mode="before", check_fields=False)
    @classmethod
    def _names(cls, v: Any, info: ValidationInfo) -> Any:
        return None if v is None else clean_name(v, field=str(info.field_name))

    @field_validator("phone", "email", "address", "sex", mode="before", check_fields=False)
    @classmethod
    def _optional_text(cls, v: Any, info: ValidationInfo) -> Any:
        v = _blank_to_none(v)
        if v is None or not isinstance(v, str):
            return v
        cleaners = {
            "phone": clean_phone,
            "email": clean_email,
            "address": clean_address,
            "sex": clean_sex,
        }
        return cleaners[str(info.field_name)](v)

    @field_validator("birth_date", check_fields=False)
    @classmethod
    def _birth_date(cls, v: dt.date | None) -> dt.date | None:
        return None if v is None else check_birth_date(v)


class PatientCreate(_PatientFields):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    doc_type: str = Field(description="SUNAT catálogo 06: 1 DNI, 4 CE, 6 RUC, 7 pasaporte, ...")
    doc_number: str = Field(description="Número de documento")
    first_names: str = Field(description="Nombres")
    last_names: str = Field(description="Apellidos")
    birth_date: dt.date | None = None
    sex: str | None = Field(default=None, description="F | M | X")
    phone: str | None = Field(default=None, description="Celular (9…) o fijo; se admite +51")
    email: str | None = None
    address: str | None = None


class PatientUpdate(_PatientFields):
    """Only the fields sent change; ``null`` clears an optional field."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"phone": "+51 912 345 678", "address": None}]}
    )

    doc_type: str | None = None
    doc_number: str | None = None
    first_names: str | None = None
    last_names: str | None = None
    birth_date: dt.date | None = None
    sex: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None


# -------------------------------------------------------------------------------- outputs
class PatientRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PATIENT]})

    id: str
    doc_type: str
    doc_type_label: str
    doc_number: str
    first_names: str
    last_names: str
    full_name: str
    birth_date: dt.date | None
    sex: str | None
    phone: str | None
    email: str | None
    address: str | None
    home_sede_id: str
    canonical_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_model(cls, p: Patient) -> PatientRead:
        try:
            label = DocType(p.doc_type).label
        except ValueError:
            label = p.doc_type
        return cls(
            id=p.id,
            doc_type=p.doc_type,
            doc_type_label=label,
            doc_number=p.doc_number,
            first_names=p.first_names,
            last_names=p.last_names,
            full_name=f"{p.last_names}, {p.first_names}",
            birth_date=p.birth_date,
            sex=p.sex,
            phone=p.phone,
            email=p.email,
            address=p.address,
            home_sede_id=p.home_sede_id,
            canonical_id=p.canonical_id,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )


class PatientList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PATIENT_LIST]})

    items: list[PatientRead]
    total: int
    limit: int
    offset: int


class PatientSearchHit(PatientRead):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PATIENT_HIT]})

    match: Literal["document", "document_prefix", "name_prefix", "name"] = Field(
        description="Por qué coincide (en orden de relevancia)"
    )


class PatientSearchResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SEARCH_RESULT]})

    q: str
    items: list[PatientSearchHit]
    limit: int
    offset: int
    has_more: bool = Field(description="Hay otra página")


class HistoryRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.HISTORY]})

    id: str
    action: str
    field: str
    old_value: str | None
    new_value: str | None
    user_id: str | None
    username: str | None
    sede_id: str | None
    created_at: dt.datetime

    @classmethod
    def from_model(cls, h: PatientHistory) -> HistoryRead:
        return cls.model_validate(h, from_attributes=True)


class HistoryList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.HISTORY_LIST]})

    items: list[HistoryRead]
    total: int
    limit: int
    offset: int


class PatientOrderRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PATIENT_ORDER]})

    id: str
    number: str
    sede_id: str
    status: str
    total: Money
    paid_total: Money
    balance: Money
    business_date: dt.date
    created_at: dt.datetime


class PatientOrderList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PATIENT_ORDER_LIST]})

    items: list[PatientOrderRead]
    total: int
    limit: int
    offset: int


class RecurringPatient(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.RECURRING]})

    patient: PatientRead
    order_count: int
    total_amount: Money
    last_order_date: dt.date


class RecurringList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.RECURRING_LIST]})

    date_from: dt.date
    date_to: dt.date
    min_orders: int
    items: list[RecurringPatient]
    total: int
    limit: int
    offset: int
