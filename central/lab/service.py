"""Laboratory systems, their code maps and the lab system of each sede: reads, validated changes,
their history (who, when, old -> new; tokens masked) and the audit.

Every change of a replicated row (``lab_system``, ``lab_code_map``) flows down to the edges
through the change feed in the same transaction. The laboratory of each sede: ``sedes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from central.audit import service as audit
from central.catalog.models import CatalogService
from central.config.changes import Actor, apply_changes, given, track
from central.config.models import Sede
from central.config.sede_order import sede_code_key
from central.lab.models import LabCodeMap, LabSystem
from central.lab.schemas import (
    FLAVOURS,
    CodeMapPut,
    LabSystemCreate,
    LabSystemUpdate,
)
from domain.clock import Clock
from domain.errors import Conflict, InvalidInput, NotFound

SECRET_FIELDS = ("token", "results_token")
MASKED = "********"


def _shown(name: str, value: Any) -> Any:
    """A secret is recorded as set (masked) or cleared (empty), never its value."""
    if name not in SECRET_FIELDS:
        return value
    return MASKED if value else ""


ENTITIES = ("lab_system", "lab_code_map", "lab_sede")  # their rows in the change history


# ------------------------------------------------------------------------------- systems
def list_systems(*, session: Session, active: bool | None = None) -> list[LabSystem]:
    query = select(LabSystem)
    if active is not None:
        query = query.where(LabSystem.active == active)
    return list(session.exec(query.order_by(col(LabSystem.code))).all())


def get_system(*, session: Session, lab_system_id: str) -> LabSystem:
    lab = session.get(LabSystem, lab_system_id)
    if lab is None:
        raise NotFound(
            "El sistema de laboratorio no existe.",
            code="lab_system_not_found",
            loc=["path", "lab_system_id"],
        )
    return lab


def _check_transport(lab: LabSystem) -> None:
    """The fields the chosen protocol needs must be there (Spanish message, field in loc)."""
    needed: list[tuple[str, bool, str]] = {
        "mllp": [
            ("host", bool(lab.host), "Indique el servidor (host) del laboratorio para MLLP."),
            ("port", lab.port > 0, "Indique el puerto MLLP del laboratorio."),
        ],
        "rest": [("url", bool(lab.url), "Indique la URL que recibe las órdenes (REST).")],
        "file": [("folder", bool(lab.folder), "Indique la carpeta donde dejar los archivos.")],
    }[lab.protocol]
    for field, ok, msg in needed:
        if not ok:
            raise InvalidInput(msg, code=f"lab_{field}_required", loc=["body", field])


def _sede_codes(session: Session, sede_ids: list[str]) -> list[str]:
    if not sede_ids:
        return []
    rows = session.exec(select(Sede.code).where(col(Sede.id).in_(sede_ids))).all()
    return sorted(rows, key=sede_code_key)


def create_system(
    *, session: Session, clock: Clock, actor: Actor, data: LabSystemCreate
) -> LabSystem:
    if session.exec(select(LabSystem).where(LabSystem.code == data.code)).first() is not None:
        raise Conflict(
            f"Ya existe un sistema de laboratorio con el código {data.code}.",
            code="lab_code_taken",
            loc=["body", "code"],
        )
    values = data.model_dump()
    lab = LabSystem(**values, hl7_version=FLAVOURS[data.message_type], updated_at=clock.now())
    _check_transport(lab)
    session.add(lab)
    audit.record(
        session,
        action="lab_system.create",
        clock=clock,
        actor=actor.principal,
        record_type="lab_system",
        record_id=lab.id,
        ip=actor.ip,
        details={"code": lab.code, "protocol": lab.protocol},
    )
    session.flush()
    return lab


def update_system(
    *, session: Session, clock: Clock, actor: Actor, lab_system_id: str, data: LabSystemUpdate
) -> LabSystem:
    lab = get_system(session=session, lab_system_id=lab_system_id)
    values = {k: v for k, v in given(data).items() if v is not None}
    if "message_type" in values:
        values["hl7_version"] = FLAVOURS[values["message_type"]]
    if values.get("active") is False and lab.active and lab.sede_ids:
        codes = ", ".join(_sede_codes(session, lab.sede_ids))
        raise Conflict(
            f"El laboratorio está asignado a las sedes {codes}; asígneles otro antes de "
            "desactivarlo.",
            code="lab_system_in_use",
            loc=["body", "active"],
        )
    changed = apply_changes(
        session,
        lab,
        values,
        clock=clock,
        actor=actor,
        entity="lab_system",
        entity_id=lab.id,
        shown=_shown,
    )
    _check_transport(lab)
    if changed:
        lab.updated_at = clock.now()
        session.add(lab)
        audit.record(
            session,
            action="lab_system.update",
            clock=clock,
            actor=actor.principal,
            record_type="lab_system",
            record_id=lab.id,
            ip=actor.ip,
            details={"fields": changed},
        )
    session.flush()
    return lab


# ------------------------------------------------------------------------------- code map
@dataclass(frozen=True)
class MappedTest:
    row: LabCodeMap
    service: CatalogService | None


def code_map(*, session: Session, lab_system_id: str) -> list[MappedTest]:
    get_system(session=session, lab_system_id=lab_system_id)
    rows = session.exec(select(LabCodeMap).where(LabCodeMap.lab_system_id == lab_system_id)).all()
    ids = [r.service_id for r in rows]
    services = {
        s.id: s for s in session.exec(select(CatalogService).where(col(CatalogService.id).in_(ids)))
    }
    out = [MappedTest(row=r, service=services.get(r.service_id)) for r in rows]
    out.sort(key=lambda m: (m.service.code if m.service else "", m.row.service_id))
    return out


def put_code_map(
    *, session: Session, clock: Clock, actor: Actor, lab_system_id: str, data: CodeMapPut
) -> list[MappedTest]:
    """Replace the whole map of a system: rows kept keep their id; left-out tests are unmapped."""
    lab = get_system(session=session, lab_system_id=lab_system_id)
    wanted_codes = [item.service_code for item in data.items]
    services = {
        s.code: s
        for s in session.exec(
            select(CatalogService).where(col(CatalogService.code).in_(wanted_codes))
        )
    }
    seen: set[str] = set()
    for i, item in enumerate(data.items):
        loc: list[str | int] = ["body", "items", i]
        if item.service_code not in services:
            raise InvalidInput(
                f"El examen {item.service_code} no existe en el catálogo.",
                code="service_unknown",
                loc=[*loc, "service_code"],
            )
        if item.service_code in seen:
            raise InvalidInput(
                f"El examen {item.service_code} aparece más de una vez.",
                code="service_repeated",
                loc=[*loc, "service_code"],
            )
        seen.add(item.service_code)
        if not item.code and not item.loinc:
            raise InvalidInput(
                f"Indique el código del laboratorio o el LOINC de {item.service_code}.",
                code="lab_test_code_missing",
                loc=[*loc, "code"],
            )
    existing = {
        r.service_id: r
        for r in session.exec(select(LabCodeMap).where(LabCodeMap.lab_system_id == lab.id))
    }
    now = clock.now()
    fields = ("code", "loinc", "name", "sample_type")
    changes: dict[str, int] = {"added": 0, "changed": 0, "removed": 0}
    keep: set[str] = set()
    for item in data.items:
        service = services[item.service_code]
        keep.add(service.id)
        new = {f: getattr(item, f) for f in fields}
        row = existing.get(service.id)
        old = {f: getattr(row, f) for f in fields} if row is not None else None
        if old == new:
            continue
        if row is None:
            row = LabCodeMap(lab_system_id=lab.id, service_id=service.id)
            changes["added"] += 1
        else:
            changes["changed"] += 1
        for f, v in new.items():
            setattr(row, f, v)
        row.updated_at = now
        session.add(row)
        track(
            session, clock=clock, actor=actor, entity="lab_code_map", entity_id=lab.id,
            field=service.code, old=old, new=new,
        )  # fmt: skip
    for service_id, row in existing.items():
        if service_id in keep:
            continue
        gone = session.get(CatalogService, service_id)
        track(
            session, clock=clock, actor=actor, entity="lab_code_map", entity_id=lab.id,
            field=gone.code if gone else service_id,
            old={f: getattr(row, f) for f in fields}, new=None,
        )  # fmt: skip
        session.delete(row)
        changes["removed"] += 1
    if any(changes.values()):
        audit.record(
            session,
            action="lab_code_map.update",
            clock=clock,
            actor=actor.principal,
            record_type="lab_system",
            record_id=lab.id,
            ip=actor.ip,
            details=changes,
        )
    session.flush()
    return code_map(session=session, lab_system_id=lab.id)


@dataclass(frozen=True)
class CheckResult:
    lab_system_id: str
    active_tests: int
    mapped: int
    unmapped: list[CatalogService]


def check_mapping(*, session: Session, lab_system_id: str) -> CheckResult:
    """Every active catalog test (not panel: a panel goes as its tests) must have a code here."""
    lab = get_system(session=session, lab_system_id=lab_system_id)
    mapped_ids = {
        r.service_id
        for r in session.exec(select(LabCodeMap).where(LabCodeMap.lab_system_id == lab.id))
        if r.code or r.loinc
    }
    tests = session.exec(
        select(CatalogService)
        .where(CatalogService.active == True, CatalogService.is_panel == False)  # noqa: E712
        .order_by(col(CatalogService.code))
    ).all()
    unmapped = [t for t in tests if t.id not in mapped_ids]
    return CheckResult(
        lab_system_id=lab.id,
        active_tests=len(tests),
        mapped=len(tests) - len(unmapped),
        unmapped=unmapped,
    )
