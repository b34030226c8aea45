"""API shapes of the day seal: closing a business day and reading its figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from edge.cash.models import DaySeal

_ID = "0190d2b4-0000-7000-8000-000000000001"


class DayCloseRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{}, {"date": "2026-11-29"}]}
    )

    date: dt.date | None = Field(default=None, description="Día de negocio; por defecto hoy.")


class DaySealRead(BaseModel):
    """A business day's figures: the seal if the day is closed, otherwise live figures."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "business_date": "2026-11-29",
                    "sealed": True,
                    "seal_id": _ID,
                    "last_seq": 1832,
                    "closed_by": _ID,
                    "created_at": "2026-11-30T04:02:00Z",
                    "figures": {
                        "orders": {"count": 98, "total_cents": 1254300, "by_status": {}},
                        "payments": {"count": 120, "total_cents": 1254300, "by_method": {}},
                        "invoices": {"available": False},
                        "cash_sessions": {"count": 2, "open": 0, "expected_cents": 1404300,
                                          "counted_cents": 1403800, "difference_cents": -500},
                        "samples": {"count": 211},
                    },
                }
            ]
        }
    )  # fmt: skip

    business_date: dt.date
    sealed: bool
    seal_id: str | None = None
    last_seq: int | None = None
    closed_by: str | None = None
    created_at: dt.datetime | None = None
    figures: dict[str, Any] = Field(description="conteos y sumas (montos en céntimos, *_cents)")

    @classmethod
    def from_seal(cls, seal: DaySeal) -> DaySealRead:
        return cls(
            business_date=seal.business_date,
            sealed=True,
            seal_id=seal.id,
            last_seq=seal.last_seq,
            closed_by=seal.closed_by,
            created_at=seal.created_at,
            figures=seal.figures,
        )
