"""What the lab-sync API does: forced sends, the queue and its log, retries, results in and out.

Forced sends run the same :class:`~edge.labsync.dispatch.Dispatcher` as the worker (one per
process, so its circuit breakers persist between requests) and never hold a transaction
while talking to the laboratory.
"""

from __future__ import annotations

import hmac
import weakref
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from domain.errors import NotFound, RuleViolation, Unauthorized
from edge.db import read_session, unit_of_work
from edge.labsync import results
from edge.labsync.dispatch import Dispatcher
from edge.labsync.hl7_parse import Observation, ResultGroup
from edge.labsync.models import (
    OPEN_STATES,
    PENDING,
    LabAlert,
    LabAttemptLog,
    LabJob,
    LabOrderTest,
    LabResult,
    LabSystem,
)
from edge.labsync.queue import plan_tests, unmapped
from edge.labsync.schemas import (
    AlertRead,
    AttemptList,
    AttemptRead,
    JobRead,
    OrderResults,
    PendingJob,
    PendingList,
    ResultRead,
    SyncReport,
    TestResults,
    WebhookIn,
    WebhookOut,
)
from edge.orders.models import Order
from edge.runtime import EdgeRuntime

_dispatchers: weakref.WeakKeyDictionary[Engine, Dispatcher] = weakref.WeakKeyDictionary()


def dispatcher(rt: EdgeRuntime) -> Dispatcher:
    """The process's dispatcher for ``rt`` (created once, so breakers outlive a request)."""
    d = _dispatchers.get(rt.engine)
    if d is None:
        d = _dispatchers[rt.engine] = Dispatcher(engine=rt.engine, clock=rt.clock)
    d.clock = rt.clock
    return d


def results_dir(rt: EdgeRuntime) -> Path:
    return rt.settings.data_dir / "lab-results"


def sync_all(rt: EdgeRuntime, *, limit: int = 200) -> SyncReport:
    counts = dispatcher(rt).send_due(limit=limit)
    return SyncReport(
        sent=counts["sent"],
        accepted=counts["accepted"],
        failed=counts["failed"],
        skipped=counts["skipped"],
    )


def sync_order(rt: EdgeRuntime, *, order_id: str) -> SyncReport:
    """Send the order's open jobs now, in sequence, ignoring backoff and the breaker."""
    with read_session(rt.engine) as session:
        if session.get(Order, order_id) is None:
            raise NotFound("La orden no existe.", code="order_not_found", loc=["path", "order_id"])
        job_ids = [
            j.id
            for j in session.exec(
                select(LabJob).where(LabJob.order_id == order_id).order_by(col(LabJob.seq))
            )
            if j.state in OPEN_STATES
        ]
    report = SyncReport(sent=0, accepted=0, failed=0, skipped=0)
    d = dispatcher(rt)
    for job_id in job_ids:
        state = d.send_job(job_id, force=True)
        if state is None:
            report.skipped += 1
            break
        report.sent += 1
        if state == "aceptado":
            report.accepted += 1
        else:
            report.failed += 1
            break  # later jobs of the order wait for this one
    with read_session(rt.engine) as session:
        report.jobs = [
            JobRead.of(j)
            for j in session.exec(
                select(LabJob).where(LabJob.order_id == order_id).order_by(col(LabJob.seq))
            )
        ]
    return report


def retry(rt: EdgeRuntime, *, log_id: str) -> SyncReport:
    """Re-open the job of attempt ``log_id`` (also a rejected one) and send it now."""
    with unit_of_work(rt.engine) as session:
        attempt = session.get(LabAttemptLog, log_id)
        if attempt is None:
            raise NotFound(
                "El intento no existe.", code="attempt_not_found", loc=["path", "log_id"]
            )
        job = session.get(LabJob, attempt.job_id)
        assert job is not None
        if job.state == "aceptado":
            raise RuleViolation(
                "El laboratorio ya aceptó este envío.",
                code="already_accepted",
                loc=["path", "log_id"],
            )
        if job.state == "descartado":
            raise RuleViolation(
                "El envío fue descartado (orden anulada).",
                code="job_discarded",
                loc=["path", "log_id"],
            )
        job.state, job.next_attempt_at = PENDING, rt.clock.now()
        session.add(job)
        order_id = job.order_id
    return sync_order(rt, order_id=order_id)


def list_logs(session: Session, *, order_id: str | None, limit: int, offset: int) -> AttemptList:
    query = select(LabAttemptLog)
    count = select(func.count()).select_from(LabAttemptLog)
    if order_id:
        query = query.where(LabAttemptLog.order_id == order_id)
        count = count.where(LabAttemptLog.order_id == order_id)
    rows = session.exec(
        query.order_by(col(LabAttemptLog.started_at).desc()).offset(offset).limit(limit)
    )
    return AttemptList(total=session.exec(count).one(), items=[AttemptRead.of(a) for a in rows])


def list_pending(session: Session) -> PendingList:
    jobs = session.exec(
        select(LabJob)
        .where(col(LabJob.state).in_(OPEN_STATES + ("rechazado",)))
        .order_by(col(LabJob.created_at))
    ).all()
    items: list[PendingJob] = []
    for j in jobs:
        missing: list[dict[str, str]] = []
        if j.blocked_reason == "unmapped_tests":
            order = session.get(Order, j.order_id)
            lab = session.get(LabSystem, j.lab_system_id) if j.lab_system_id else None
            if order is not None and lab is not None:
                missing = unmapped(plan_tests(session, order, lab))
        items.append(PendingJob(**JobRead.of(j).model_dump(), unmapped_tests=missing))
    alerts = session.exec(
        select(LabAlert)
        .where(col(LabAlert.resolved_at).is_(None))
        .order_by(col(LabAlert.created_at))
    )
    return PendingList(total=len(items), items=items, alerts=[AlertRead.of(a) for a in alerts])


def order_results(session: Session, *, order_id: str) -> OrderResults:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("La orden no existe.", code="order_not_found", loc=["path", "order_id"])
    tests = session.exec(
        select(LabOrderTest)
        .where(LabOrderTest.order_id == order_id)
        .order_by(col(LabOrderTest.placer_number))
    ).all()
    all_results = session.exec(
        select(LabResult)
        .where(LabResult.order_id == order_id)
        .order_by(col(LabResult.received_at), col(LabResult.id))
    ).all()
    out: list[TestResults] = []
    for t in tests:
        mine = [r for r in all_results if r.order_test_id == t.id]
        out.append(
            TestResults(
                placer_number=t.placer_number,
                service_code=t.service_code,
                service_name=t.service_name,
                status=t.result_status,
                cancelled=t.cancelled,
                current=[ResultRead.of(r) for r in mine if r.superseded_by is None],
                history=[ResultRead.of(r) for r in mine if r.superseded_by is not None],
            )
        )
    live = [t for t in tests if not t.cancelled]
    complete = bool(live) and all(t.result_status in results.FINAL for t in live)
    return OrderResults(
        order_id=order.id,
        order_number=order.number,
        order_status=order.status,
        complete=complete,
        tests=out,
    )


def authenticate_lab(session: Session, token: str | None) -> LabSystem:
    """The laboratory system whose results token (or token) is ``token``."""
    if token:
        for lab in session.exec(select(LabSystem).where(LabSystem.active == True)):  # noqa: E712
            expected = lab.results_token or lab.token
            if expected and hmac.compare_digest(expected.encode(), token.encode()):
                return lab
    raise Unauthorized("Token de laboratorio inválido.", code="lab_token_invalid")


def receive_webhook(rt: EdgeRuntime, *, token: str | None, body: WebhookIn) -> WebhookOut:
    """Results posted by a laboratory over REST: stored like an ORU^R01, in one transaction."""
    groups: dict[str, ResultGroup] = {}
    pdfs = {r.placer_number: r.pdf_base64 for r in body.reports}
    for r in body.results:
        g = groups.setdefault(
            r.placer_number,
            ResultGroup(
                placer=r.placer_number, filler=r.filler_number, order_number="",
                test_code=r.code, test_name=r.name, status=r.status,
            ),
        )  # fmt: skip
        g.observations.append(
            Observation(
                set_id=str(len(g.observations) + 1), value_type=r.value_type, code=r.code,
                name=r.name, value=r.value, units=r.units, reference_range=r.reference_range,
                flag=r.flag, status=r.status, observed_at=r.observed_at,
            )
        )  # fmt: skip
    for placer, data in pdfs.items():
        if placer in groups:
            groups[placer].observations.append(
                Observation(
                    set_id="", value_type="ED", code="PDF", name="Informe", value="PDF",
                    units="", reference_range="", flag="", status=groups[placer].status,
                    observed_at=None, pdf_base64=data,
                )
            )  # fmt: skip
    from edge.labsync.models import LabInboundLog

    with unit_of_work(rt.engine) as session:
        lab = authenticate_lab(session, token)
        try:
            report = results.ingest(
                session=session,
                groups=list(groups.values()),
                message_control_id=f"{lab.id[:8]}:{body.message_id}",
                clock=rt.clock,
                files_dir=results_dir(rt),
                consent=results.default_consent(),
            )
        except results.UnknownOrder as exc:
            index = next((i for i, r in enumerate(body.results) if r.placer_number in exc.msg), 0)
            raise results.UnknownOrder(
                exc.msg, code=exc.code, loc=["body", "results", index, "placer_number"]
            ) from None
        session.add(
            LabInboundLog(
                channel="rest",
                peer=lab.name,
                control_id=f"{lab.id[:8]}:{body.message_id}"[:40],
                message_type="webhook",
                ack_code="AA",
                error="duplicado" if report.duplicate else None,
                results=report.results,
                received_at=rt.clock.now(),
            )
        )
    return WebhookOut(
        accepted=report.results, duplicate=report.duplicate, orders_ready=report.orders_ready
    )
