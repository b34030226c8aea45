"""The laboratory system of each sede: a hub setting ``lab.sede.<sede id>`` =
``{"lab_system_id", "listener": {"host", "port"} | None}`` (replicated down like every setting),
with every system's ``sede_ids`` kept in step in the same transaction, history and audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from central.audit import service as audit
from central.config.changes import Actor, track
from central.config.models import Sede, Setting
from central.config.sede_order import sede_code_order
from central.lab.models import LabSystem
from central.lab.schemas import SedeLabPut
from domain.clock import Clock
from domain.errors import InvalidInput, NotFound

SETTING_PREFIX = "lab.sede."


def setting_key(sede_id: str) -> str:
    """Key of the hub setting naming the laboratory system of ``sede_id``."""
    return f"{SETTING_PREFIX}{sede_id}"


@dataclass(frozen=True)
class SedeLab:
    sede: Sede
    setting: Setting | None

    @property
    def value(self) -> dict[str, Any]:
        v = self.setting.value if self.setting else None
        return v if isinstance(v, dict) else {}


def _sede_settings(session: Session) -> dict[str, Setting]:
    rows = session.exec(select(Setting).where(col(Setting.key).startswith(SETTING_PREFIX)))
    return {r.key[len(SETTING_PREFIX) :]: r for r in rows}


def sede_labs(*, session: Session) -> list[SedeLab]:
    settings = _sede_settings(session)
    sedes = session.exec(select(Sede).order_by(*sede_code_order(col(Sede.code)))).all()
    return [SedeLab(sede=s, setting=settings.get(s.id)) for s in sedes]


def _sync_sede_ids(session: Session, settings: dict[str, Setting], now: Any) -> None:
    """Make every system's ``sede_ids`` the sedes whose setting names it."""
    wanted: dict[str, list[str]] = {}
    for sede_id, row in settings.items():
        value = row.value if isinstance(row.value, dict) else {}
        lab_id = value.get("lab_system_id")
        if lab_id:
            wanted.setdefault(str(lab_id), []).append(sede_id)
    for lab in session.exec(select(LabSystem)).all():
        ids = sorted(wanted.get(lab.id, []))
        if list(lab.sede_ids or []) != ids:
            lab.sede_ids = ids
            lab.updated_at = now
            session.add(lab)


def assign_sede(
    *, session: Session, clock: Clock, actor: Actor, sede_id: str, data: SedeLabPut
) -> SedeLab:
    """Set which laboratory system ``sede_id`` sends to and where its node hears results."""
    sede = session.get(Sede, sede_id)
    if sede is None:
        raise NotFound("La sede no existe.", code="sede_not_found", loc=["path", "sede_id"])
    if data.lab_system_id is not None:
        lab = session.get(LabSystem, data.lab_system_id)
        if lab is None:
            raise InvalidInput(
                "El sistema de laboratorio no existe.",
                code="lab_system_unknown",
                loc=["body", "lab_system_id"],
            )
        if not lab.active:
            raise InvalidInput(
                f"El sistema de laboratorio {lab.code} está inactivo.",
                code="lab_system_inactive",
                loc=["body", "lab_system_id"],
            )
    value: dict[str, Any] = {
        "lab_system_id": data.lab_system_id,
        "listener": (
            {"host": data.listener_host, "port": data.listener_port} if data.listener_port else None
        ),
    }
    settings = _sede_settings(session)
    row = settings.get(sede.id)
    now = clock.now()
    old = row.value if row is not None else None
    if old != value:
        if row is None:
            row = Setting(key=setting_key(sede.id), value=value, updated_at=now)
            settings[sede.id] = row
        else:
            row.value, row.updated_at = value, now
        session.add(row)
        track(
            session, clock=clock, actor=actor, entity="lab_sede", entity_id=sede.id,
            field=row.key, old=old, new=value,
        )  # fmt: skip
        audit.record(
            session,
            action="lab_sede.update",
            clock=clock,
            actor=actor.principal,
            record_type="sede",
            record_id=sede.id,
            ip=actor.ip,
            details={"lab_system_id": data.lab_system_id, "listener_port": data.listener_port},
        )
        session.flush()
        _sync_sede_ids(session, settings, now)
        session.flush()
    return SedeLab(sede=sede, setting=row)
