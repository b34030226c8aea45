"""Applying an imported catalog file: all of it or nothing, through the page's own services.

The plan (:func:`central.catalog.transfer_plan.build_plan`) is built again from the file; any
refused row refuses the whole file (422 ``import_has_errors``). Otherwise every change goes
through :func:`central.catalog.service.create_service` / ``update_service`` in the caller's one
unit of work, so the price history (with the import's reason), the change feed to the sedes and
the audit log are those of a manual edit; one ``catalog.import`` audit event sums it up. Tests
are written before panels (a panel may include a test the same file creates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, select

from central.audit import service as audit
from central.auth.tokens import Principal
from central.catalog import service
from central.catalog.models import CatalogService
from central.catalog.schemas import ServiceCreate, ServiceUpdate
from central.catalog.transfer_plan import Change, Plan, build_plan
from central.catalog.transfer_read import read_file, refuse_rows_with_errors
from domain.clock import Clock
from domain.errors import InvalidInput, LabError


@dataclass(frozen=True)
class ImportResult:
    plan: Plan
    applied: bool
    message: str


def preview(
    *, session: Session, clock: Clock, content: bytes, effective_from: dt.date | None = None
) -> Plan:
    """What importing ``content`` would do; writes nothing."""
    return build_plan(
        session=session, clock=clock, raw=read_file(content), effective_from=effective_from
    )


def apply_import(
    *,
    session: Session,
    clock: Clock,
    actor: Principal | None,
    content: bytes,
    reason: str,
    effective_from: dt.date | None = None,
    filename: str = "",
) -> ImportResult:
    """Apply the file (all or nothing; the caller's unit of work commits)."""
    plan = preview(session=session, clock=clock, content=content, effective_from=effective_from)
    refuse_rows_with_errors({e.row for e in plan.errors})
    if not plan.changes:
        return ImportResult(plan, False, "Sin cambios: el archivo coincide con el catálogo.")
    ids = {s.code: s.id for s in session.exec(select(CatalogService)).all()}
    ordered = sorted(plan.changes, key=lambda c: (c.is_panel, c.service_id is not None, c.row))
    for change in ordered:
        try:
            ids[change.code] = _apply(session, clock, actor, change, ids, reason, effective_from)
        except LabError as exc:  # the plan mirrors the services' rules; this is a safety net
            raise InvalidInput(
                f"Fila {change.row} ({change.code}): {exc.msg} No se aplicó nada.",
                code=exc.code,
                loc=["body", "content_base64"],
            ) from exc
    counts = plan.counts()
    audit.record(
        session,
        action="catalog.import",
        clock=clock,
        actor=actor,
        record_type="catalog_service",
        details={"file": filename[:120], "reason": reason, **counts},
    )
    return ImportResult(plan, True, _summary(counts))


def _apply(
    session: Session,
    clock: Clock,
    actor: Principal | None,
    change: Change,
    ids: dict[str, str],
    reason: str,
    effective_from: dt.date | None,
) -> str:
    members = [ids[c] for c in change.members] if change.members is not None else None
    if change.service_id is None:
        assert change.new_price is not None
        created = service.create_service(
            session=session,
            clock=clock,
            actor=actor,
            data=ServiceCreate(
                code=change.code,
                price=change.new_price,
                is_panel=change.is_panel,
                panel_service_ids=members or [],
                **change.values,
            ),
        )
        service_id = created.id
    else:
        service_id = change.service_id
        body = dict(change.values)
        if members is not None:
            body["panel_service_ids"] = members
        if "price" in change.actions:
            body |= {"price": change.new_price, "price_reason": reason}
            body["price_effective_from"] = change.price_from
        if body:
            service.update_service(
                session=session,
                clock=clock,
                actor=actor,
                service_id=service_id,
                data=ServiceUpdate(**body),
            )
    if "schedule" in change.actions:
        service.update_service(
            session=session,
            clock=clock,
            actor=actor,
            service_id=service_id,
            data=ServiceUpdate(
                price=change.scheduled_price,
                price_effective_from=change.scheduled_from,
                price_reason=reason,
            ),
        )
    return service_id


_LABELS = {
    "create": "{} creado(s)",
    "update": "{} con datos cambiados",
    "price": "{} precio(s) cambiado(s)",
    "schedule": "{} precio(s) programado(s)",
    "deactivate": "{} desactivado(s)",
}


def _summary(counts: dict[str, int]) -> str:
    parts = [label.format(counts[key]) for key, label in _LABELS.items() if counts[key]]
    return "Catálogo importado: " + ", ".join(parts) + "."
