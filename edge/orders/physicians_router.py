"""``GET /api/physicians``: the ordering physicians this sede already recorded (look-up)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from domain.clock import business_date
from edge.auth.tokens import Principal
from edge.db import read_session
from edge.deps import RuntimeDep, require
from edge.orders.physicians import WINDOW_DAYS, recent_physicians

router = APIRouter(tags=["órdenes"])


class PhysicianRead(BaseModel):
    cmp: str | None = Field(description="número del Colegio Médico del Perú (CMP)")
    name: str = Field(description="nombre como se registró")
    orders: int = Field(description="órdenes de esta sede que lo nombran (último año)")


class PhysicianList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [{"cmp": "45123", "name": "PÉREZ ROJAS JUAN CARLOS", "orders": 12}]}
            ]
        }
    )

    items: list[PhysicianRead]


@router.get(
    "/api/physicians",
    response_model=PhysicianList,
    summary="Médicos solicitantes ya registrados en la sede (para sugerirlos al vender)",
    description=f"Por los primeros dígitos del CMP o por cualquier parte del nombre (sin "
    f"distinguir tildes ni mayúsculas), de las órdenes de los últimos {WINDOW_DAYS} días; los "
    "más frecuentes primero.",
)
def list_physicians(
    rt: RuntimeDep,
    _user: Annotated[Principal, Depends(require("order.create"))],
    q: Annotated[str, Query(min_length=2, max_length=60, description="CMP o nombre")],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> PhysicianList:
    with read_session(rt.engine) as session:
        found = recent_physicians(session, q=q, today=business_date(rt.clock.now()), limit=limit)
    return PhysicianList(
        items=[PhysicianRead(cmp=p.cmp, name=p.name, orders=p.orders) for p in found]
    )
