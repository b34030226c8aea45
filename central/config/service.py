"""Company and sedes: reads and validated changes, recorded in the change history
(:mod:`central.config.changes`); the chain's settings are in :mod:`central.config.settings`.

Every change of a replicated row flows down to the edges through the change feed (the session
captures it); SUNAT secrets live in ``company_secret``, which is neither replicated nor returned.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from central.audit import service as audit
from central.config.changes import Actor, apply_changes, given
from central.config.models import Company, CompanySecret, Sede
from central.config.schemas import CompanyUpdate, SedeCreate, SedeUpdate
from central.config.sede_order import sede_code_order
from domain.clock import Clock
from domain.errors import Conflict, InvalidInput, NotFound
from domain.ids import default_series, sede_id_for, sede_number
from domain.money import to_cents

MASKED = "********"
_SECRET_FIELDS = ("sol_user", "sol_password", "certificate_ref", "certificate_password")


# ------------------------------------------------------------------------------- company
def get_company(*, session: Session) -> Company:
    company = session.exec(select(Company).order_by(col(Company.id))).first()
    if company is None:
        raise NotFound("La empresa aún no está configurada.", code="company_not_configured")
    return company


def company_secret(*, session: Session, company_id: str) -> CompanySecret | None:
    """The SUNAT credentials (for the hub's own SUNAT work; never for the API)."""
    return session.get(CompanySecret, company_id)


def update_company(
    *, session: Session, clock: Clock, actor: Actor, data: CompanyUpdate
) -> tuple[Company, CompanySecret | None]:
    """Change (or, the first time, create) the company and its SUNAT secrets."""
    values = given(data)
    secrets = {k: values.pop(k) for k in _SECRET_FIELDS if k in values}
    values = {k: v for k, v in values.items() if v is not None}
    company = session.exec(select(Company).order_by(col(Company.id))).first()
    now = clock.now()
    if company is None:
        missing = [f for f in ("ruc", "razon_social") if not values.get(f)]
        if missing:
            raise InvalidInput(
                "Para registrar la empresa indique el RUC y la razón social.",
                code="company_incomplete",
                loc=["body", missing[0]],
            )
        company = Company(ruc=values["ruc"], razon_social=values["razon_social"], updated_at=now)
        session.add(company)
        session.flush()
    changed = apply_changes(
        session, company, values, clock=clock, actor=actor, entity="company", entity_id=company.id
    )
    if changed:
        company.updated_at = now
    secret = session.get(CompanySecret, company.id)
    if secrets:
        if secret is None:
            secret = CompanySecret(company_id=company.id)
            session.add(secret)
        clean = {k: (v or "") for k, v in secrets.items()}
        secret_changed = apply_changes(
            session,
            secret,
            clean,
            clock=clock,
            actor=actor,
            entity="company",
            entity_id=company.id,
            shown=lambda name, value: MASKED if name in _SECRET_FIELDS else value,
        )
        if secret_changed:
            secret.updated_at = now
            changed += secret_changed
    if changed:
        audit.record(
            session,
            action="company.update",
            clock=clock,
            actor=actor.principal,
            record_type="company",
            record_id=company.id,
            ip=actor.ip,
            details={"fields": changed},
        )
    session.flush()
    return company, secret


# ------------------------------------------------------------------------------- sedes
def list_sedes(*, session: Session, active: bool | None = None) -> list[Sede]:
    query = select(Sede)
    if active is not None:
        query = query.where(Sede.active == active)
    return list(session.exec(query.order_by(*sede_code_order(col(Sede.code)))).all())


def get_sede(*, session: Session, sede_id: str) -> Sede:
    sede = session.get(Sede, sede_id)
    if sede is None:
        raise NotFound("La sede no existe.", code="sede_not_found", loc=["path", "sede_id"])
    return sede


def _check_series_free(session: Session, series: dict[str, str], *, sede_id: str) -> None:
    """One writer per series: no other sede may own any of these."""
    wanted = set(series.values())
    for other in session.exec(select(Sede).where(Sede.id != sede_id)).all():
        taken = wanted & set(other.series.values())
        if taken:
            raise Conflict(
                f"La serie {sorted(taken)[0]} ya pertenece a la sede {other.code}.",
                code="series_taken",
                loc=["body", "series"],
            )


def create_sede(*, session: Session, clock: Clock, actor: Actor, data: SedeCreate) -> Sede:
    if session.exec(select(Sede).where(Sede.code == data.code)).first() is not None:
        raise Conflict(
            f"Ya existe una sede con el código {data.code}.",
            code="sede_code_taken",
            loc=["body", "code"],
        )
    sede_id = sede_id_for(data.code)
    series = data.series if data.series is not None else default_series(sede_number(data.code))
    _check_series_free(session, series, sede_id=sede_id)
    sede = Sede(
        id=sede_id,
        code=data.code,
        name=data.name,
        address=data.address,
        ubigeo=data.ubigeo,
        establishment_code=data.establishment_code,
        series=series,
        cash_threshold_cents=to_cents(data.cash_threshold),
        cash_difference_threshold_cents=to_cents(data.cash_difference_threshold),
        timezone=data.timezone,
        active=data.active,
        updated_at=clock.now(),
        created_at=clock.now(),
    )
    session.add(sede)
    audit.record(
        session,
        action="sede.create",
        clock=clock,
        actor=actor.principal,
        record_type="sede",
        record_id=sede.id,
        ip=actor.ip,
        details={"code": sede.code},
    )
    session.flush()
    return sede


def update_sede(
    *, session: Session, clock: Clock, actor: Actor, sede_id: str, data: SedeUpdate
) -> Sede:
    sede = get_sede(session=session, sede_id=sede_id)
    values = {k: v for k, v in given(data).items() if v is not None}
    for money in ("cash_threshold", "cash_difference_threshold"):
        if money in values:
            values[f"{money}_cents"] = to_cents(values.pop(money))
    if "series" in values:
        _check_series_free(session, values["series"], sede_id=sede.id)
    changed = apply_changes(
        session, sede, values, clock=clock, actor=actor, entity="sede", entity_id=sede.id
    )
    if changed:
        sede.updated_at = clock.now()
        audit.record(
            session,
            action="sede.update",
            clock=clock,
            actor=actor.principal,
            record_type="sede",
            record_id=sede.id,
            ip=actor.ip,
            details={"fields": changed},
        )
    session.flush()
    return sede
