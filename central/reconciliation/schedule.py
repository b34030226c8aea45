"""What the scheduled reconciliation job should (re)run now (the worker calls it every minute)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_
from sqlmodel import Session, col, select

from central.config.models import Sede
from central.reconciliation.first_day import before_first_day
from central.reconciliation.models import PENDING_DATA, REOPENED, Closure, LateMark
from domain.clock import LIMA, Clock, business_date


def due_runs(*, session: Session, clock: Clock, hour: str) -> dict[dt.date, list[str] | None]:
    """What the scheduled job should (re)run now, day -> sedes (``None``: every active sede):
    today once past ``hour`` (Lima); yesterday until every active sede has a closure; recent
    pending or reopened closures; frozen closures whose day received late rows since."""
    now = clock.now()
    today = business_date(now)
    local = now.astimezone(LIMA)
    hh, _, mm = hour.partition(":")
    due: dict[dt.date, set[str] | None] = {}
    if (local.hour, local.minute) >= (int(hh or 23), int(mm or 59)):
        due[today] = None
    yesterday = today - dt.timedelta(days=1)
    active = {s.id: s for s in session.exec(select(Sede).where(Sede.active))}
    done = set(
        session.exec(select(Closure.sede_id).where(Closure.business_date == yesterday)).all()
    )
    missing = [active[sid] for sid in sorted(set(active) - done)]
    if {s.id for s in missing} - before_first_day(session, day=yesterday, sedes=missing):
        due[yesterday] = None
    since = today - dt.timedelta(days=7)
    open_rows = session.exec(
        select(col(Closure.business_date), col(Closure.sede_id)).where(
            col(Closure.business_date) >= since,
            col(Closure.status).in_((PENDING_DATA, REOPENED)),
        )
    ).all()
    late_rows = session.exec(
        select(col(Closure.business_date), col(Closure.sede_id))
        .join(
            LateMark,
            and_(
                col(LateMark.sede_id) == col(Closure.sede_id),
                col(LateMark.business_date) == col(Closure.business_date),
            ),
        )
        .where(
            col(Closure.business_date) >= since,
            col(Closure.closed_at).is_not(None),
            col(LateMark.last_received_at) > col(Closure.updated_at),
        )
    ).all()
    for day, sede in [*open_rows, *late_rows]:
        if day in due and due[day] is None:
            continue
        bucket = due.setdefault(day, set())
        assert bucket is not None
        bucket.add(sede)
    return {d: (sorted(v) if v is not None else None) for d, v in sorted(due.items())}
