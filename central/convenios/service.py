"""Convenios: companies and insurers with their RUC, price list or coverage %, credit terms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from central.audit import service as audit
from central.auth.tokens import Principal
from central.catalog.models import CatalogService
from central.convenios.models import Convenio
from central.convenios.schemas import ConvenioCreate, ConvenioUpdate
from domain.clock import Clock
from domain.errors import Conflict, InvalidInput, NotFound
from domain.money import to_cents


def _given(data: BaseModel) -> dict[str, Any]:
    """The fields the client sent, as Python values (Money stays Decimal)."""
    return {name: getattr(data, name) for name in data.model_fields_set}


def pct_text(value: Decimal) -> str:
    """A percentage as the replicated string: no exponent, no trailing zeros ("80", "12.5")."""
    text = format(value.normalize(), "f")
    return text if text else "0"


def _prices(session: Session, prices: dict[str, Decimal]) -> dict[str, int]:
    out: dict[str, int] = {}
    for service_id, price in prices.items():
        if session.get(CatalogService, service_id) is None:
            raise InvalidInput(
                "El examen del tarifario no existe.",
                code="service_unknown",
                loc=["body", "prices", service_id],
            )
        out[service_id] = to_cents(price)
    return out


def list_convenios(*, session: Session, active: bool | None = None) -> list[Convenio]:
    query = select(Convenio)
    if active is not None:
        query = query.where(Convenio.active == active)
    return list(session.exec(query.order_by(col(Convenio.name))).all())


def get_convenio(*, session: Session, convenio_id: str) -> Convenio:
    convenio = session.get(Convenio, convenio_id)
    if convenio is None:
        raise NotFound(
            "El convenio no existe.", code="convenio_not_found", loc=["path", "convenio_id"]
        )
    return convenio


def create_convenio(
    *, session: Session, clock: Clock, actor: Principal | None, data: ConvenioCreate
) -> Convenio:
    if session.exec(select(Convenio).where(Convenio.ruc == data.ruc)).first() is not None:
        raise Conflict(
            f"Ya existe un convenio con el RUC {data.ruc}.",
            code="convenio_ruc_taken",
            loc=["body", "ruc"],
        )
    convenio = Convenio(
        ruc=data.ruc,
        name=data.name,
        coverage_pct=pct_text(data.coverage_pct),
        prices_cents=_prices(session, data.prices),
        credit_days=data.credit_days,
        contact=data.contact,
        active=data.active,
        updated_at=clock.now(),
    )
    session.add(convenio)
    audit.record(
        session,
        action="convenio.create",
        clock=clock,
        actor=actor,
        record_type="convenio",
        record_id=convenio.id,
        details={"ruc": convenio.ruc},
    )
    session.flush()
    return convenio


def update_convenio(
    *,
    session: Session,
    clock: Clock,
    actor: Principal | None,
    convenio_id: str,
    data: ConvenioUpdate,
) -> Convenio:
    convenio = get_convenio(session=session, convenio_id=convenio_id)
    values: dict[str, Any] = {k: v for k, v in _given(data).items() if v is not None}
    if "coverage_pct" in values:
        values["coverage_pct"] = pct_text(values["coverage_pct"])
    if "prices" in values:
        values["prices_cents"] = _prices(session, values.pop("prices"))
    changed = {k: v for k, v in values.items() if getattr(convenio, k) != v}
    if not changed:
        return convenio
    for name, value in changed.items():
        setattr(convenio, name, value)
    convenio.updated_at = clock.now()
    session.add(convenio)
    audit.record(
        session,
        action="convenio.update",
        clock=clock,
        actor=actor,
        record_type="convenio",
        record_id=convenio.id,
        details={"fields": sorted(changed)},
    )
    session.flush()
    return convenio
