"""API shapes of a patient's consents (datos de salud, contacto por correo / WhatsApp)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.openapi_examples import patients as ex
from edge.patients.models import PatientConsent

ConsentKind = Literal["datos_salud", "contacto_email", "contacto_whatsapp"]
ConsentChannel = Literal["presencial", "web", "telefono"]
CONSENT_KINDS: tuple[str, ...] = ("datos_salud", "contacto_email", "contacto_whatsapp")


# -------------------------------------------------------------------------------- inputs
class ConsentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "contacto_whatsapp",
                    "granted": True,
                    "version": "2026-01",
                    "channel": "presencial",
                }
            ]
        },
    )

    kind: ConsentKind = Field(description="datos_salud | contacto_email | contacto_whatsapp")
    granted: bool = Field(description="true: otorga; false: deniega o revoca")
    version: str = Field(min_length=1, max_length=20, description="Versión del texto firmado")
    channel: ConsentChannel = Field(description="presencial | web | telefono")


# -------------------------------------------------------------------------------- outputs
class ConsentRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONSENT]})

    id: str
    kind: str
    granted: bool
    version: str
    channel: str
    user_id: str | None
    username: str | None
    sede_id: str | None
    created_at: dt.datetime

    @classmethod
    def from_model(cls, c: PatientConsent) -> ConsentRead:
        return cls.model_validate(c, from_attributes=True)


class ConsentState(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONSENT_STATE]})

    kind: str
    granted: bool = Field(description="Vigente: el último registro de este tipo; sin registro: no")
    current: ConsentRead | None


class PatientConsents(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PATIENT_CONSENTS]})

    patient_id: str
    current: list[ConsentState] = Field(description="Un estado por tipo de consentimiento")
    history: list[ConsentRead] = Field(description="Todos los registros, del más reciente")
