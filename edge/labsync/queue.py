"""Feeding the laboratory queue, inside the transaction that creates, changes or cancels an
order (so an order can never exist without its job, nor a job without its order).

Tests whose code the laboratory does not know are found here, at once: the order gets a
``LabAlert`` (kind ``unmapped_tests``) naming them, and its job waits (``blocked_reason``) until
the hub sends the missing mapping; it is never sent with tests silently left out.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import and_, bindparam
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from domain.clock import Clock, business_date
from edge import refcache
from edge.config.models import Setting
from edge.config.replicated import replicated_value
from edge.labsync.models import (
    ACCEPTED,
    DISCARDED,
    OPEN_STATES,
    LabAlert,
    LabCodeMap,
    LabJob,
    LabSystem,
)
from edge.orders import fresh, hooks
from edge.orders.models import Order, OrderItem
from edge.orders.queries import items_in_order
from edge.samples.models import Sample

log = logging.getLogger("labred.edge.labsync")

SAMPLE_PENDING = "pendiente"  # edge.samples: "pendiente" until taken (a rejected tube's
# replacement is a new pending sample; the rejected one, "rechazada", waits for nothing)


@dataclass(frozen=True)
class PlannedTest:
    """A test to send: an order item with the laboratory's code for it (if any)."""

    item: OrderItem
    code_map: LabCodeMap | None


SEDE_SETTING_PREFIX = "lab.sede."


def sede_lab_setting(session: Session, sede_id: str) -> dict[str, Any] | None:
    """The hub's per-sede setting ``lab.sede.<sede id>``: ``{"lab_system_id", "listener"}``.

    Read with the plain settings lookup (:mod:`edge.config.replicated`), as every sale asks:
    ``setting`` rows come from the hub's pull (Core statements, ``edge.sync.mirrors``), so
    the session never holds a pending one the ORM query used to flush first."""
    value = replicated_value(session.connection(), SEDE_SETTING_PREFIX + sede_id)
    return value if isinstance(value, dict) else None


def lab_system_for(session: Session, sede_id: str) -> LabSystem | None:
    """The active laboratory system this sede sends to.

    The hub's per-sede setting decides; without one (a node set up without a hub), the first
    active system listing the sede in ``sede_ids``, by name.
    """
    lab_id = refcache.memo(
        session,
        ("lab_system_for", sede_id),
        lambda: _lab_system_id(session, sede_id),
        models=(LabSystem, Setting),
    )
    return refcache.get(session, LabSystem, lab_id) if lab_id else None


def _lab_system_id(session: Session, sede_id: str) -> str | None:
    conf = sede_lab_setting(session, sede_id)
    if conf is not None:
        lab_id = conf.get("lab_system_id")
        lab = session.get(LabSystem, str(lab_id)) if lab_id else None
        return lab.id if lab is not None and lab.active else None
    systems = session.exec(select(LabSystem).where(LabSystem.active == True)).all()  # noqa: E712
    mine = sorted((s for s in systems if sede_id in (s.sede_ids or [])), key=lambda s: s.name)
    return mine[0].id if mine else None


# Built once: every sale checks its tests' codes (building and keying the statement cost more
# than running it).
_CODE_MAPS = select(LabCodeMap).where(LabCodeMap.lab_system_id == bindparam("lab_system_id"))
_CODE_MAP_IDS = select(LabCodeMap.id, LabCodeMap.service_id).where(
    LabCodeMap.lab_system_id == bindparam("lab_system_id"),
    (LabCodeMap.code != "") | (LabCodeMap.loinc != ""),
)
_CODE_MAPS_BY_ID = select(LabCodeMap).where(
    col(LabCodeMap.id).in_(bindparam("ids", expanding=True))
)


def code_maps(
    session: Session, lab_system_id: str, service_ids: list[str] | None = None
) -> dict[str, LabCodeMap]:
    """Service id -> its code map in the lab system (only ``service_ids`` when given).

    A sale asks for its few services: which map each has is kept per laboratory, and the maps
    themselves, by ``edge.refcache`` while the mirror does not change."""
    if service_ids is None:
        rows = session.exec(_CODE_MAPS, params={"lab_system_id": lab_system_id})
        return {m.service_id: m for m in rows if m.code or m.loinc}
    map_ids = refcache.memo(
        session,
        ("code_map_ids", lab_system_id),
        lambda: MappingProxyType(
            {
                service: map_id
                for map_id, service in session.exec(
                    _CODE_MAP_IDS, params={"lab_system_id": lab_system_id}
                )
            }
        ),
        models=(LabCodeMap,),
    )
    wanted = [map_ids[s] for s in dict.fromkeys(service_ids) if s in map_ids]

    def load(ids: list[Any]) -> dict[Any, LabCodeMap]:
        return {m.id: m for m in session.exec(_CODE_MAPS_BY_ID, params={"ids": ids})}

    maps = refcache.get_many(session, LabCodeMap, wanted, load)
    return {m.service_id: m for m in maps.values()}


def plan_tests(session: Session, order: Order, lab: LabSystem | None) -> list[PlannedTest]:
    """The tests an order sends: a panel the lab knows goes as one test, otherwise its tests.

    Items are taken in creation order, so placer numbers follow the ticket's order.
    """
    items = items_in_order(session, order_id=order.id)
    maps = code_maps(session, lab.id, [it.service_id for it in items]) if lab else {}
    children: dict[str, list[OrderItem]] = {}
    for it in items:
        if it.parent_item_id:
            children.setdefault(it.parent_item_id, []).append(it)
    planned: list[PlannedTest] = []

    def visit(it: OrderItem) -> None:
        mapping = maps.get(it.service_id)
        if mapping is not None or not children.get(it.id):
            planned.append(PlannedTest(item=it, code_map=mapping))
            return
        for child in children[it.id]:
            visit(child)

    for it in items:
        if not it.parent_item_id:
            visit(it)
    return planned


def unmapped(planned: list[PlannedTest]) -> list[dict[str, str]]:
    return [
        {"item_id": p.item.id, "service_code": p.item.service_code, "name": p.item.service_name}
        for p in planned
        if p.code_map is None
    ]


def _jobs(session: Session, order_id: str) -> list[LabJob]:
    if fresh.has_none(session, order_id, LabJob):
        return []
    return list(
        session.exec(select(LabJob).where(LabJob.order_id == order_id).order_by(col(LabJob.seq)))
    )


def control_id_for(order_number: str, seq: int) -> str:
    """MSH-10 / Idempotency-Key of an order's ``seq``-th job (at most 20 characters)."""
    return f"{order_number.replace('-', '')}-{seq:02d}"[-20:]


def _alert(
    session: Session, *, order: Order, kind: str, message: str, details: dict[str, Any], now: Any
) -> LabAlert:
    existing = session.exec(
        select(LabAlert).where(
            LabAlert.order_id == order.id,
            LabAlert.kind == kind,
            col(LabAlert.resolved_at).is_(None),
        )
    ).first()
    if existing is not None:
        existing.message, existing.details = message, details
        session.add(existing)
        return existing
    alert = LabAlert(
        sede_id=order.sede_id,
        order_id=order.id,
        kind=kind,
        message=message,
        details=details,
        created_at=now,
    )
    session.add(alert)
    return alert


def check_mapping(
    session: Session, *, order: Order, lab: LabSystem | None, clock: Clock
) -> str | None:
    """Flag the order now if it cannot be sent as it is; return the blocking reason."""
    now = clock.now()
    if lab is None:
        _alert(
            session,
            order=order,
            kind="no_lab_system",
            message="La sede no tiene un sistema de laboratorio activo; la orden espera.",
            details={},
            now=now,
        )
        return "no_lab_system"
    missing = unmapped(plan_tests(session, order, lab))
    if missing:
        names = ", ".join(f"{m['service_code']} {m['name']}" for m in missing)
        _alert(
            session,
            order=order,
            kind="unmapped_tests",
            message=f"Exámenes sin código en {lab.name}: {names}. La orden no se envía hasta "
            "que se configure su código.",
            details={"lab_system_id": lab.id, "tests": missing},
            now=now,
        )
        return "unmapped_tests"
    return None


def _new_job(
    session: Session, *, order: Order, action: str, clock: Clock, jobs: list[LabJob] | None = None
) -> LabJob:
    """A job after the order's ``jobs`` (read here when the caller has not read them)."""
    now = clock.now()
    if jobs is None:
        jobs = _jobs(session, order.id)
    seq = max((j.seq for j in jobs), default=0) + 1
    lab = lab_system_for(session, order.sede_id)
    job = LabJob(
        sede_id=order.sede_id,
        order_id=order.id,
        order_number=order.number,
        lab_system_id=lab.id if lab else None,
        action=action,
        seq=seq,
        control_id=control_id_for(order.number, seq),
        next_attempt_at=now,
        business_date=business_date(now),
        created_at=now,
        updated_at=now,
    )
    job.blocked_reason = check_mapping(session, order=order, lab=lab, clock=clock)
    session.add(job)  # flushed with the rest of the transaction (queries autoflush)
    return job


def enqueue_new(*, session: Session, order: Order, clock: Clock) -> LabJob:
    """Queue the new order for its laboratory (idempotent: one ``new`` job per order)."""
    jobs = _jobs(session, order.id)
    for job in jobs:
        if job.action == "new":
            return job
    return _new_job(session, order=order, action="new", clock=clock, jobs=jobs)


def enqueue_change(*, session: Session, order: Order, clock: Clock) -> LabJob:
    """Queue a change (tests added or removed, patient data corrected) of a queued order.

    The message is worked out when it is first sent: tests added go as ``NW``, removed as
    ``CA`` and kept as ``XO``. Before the new order was ever sent, nothing extra is queued.
    Called through ``edge.orders.hooks`` for edits made here and for patient edits and merges
    pulled from the hub (``edge.sync.page_writer``), in the transaction that applies them.
    """
    jobs = _jobs(session, order.id)
    new = next((j for j in jobs if j.action == "new"), None)
    if new is None:
        return _new_job(session, order=order, action="new", clock=clock, jobs=jobs)
    last = jobs[-1]
    for waiting in (new, last):  # not sent yet: its message is worked out when it goes
        if waiting.action != "cancel" and waiting.attempts == 0 and waiting.state in OPEN_STATES:
            waiting.blocked_reason = check_mapping(
                session,
                order=order,
                lab=session.get(LabSystem, waiting.lab_system_id)
                if waiting.lab_system_id
                else None,
                clock=clock,
            )
            session.add(waiting)
            return waiting
    return _new_job(session, order=order, action="change", clock=clock)


def enqueue_cancel(*, session: Session, order: Order, clock: Clock) -> LabJob | None:
    """Queue the cancellation. Jobs never attempted are simply discarded (the lab never knew)."""
    jobs = _jobs(session, order.id)
    now = clock.now()
    reached_lab = [j for j in jobs if j.attempts > 0 or j.state == ACCEPTED]
    for job in jobs:
        if job.attempts == 0 and job.state in OPEN_STATES:
            job.state = DISCARDED
            job.last_error = "orden anulada antes de enviarse"
            job.updated_at = now
            session.add(job)
    for alert in session.exec(
        select(LabAlert).where(LabAlert.order_id == order.id, col(LabAlert.resolved_at).is_(None))
    ):
        alert.resolved_at = now
        session.add(alert)
    if not reached_lab:
        return None
    if any(j.action == "cancel" for j in jobs):
        return next(j for j in jobs if j.action == "cancel")
    job = _new_job(session, order=order, action="cancel", clock=clock)
    job.blocked_reason = None  # a cancellation needs no codes for tests already sent
    return job


def next_due(*, session: Session, now: dt.datetime, limit: int) -> list[LabJob]:
    """Open jobs whose time has come, at most one per order (an order's jobs go in sequence).

    A new order leaves once its samples are taken (the message carries each tube's barcode and
    collection time), so it reaches the laboratory as "muestra tomada" and becomes "enviada al
    laboratorio" on the ACK; changes and cancellations are never held. A forced send
    (``POST /api/lab-sync/sync/{order_id}``) does not wait.

    Chosen in SQL, ``limit`` rows at most: the worker asks every 2 s, and the open jobs grow
    with every sale whose tubes are not taken yet (or while the laboratory is down); loading
    them all each round made the worker's memory grow with that backlog (~9 MB per 1,000 open
    jobs, never given back: bench/bench_lab_due_memory.py).
    """
    earlier = aliased(LabJob)
    earlier_open = (
        select(earlier.id)
        .where(
            earlier.order_id == LabJob.order_id,
            col(earlier.state).in_(OPEN_STATES),
            earlier.seq < LabJob.seq,
        )
        .exists()
    )
    samples_pending = (
        select(Sample.id)
        .where(Sample.order_id == LabJob.order_id, Sample.status == SAMPLE_PENDING)
        .exists()
    )
    return list(
        session.exec(
            select(LabJob)
            .where(
                col(LabJob.state).in_(OPEN_STATES),
                col(LabJob.next_attempt_at) <= now,
                ~earlier_open,
                ~and_(col(LabJob.action) == "new", samples_pending),
            )
            .order_by(col(LabJob.next_attempt_at), col(LabJob.created_at))
            .limit(limit)
        ).all()
    )


# --------------------------------------------------------------------------- order hooks
def _on_created(*, session: Session, order: Order, user: object, clock: Clock) -> None:
    enqueue_new(session=session, order=order, clock=clock)


def _on_payment(*, session: Session, order: Order, user: object, clock: Clock) -> None:
    enqueue_new(session=session, order=order, clock=clock)  # no-op when already queued


def _on_cancelled(*, session: Session, order: Order, user: object, clock: Clock) -> None:
    enqueue_cancel(session=session, order=order, clock=clock)


def _on_changed(*, session: Session, order: Order, user: object, clock: Clock) -> None:
    enqueue_change(session=session, order=order, clock=clock)


def register_hooks() -> bool:
    """Register with the orders service's hooks: every sale, payment, change and cancellation
    queues its laboratory message in its own transaction."""
    hooks.on_order_created(_on_created)
    hooks.on_payment_added(_on_payment)
    hooks.on_order_cancelled(_on_cancelled)
    hooks.on_order_changed(_on_changed)
    return True


HOOKS_REGISTERED = register_hooks()
