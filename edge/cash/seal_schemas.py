"""API shapes of the day seal: closing a business day, reopening it and reading its figures."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.cash.models import DAY_SEALED, DaySeal
from edge.openapi_examples import cash as ex

DayStatus = Literal["abierto", "sellado", "reabierto"]
HubCheckState = Literal["consultada", "no_disponible", "sin_central"]


class DayCloseRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{}, {"date": "2026-11-29"}]}
    )

    date: dt.date | None = Field(default=None, description="Día de negocio; por defecto hoy.")


class DayReopenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.DAY_REOPEN]})

    # Checked by the service (5 to 300 characters once stripped, 422 ``reason_required``), so
    # a missing, blank or short reason gets the same code and a Spanish message.
    reason: str | None = Field(
        default=None, description="Motivo de la reapertura (5 a 300 caracteres)."
    )


class DaySealRead(BaseModel):
    """A business day: its seal while it is sealed, otherwise the live figures (never sealed,
    or reopened: then with the seal's id and the reopening's who, when and why)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [ex.DAY_SEALED_VIEW, ex.DAY_REOPENED_VIEW, ex.DAY_OPEN_VIEW]}
    )

    business_date: dt.date
    sealed: bool = Field(description="True solo mientras el día está sellado")
    status: DayStatus = Field(
        default="abierto",
        description="abierto (nunca sellado) | sellado | reabierto (sellado y reabierto, "
        "aún no sellado de nuevo)",
    )
    seal_id: str | None = None
    last_seq: int | None = None
    closed_by: str | None = Field(default=None, description="id de quien selló por última vez")
    created_at: dt.datetime | None = Field(default=None, description="primer sellado")
    sealed_at: dt.datetime | None = Field(default=None, description="último sellado")
    reopen_count: int = 0
    reopened_at: dt.datetime | None = None
    reopened_by: str | None = Field(
        default=None, description="nombre completo de quien reabrió el día por última vez"
    )
    reopen_reason: str | None = None
    figures: dict[str, Any] = Field(description="conteos y sumas (montos en céntimos, *_cents)")

    @classmethod
    def from_seal(cls, seal: DaySeal, live: dict[str, Any] | None = None) -> DaySealRead:
        """``live``: the day's current figures, shown instead of the sealed ones when the day
        is reopened."""
        sealed = seal.status == DAY_SEALED
        return cls(
            business_date=seal.business_date,
            sealed=sealed,
            status="sellado" if sealed else "reabierto",
            seal_id=seal.id,
            last_seq=seal.last_seq,
            closed_by=seal.closed_by,
            created_at=seal.created_at,
            sealed_at=seal.sealed_at or seal.created_at,
            reopen_count=seal.reopen_count,
            reopened_at=seal.reopened_at,
            reopened_by=seal.reopened_by_name,
            reopen_reason=seal.reopen_reason,
            figures=seal.figures if sealed or live is None else live,
        )


class DayReopenRead(DaySealRead):
    """A reopened day, and whether the hub was asked first if it had closed it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [ex.DAY_REOPENED_CHECKED, ex.DAY_REOPENED_HUB_OFFLINE]}
    )

    hub_checked: bool = Field(
        description="True si se consultó a la central antes de reabrir (y no había cerrado el día)"
    )
    hub_check: HubCheckState = Field(
        description="consultada | no_disponible (sin conexión, sin respuesta a tiempo o "
        "rechazada: se reabrió igual) | sin_central (nodo no enrolado)"
    )
    hub_status: str | None = Field(
        default=None,
        description="estado del cierre en la central cuando se consultó (null: sin cierre)",
    )
    warning: str | None = Field(
        default=None, description="aviso para la pantalla cuando no se pudo consultar la central"
    )

    @classmethod
    def build(
        cls,
        seal: DaySeal,
        live: dict[str, Any],
        *,
        hub_check: HubCheckState,
        hub_status: str | None,
        warning: str | None,
    ) -> DayReopenRead:
        return cls(
            **DaySealRead.from_seal(seal, live).model_dump(),
            hub_checked=hub_check == "consultada",
            hub_check=hub_check,
            hub_status=hub_status,
            warning=warning,
        )
