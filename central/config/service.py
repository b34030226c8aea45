"""Company, sedes and settings: reads, validated changes and their history (who, when, old -> new).

Every change of a replicated row flows down to the edges through the change feed (the session
captures it); SUNAT secrets live in ``company_secret``, which is neither replicated nor returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from central.audit import service as audit
from central.auth.tokens import Principal
from central.config.models import Company, CompanySecret, ConfigChange, Sede, Setting
from central.config.schemas import CompanyUpdate, SedeCreate, SedeUpdate, SettingsUpdate
from domain.clock import Clock
from domain.errors import Conflict, InvalidInput, NotFound
from domain.ids import sede_id_for
from domain.money import to_cents

MASKED = "********"
_SECRET_FIELDS = ("sol_user", "sol_password", "certificate_ref", "certificate_password")

# API field of SettingsRead/SettingsUpdate -> default value (JSON form)
SETTING_DEFAULTS: dict[str, Any] = {
    "discount_approval_threshold_pct": "10",
    "sunat_factura_deadline_days": 3,
    "sunat_boleta_deadline_days": 3,
    "reconciliation_hour": "23:30",
    "retention_audit_days": 1825,
    "retention_backup_days": 30,
    "sunat_factura_void": "baja",
    "sunat_baja_days": 3,
}
# API field -> ``setting.key`` where it differs: the keys the edges already read
# (edge.billing.voids SETTING_MODE / SETTING_DAYS). Other fields are stored under their name.
SETTING_KEYS: dict[str, str] = {
    "sunat_factura_void": "sunat.factura_void",
    "sunat_baja_days": "sunat.baja_days",
}


def setting_key(field: str) -> str:
    """The ``setting.key`` (replicated to the edges) of an API settings field."""
    return SETTING_KEYS.get(field, field)


_FIELD_OF_KEY = {setting_key(f): f for f in SETTING_DEFAULTS}


def _given(data: BaseModel) -> dict[str, Any]:
    """The fields the client sent, as Python values (Money stays Decimal)."""
    return {name: getattr(data, name) for name in data.model_fields_set}


@dataclass(frozen=True)
class Actor:
    """Who makes a change and from where (for the history and the audit)."""

    principal: Principal | None
    ip: str | None = None

    @property
    def user_id(self) -> str | None:
        return self.principal.user_id if self.principal else None

    @property
    def username(self) -> str | None:
        return self.principal.username if self.principal else "sistema"


def default_series(k: int) -> dict[str, str]:
    """Series of the sede numbered ``k`` (the edge's ``default_series`` scheme)."""
    return {
        "01": f"F{k:03d}",
        "03": f"B{k:03d}",
        "07F": f"FC{k:02d}",
        "07B": f"BC{k:02d}",
        "08F": f"FD{k:02d}",
        "08B": f"BD{k:02d}",
        "contingency01": f"F{900 + k:03d}",
        "contingency03": f"B{900 + k:03d}",
    }


def sede_number(code: str) -> int:
    digits = "".join(ch for ch in code if ch.isdigit())
    return int(digits) if digits else 1


def track(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    entity: str,
    entity_id: str,
    field: str,
    old: Any,
    new: Any,
) -> None:
    session.add(
        ConfigChange(
            entity=entity,
            entity_id=entity_id,
            field=field,
            old_value=old,
            new_value=new,
            changed_by=actor.user_id,
            changed_by_username=actor.username,
            changed_at=clock.now(),
            ip=actor.ip,
        )
    )


def apply_changes(
    session: Session,
    obj: Any,
    changes: dict[str, Any],
    *,
    clock: Clock,
    actor: Actor,
    entity: str,
    entity_id: str,
    shown: Callable[[str, Any], Any] = lambda _name, value: value,
) -> list[str]:
    """Set the changed attributes of ``obj``, recording each one in the change history as
    ``shown(name, value)`` (secrets are masked by the caller's rule); returns the changed names."""
    changed: list[str] = []
    for name, value in changes.items():
        old = getattr(obj, name)
        if old == value:
            continue
        setattr(obj, name, value)
        track(
            session,
            clock=clock,
            actor=actor,
            entity=entity,
            entity_id=entity_id,
            field=name,
            old=shown(name, old),
            new=shown(name, value),
        )
        changed.append(name)
    return changed


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
    values = _given(data)
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
    return list(session.exec(query.order_by(col(Sede.code))).all())


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
    values = {k: v for k, v in _given(data).items() if v is not None}
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


# ------------------------------------------------------------------------------- settings
def current_settings(*, session: Session) -> dict[str, Any]:
    """Every setting's value (defaults for the ones never set) and ``updated_at``."""
    values: dict[str, Any] = dict(SETTING_DEFAULTS)
    latest = None
    for row in session.exec(select(Setting)).all():
        name = _FIELD_OF_KEY.get(row.key)
        if name is not None:
            values[name] = row.value
        if row.updated_at and (latest is None or row.updated_at > latest):
            latest = row.updated_at
    values["updated_at"] = latest
    return values


def discount_approval_threshold(*, session: Session) -> Decimal:
    """Discount percentage above which a supervisor must approve."""
    return Decimal(str(current_settings(session=session)["discount_approval_threshold_pct"]))


def ensure_settings(*, session: Session, clock: Clock) -> None:
    """Create the rows of settings never set, with their defaults (so edges receive them)."""
    existing = set(session.exec(select(Setting.key)).all())
    for name, value in SETTING_DEFAULTS.items():
        if setting_key(name) not in existing:
            session.add(Setting(key=setting_key(name), value=value, updated_at=clock.now()))
    session.flush()


def update_settings(
    *, session: Session, clock: Clock, actor: Actor, data: SettingsUpdate
) -> dict[str, Any]:
    values = {k: v for k, v in _given(data).items() if v is not None}
    if "discount_approval_threshold_pct" in values:
        values["discount_approval_threshold_pct"] = str(values["discount_approval_threshold_pct"])
    rows = {r.key: r for r in session.exec(select(Setting)).all()}
    now = clock.now()
    changed: list[str] = []
    for key, value in values.items():  # key: the API field (history and audit use it)
        row = rows.get(setting_key(key))
        old = row.value if row is not None else SETTING_DEFAULTS[key]
        if old == value and row is not None:
            continue
        if row is None:
            row = Setting(key=setting_key(key), value=value, updated_at=now)
            session.add(row)
        else:
            row.value = value
            row.updated_at = now
        if old != value:
            track(
                session,
                clock=clock,
                actor=actor,
                entity="setting",
                entity_id=row.id,
                field=key,
                old=old,
                new=value,
            )
            changed.append(key)
    if changed:
        audit.record(
            session,
            action="settings.update",
            clock=clock,
            actor=actor.principal,
            record_type="setting",
            ip=actor.ip,
            details={"fields": changed},
        )
    session.flush()
    return current_settings(session=session)


# ------------------------------------------------------------------------------- history
def history(
    *,
    session: Session,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ConfigChange], int]:
    query = select(ConfigChange)
    if entity:
        query = query.where(ConfigChange.entity == entity)
    if entity_id:
        query = query.where(ConfigChange.entity_id == entity_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(ConfigChange.changed_at).desc(), col(ConfigChange.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)
