"""API shapes of laboratory systems, their code maps and the per-sede assignment.

Tokens are write-only: requests may carry them, responses only say whether one is set.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from central.openapi_examples import admin as ex
from domain.errors import InvalidInput

Protocol = Literal["rest", "mllp", "file"]
MessageType = Literal["OML_O21", "ORM_O01"]
FileFormat = Literal["hl7", "csv"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Host = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Folder = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Secret = Annotated[str, StringConstraints(max_length=500)]
Port = Annotated[int, Field(ge=0, le=65535)]
Timeout = Annotated[float, Field(ge=0.5, le=120)]
ListenerPort = Annotated[int, Field(ge=1, le=65535)]

# message flavour: type -> HL7 version it is sent in
FLAVOURS: dict[str, str] = {"OML_O21": "2.5.1", "ORM_O01": "2.3.1"}
_CODE = re.compile(r"[A-Z][A-Z0-9_-]{1,19}")
_LOINC = re.compile(r"[0-9]{1,7}-[0-9]")
_LAB_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


def check_lab_code(value: str) -> str:
    code = value.strip().upper()
    if not _CODE.fullmatch(code):
        raise InvalidInput(
            f"El código «{value}» no es válido: una letra y de 1 a 19 letras, dígitos, «-» o «_» "
            "(por ejemplo LABCENTRAL).",
            code="lab_code_invalid",
        )
    return code


# ------------------------------------------------------------------------------- systems
class LabSystemRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.LAB_SYSTEM_READ]})

    id: str
    code: str
    name: str
    protocol: Protocol
    message_type: MessageType
    hl7_version: str = Field(description="2.5.1 para OML^O21, 2.3.1 para ORM^O01")
    url: str
    host: str
    port: int
    folder: str
    file_format: FileFormat
    token_set: bool = Field(description="hay un token guardado (nunca se devuelve)")
    results_token_set: bool = Field(description="hay un token de resultados guardado")
    timeout_seconds: float
    sede_ids: list[str] = Field(description="sedes que envían a este laboratorio")
    active: bool
    updated_at: dt.datetime | None


class LabSystemList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.LAB_SYSTEM_LIST]})

    items: list[LabSystemRead]
    total: int


class _SystemFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("code", check_fields=False)
    @classmethod
    def _check_code(cls, value: str | None) -> str | None:
        return None if value is None else check_lab_code(value)

    @field_validator("url", check_fields=False)
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise InvalidInput(
                "La URL debe empezar con http:// o https://.", code="lab_url_invalid"
            )
        return value


class LabSystemCreate(_SystemFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "LABCENTRAL",
                    "name": "Laboratorio Central de Procesamiento",
                    "protocol": "mllp",
                    "message_type": "OML_O21",
                    "host": "10.0.0.20",
                    "port": 2575,
                    "results_token": "token-del-laboratorio",
                }
            ]
        },
    )

    code: str = Field(description="código corto (MSH-5); no se puede cambiar")
    name: Name
    protocol: Protocol = "mllp"
    message_type: MessageType = Field(
        default="OML_O21", description="OML_O21 (HL7 2.5.1) u ORM_O01 (HL7 2.3.1)"
    )
    url: Url = Field(default="", description="REST: URL que recibe las órdenes")
    host: Host = Field(default="", description="MLLP: servidor del laboratorio")
    port: Port = Field(default=0, description="MLLP: puerto del laboratorio")
    folder: Folder = Field(default="", description="archivo: carpeta compartida")
    file_format: FileFormat = "hl7"
    token: Secret = Field(default="", description="REST: token que se envía (no se devuelve)")
    results_token: Secret = Field(
        default="", description="token que presenta el laboratorio al enviar resultados"
    )
    timeout_seconds: Timeout = 10.0
    active: bool = True


class LabSystemUpdate(_SystemFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"host": "10.0.0.21", "port": 2576, "active": True}]},
    )

    name: Name | None = None
    protocol: Protocol | None = None
    message_type: MessageType | None = None
    url: Url | None = None
    host: Host | None = None
    port: Port | None = None
    folder: Folder | None = None
    file_format: FileFormat | None = None
    token: Secret | None = Field(default=None, description='nuevo token; "" lo borra')
    results_token: Secret | None = None
    timeout_seconds: Timeout | None = None
    active: bool | None = None


# ------------------------------------------------------------------------------- code map
class CodeMapItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)
    ] = Field(description="código del examen en nuestro catálogo")
    code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = Field(
        default="", description="código del examen en el laboratorio (OBR-4, tabla L)"
    )
    loinc: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = Field(
        default="", description="código LOINC (tabla LN)"
    )
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        default="", description="nombre del examen en el laboratorio"
    )
    sample_type: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = Field(
        default="", description="tipo de muestra que espera el laboratorio (HL7 0487: SER, WB)"
    )

    @field_validator("code")
    @classmethod
    def _check_code(cls, value: str) -> str:
        if value and not _LAB_CODE.fullmatch(value):
            raise InvalidInput(
                f"El código del laboratorio «{value}» tiene caracteres no permitidos.",
                code="lab_test_code_invalid",
            )
        return value

    @field_validator("loinc")
    @classmethod
    def _check_loinc(cls, value: str) -> str:
        if value and not _LOINC.fullmatch(value):
            raise InvalidInput(
                f"El código LOINC «{value}» no es válido (por ejemplo 1558-6).",
                code="loinc_invalid",
            )
        return value


class CodeMapPut(BaseModel):
    """The whole map of one laboratory system (tests left out are unmapped)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "service_code": "BIO-001",
                            "code": "GLU",
                            "loinc": "1558-6",
                            "sample_type": "SER",
                        },
                        {"service_code": "HEM-002", "code": "HB", "loinc": "718-7"},
                    ]
                }
            ]
        },
    )

    items: list[CodeMapItemIn] = Field(max_length=5000)


class CodeMapItemRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CODE_MAP_ITEM_READ]})

    id: str
    service_id: str
    service_code: str
    service_name: str
    code: str
    loinc: str
    name: str
    sample_type: str
    updated_at: dt.datetime | None


class CodeMapRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CODE_MAP_READ]})

    lab_system_id: str
    items: list[CodeMapItemRead]
    total: int


class UnmappedTest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.UNMAPPED_TEST]})

    service_id: str
    code: str
    name: str


class MappingCheck(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.MAPPING_CHECK]})

    lab_system_id: str
    complete: bool = Field(description="todos los exámenes activos tienen código")
    active_tests: int
    mapped: int
    unmapped: list[UnmappedTest]


# ------------------------------------------------------------------------------- sedes
class SedeLabRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SEDE_LAB_READ]})

    sede_id: str
    sede_code: str
    sede_name: str
    lab_system_id: str | None
    listener_host: str = Field(description="dónde escucha el nodo los resultados (MLLP)")
    listener_port: int | None
    updated_at: dt.datetime | None


class SedeLabList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SEDE_LAB_LIST]})

    items: list[SedeLabRead]
    total: int


class SedeLabPut(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "lab_system_id": "0190a1b2-0000-7000-8000-000000000001",
                    "listener_host": "0.0.0.0",
                    "listener_port": 2575,
                }
            ]
        },
    )

    lab_system_id: Annotated[str, StringConstraints(max_length=36)] | None = Field(
        description="sistema de laboratorio de la sede (null: ninguno)"
    )
    listener_host: Host = "0.0.0.0"
    listener_port: ListenerPort | None = Field(
        default=None, description="puerto MLLP donde el nodo recibe resultados (null: no escucha)"
    )


# ------------------------------------------------------------------------------- history
class LabChangeRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [ex.LAB_CHANGE_READ]}
    )

    id: str
    entity: str
    entity_id: str
    field: str
    old_value: Any
    new_value: Any
    changed_by_username: str | None
    changed_at: dt.datetime
    ip: str | None


class LabChangeList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.LAB_CHANGE_LIST]})

    items: list[LabChangeRead]
    total: int
