"""Chain-wide settings: their defaults, the ``setting.key`` each is replicated under, reads
and validated changes (recorded in the change history).

Every change of a ``setting`` row flows down to the edges through the change feed (the session
captures it).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from central.audit import service as audit
from central.config.changes import Actor, given, track
from central.config.models import Setting
from central.config.schemas import SettingsUpdate
from domain.clock import Clock
from domain.results_promise import DEFAULT_DELIVERY_HOURS

# API field of SettingsRead/SettingsUpdate -> default value (JSON form)
SETTING_DEFAULTS: dict[str, Any] = {
    "discount_approval_threshold_pct": "10",
    "sunat_factura_deadline_days": 3,
    "sunat_boleta_deadline_days": 1,
    "reconciliation_hour": "23:30",
    "retention_audit_days": 1825,
    "retention_backup_days": 30,
    "sunat_factura_void": "baja",
    "sunat_baja_days": 3,
    "price_override_max": "50000.00",  # edge.orders.pricing MAX_PRICE_OVERRIDE
    # domain.results_promise: "HH:MM-HH:MM" per weekday, "" closed (edge.orders.promise)
    "results_delivery_hours": dict(DEFAULT_DELIVERY_HOURS),
}
# API field -> ``setting.key`` where it differs: the keys the edges already read
# (edge.billing.voids SETTING_MODE / SETTING_DAYS). Other fields are stored under their name
# (``price_override_max``: edge.orders.pricing OVERRIDE_CAP_SETTING, soles as text).
SETTING_KEYS: dict[str, str] = {
    "sunat_factura_void": "sunat.factura_void",
    "sunat_baja_days": "sunat.baja_days",
}


def setting_key(field: str) -> str:
    """The ``setting.key`` (replicated to the edges) of an API settings field."""
    return SETTING_KEYS.get(field, field)


_FIELD_OF_KEY = {setting_key(f): f for f in SETTING_DEFAULTS}


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


def days_setting(*, session: Session, field: str) -> int:
    """A setting counted in days (``retention_backup_days``, ``retention_audit_days``). A
    stored value that is not a whole number of at least 1 (never written by the API) reads as
    the default."""
    value = current_settings(session=session)[field]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return int(SETTING_DEFAULTS[field])
    return value


def backup_retention_days(*, session: Session) -> int:
    """``retention_backup_days``: the hub's scheduled backups keep the dumps of this many days
    (:func:`central.backup.service.prune_older_than`)."""
    return days_setting(session=session, field="retention_backup_days")


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
    values = {k: v for k, v in given(data).items() if v is not None}
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
