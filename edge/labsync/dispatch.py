"""Delivering jobs: claim (commit) → transmit (no transaction open) → record (commit).

A job is marked ``enviado`` and its attempt logged *before* the message leaves, so a worker
that dies between sending and recording leaves a visible in-flight job; once ``ACK_GRACE``
has passed it is due again and is resent with the same frozen bytes (same control id and
placer numbers), which the laboratory drops as a duplicate. Nothing is lost, nothing doubled.

Failures are retried with exponential backoff and jitter (tenacity's wait functions), and a
per-laboratory circuit breaker stops hammering a system that is down: after ``threshold``
consecutive transport failures it opens for ``cooldown``, then lets one attempt probe it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from tenacity import RetryCallState, wait_exponential_jitter

from domain.clock import Clock, business_date
from edge.db import read_session, unit_of_work
from edge.labsync.adapters import Adapter, Outbound, Outcome
from edge.labsync.adapters.filedrop import FileDropAdapter
from edge.labsync.adapters.mllp import MllpAdapter
from edge.labsync.adapters.rest import RestAdapter
from edge.labsync.freeze import Blocked, render
from edge.labsync.models import (
    ACCEPTED,
    DISCARDED,
    ERROR,
    PENDING,
    REJECTED,
    SENT,
    LabAlert,
    LabAttemptLog,
    LabJob,
    LabOrderTest,
    LabSystem,
)
from edge.labsync.queue import check_mapping, lab_system_for, next_due
from edge.orders.models import Order, OrderStatusEvent

log = logging.getLogger("labred.edge.labsync")

ACK_GRACE = dt.timedelta(seconds=60)  # an "enviado" job older than this is resent
BLOCKED_RECHECK = dt.timedelta(seconds=30)
BACKOFF = wait_exponential_jitter(initial=2, max=300, exp_base=2, jitter=2)


def backoff_delay(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1`` (tenacity's exponential wait with jitter)."""
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = max(1, attempts)
    return float(BACKOFF(state))


@dataclass
class CircuitBreaker:
    clock: Clock
    threshold: int = 5
    cooldown: dt.timedelta = dt.timedelta(seconds=60)
    failures: int = 0
    opened_at: dt.datetime | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if self.clock.now() - self.opened_at >= self.cooldown:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        return self.state != "open"

    def success(self) -> None:
        self.failures, self.opened_at = 0, None

    def failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold or self.opened_at is not None:
            self.opened_at = self.clock.now()  # (re)open: a failed probe restarts the cooldown


AdapterFactory = Callable[[LabSystem], Adapter]


def default_adapter(lab: LabSystem, http: httpx.Client | None = None) -> Adapter:
    if lab.protocol == "rest":
        client = http or httpx.Client(timeout=lab.timeout_seconds)
        return RestAdapter(lab.url, lab.token, http=client)
    if lab.protocol == "file":
        return FileDropAdapter(lab.folder)
    return MllpAdapter(lab.host, lab.port, timeout=lab.timeout_seconds)


@dataclass(frozen=True)
class Claimed:
    job_id: str
    log_id: str
    lab: LabSystem
    message: Outbound


@dataclass
class Dispatcher:
    """The sender of one process (the worker, or the API for a forced send)."""

    engine: Engine
    clock: Clock
    adapter_for: AdapterFactory = default_adapter
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)

    def breaker(self, lab_id: str) -> CircuitBreaker:
        if lab_id not in self.breakers:
            self.breakers[lab_id] = CircuitBreaker(clock=self.clock)
        return self.breakers[lab_id]

    # ----------------------------------------------------------------- steps
    def claim(self, job_id: str, *, force: bool = False) -> Claimed | None:
        """Freeze and mark the job in flight, log the attempt; commit. None: not sendable now."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            job = session.get(LabJob, job_id)
            if job is None or job.state in (ACCEPTED, REJECTED, DISCARDED):
                return None
            if job.state == SENT and not force and now - (job.sent_at or now) < ACK_GRACE:
                return None
            lab = session.get(LabSystem, job.lab_system_id) if job.lab_system_id else None
            if lab is None or not lab.active:
                lab = lab_system_for(session, job.sede_id)
                job.lab_system_id = lab.id if lab else None
            if job.rendered is None:
                if lab is None:
                    self._block(session, job, "no_lab_system", now)
                    return None
                try:
                    content_type, body = render(session, job=job, lab=lab, clock=self.clock)
                except Blocked as exc:
                    if exc.reason == "nothing_to_send":
                        job.state, job.last_error, job.updated_at = DISCARDED, "sin exámenes", now
                        session.add(job)
                        return None
                    order = session.get(Order, job.order_id)
                    if order is not None:
                        check_mapping(session, order=order, lab=lab, clock=self.clock)
                    self._block(session, job, exc.reason, now)
                    return None
                job.rendered = f"{content_type}\n{body}"
                job.blocked_reason = None
                _resolve_alerts(session, job.order_id, now)
            assert lab is not None
            content_type, _, body = job.rendered.partition("\n")
            job.attempts += 1
            job.state, job.sent_at, job.updated_at = SENT, now, now
            attempt = LabAttemptLog(
                sede_id=job.sede_id,
                job_id=job.id,
                order_id=job.order_id,
                lab_system_id=lab.id,
                control_id=job.control_id,
                attempt=job.attempts,
                protocol=lab.protocol,
                business_date=business_date(now),
                started_at=now,
            )
            session.add(job)
            session.add(attempt)
            session.flush()
            session.expunge(lab)
            return Claimed(
                job_id=job.id,
                log_id=attempt.id,
                lab=lab,
                message=Outbound(job.control_id, job.order_number, body, content_type),
            )

    def _block(self, session: Session, job: LabJob, reason: str, now: dt.datetime) -> None:
        job.blocked_reason = reason
        job.state = PENDING
        job.next_attempt_at = now + BLOCKED_RECHECK
        job.updated_at = now
        session.add(job)

    def transmit(self, claimed: Claimed) -> tuple[Outcome, int]:
        started = time.monotonic()
        try:
            outcome = self.adapter_for(claimed.lab).send(claimed.message)
        except Exception as exc:  # noqa: BLE001 - an adapter bug must not kill the round
            log.exception("lab adapter failed")
            outcome = Outcome("error", detail=f"fallo inesperado: {exc}", transport_failure=True)
        return outcome, int((time.monotonic() - started) * 1000)

    def record(self, claimed: Claimed, outcome: Outcome, duration_ms: int) -> str:
        now = self.clock.now()
        breaker = self.breaker(claimed.lab.id)
        if outcome.transport_failure:
            breaker.failure()
        else:
            breaker.success()
        with unit_of_work(self.engine) as session:
            job = session.get(LabJob, claimed.job_id)
            attempt = session.get(LabAttemptLog, claimed.log_id)
            assert job is not None and attempt is not None
            attempt.outcome = {"accepted": "aceptado", "rejected": "rechazado"}.get(
                outcome.kind, "error"
            )
            attempt.ack_code, attempt.detail = outcome.ack_code, outcome.detail[:1000]
            attempt.duration_ms, attempt.finished_at = duration_ms, now
            session.add(attempt)
            job.updated_at = now
            job.last_error = None if outcome.kind == "accepted" else outcome.detail[:500]
            if outcome.kind == "accepted":
                job.state, job.acked_at = ACCEPTED, now
                if outcome.filler_numbers:
                    job.filler_numbers = {**job.filler_numbers, **outcome.filler_numbers}
                    _store_fillers(session, job.order_id, outcome.filler_numbers)
                if job.action != "cancel":
                    _mark_sent(session, job, now)
            elif outcome.kind == "rejected":
                job.state = REJECTED
                order = session.get(Order, job.order_id)
                if order is not None:
                    session.add(
                        LabAlert(
                            sede_id=job.sede_id,
                            order_id=job.order_id,
                            kind="rejected",
                            message=f"El laboratorio rechazó la orden: {outcome.detail[:200]}",
                            details={"job_id": job.id, "ack_code": outcome.ack_code},
                            created_at=now,
                        )
                    )
            else:
                job.state = ERROR
                job.next_attempt_at = now + dt.timedelta(seconds=backoff_delay(job.attempts))
            session.add(job)
            return job.state

    # ----------------------------------------------------------------- rounds
    def send_job(self, job_id: str, *, force: bool = False) -> str | None:
        claimed = self.claim(job_id, force=force)
        if claimed is None:
            return None
        outcome, ms = self.transmit(claimed)
        return self.record(claimed, outcome, ms)

    def send_due(self, *, limit: int = 50) -> dict[str, int]:
        """One round: every due job whose laboratory's breaker lets it through."""
        counts = {"sent": 0, "accepted": 0, "failed": 0, "skipped": 0}
        with read_session(self.engine) as session:
            due = [(j.id, j.lab_system_id) for j in next_due(
                session=session, now=self.clock.now(), limit=limit
            )]  # fmt: skip
        for job_id, lab_id in due:
            if lab_id and not self.breaker(lab_id).allow():
                counts["skipped"] += 1
                continue
            state = self.send_job(job_id)
            if state is None:
                continue
            counts["sent"] += 1
            counts["accepted" if state == ACCEPTED else "failed"] += 1
        return counts


def _resolve_alerts(session: Session, order_id: str, now: dt.datetime) -> None:
    for alert in session.exec(
        select(LabAlert).where(
            LabAlert.order_id == order_id,
            col(LabAlert.kind).in_(("unmapped_tests", "no_lab_system")),
            col(LabAlert.resolved_at).is_(None),
        )
    ):
        alert.resolved_at = now
        session.add(alert)


def _store_fillers(session: Session, order_id: str, fillers: dict[str, str]) -> None:
    for test in session.exec(select(LabOrderTest).where(LabOrderTest.order_id == order_id)):
        if test.placer_number in fillers:
            test.filler_number = fillers[test.placer_number]
            session.add(test)


def _mark_sent(session: Session, job: LabJob, now: dt.datetime) -> None:
    """Accepted by the lab: an order whose sample is taken is now "enviada_laboratorio"."""
    order: Order | None = session.get(Order, job.order_id)
    if order is None or order.status != "muestra_tomada":
        return
    session.add(
        OrderStatusEvent(
            order_id=order.id,
            sede_id=order.sede_id,
            from_status=order.status,
            to_status="enviada_laboratorio",
            reason=f"aceptada por el laboratorio ({job.control_id})",
            user_id=job.lab_system_id or "laboratorio",
            business_date=business_date(now),
            created_at=now,
        )
    )
    order.status, order.updated_at = "enviada_laboratorio", now
    session.add(order)
