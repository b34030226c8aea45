"""The hub worker's reconciliation round: the configured hour, pending seals, late rows."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from central.notifications.adapters import Channels
from central.reconciliation.models import Closure
from central.runtime import HubRuntime
from central.worker import jobs_for, reconciliation_round
from domain.clock import FixedClock
from domain.ids import sede_id_for
from tests.central.auth.factories import make_sede
from tests.central.reconciliation.builders import DAY, SedeDay

LIMA_2320 = dt.datetime(2026, 11, 30, 4, 20, tzinfo=dt.UTC)  # 23:20 in Lima on DAY


def closures(rt: HubRuntime) -> dict[str, Closure]:
    with Session(rt.engine) as session:
        return {
            c.sede_id: c for c in session.exec(select(Closure).where(Closure.business_date == DAY))
        }


def test_the_round_waits_for_the_hour_then_reconciles_and_follows_up(
    hub_runtime: HubRuntime,
) -> None:
    rt = hub_runtime
    clock = FixedClock(LIMA_2320)
    rt.clock = clock
    make_sede(rt, "S01")
    make_sede(rt, "S02")
    s01, s02 = SedeDay(rt.engine, "S01"), SedeDay(rt.engine, "S02")
    for day in (s01, s02):
        o = day.order("20.00")
        day.payment(o)
        day.invoice(o)
    s01.push_day()
    s02.push_day(seal=False)
    # the day before has no closures: it is reconciled (pending: nothing was pushed for it)
    reconciliation_round(rt)
    assert closures(rt) == {}  # 23:20 < 23:30 (default hour)
    clock.advance(dt.timedelta(minutes=15))
    reconciliation_round(rt)
    found = closures(rt)
    assert found[sede_id_for("S01")].status == "reconciled"
    assert found[sede_id_for("S02")].status == "pending_data"
    s02.push([("day_seal", s02.seal())])
    clock.advance(dt.timedelta(minutes=1))
    reconciliation_round(rt)
    assert closures(rt)[sede_id_for("S02")].status == "reconciled"
    late = s01.order("5.00")
    clock.advance(dt.timedelta(minutes=1))
    s01.push([("order", late)], received_at=clock.now(), late=True)
    clock.advance(dt.timedelta(minutes=1))
    reconciliation_round(rt)
    c = closures(rt)[sede_id_for("S01")]
    assert c.has_late_adjustments and c.late_adjustments[0]["id"] == late["id"]
    runs = c.runs
    clock.advance(dt.timedelta(minutes=1))
    assert reconciliation_round(rt) >= 0
    assert closures(rt)[sede_id_for("S01")].runs == runs + 1  # today is re-run (idempotent)


def test_the_worker_registers_its_jobs(hub_runtime: HubRuntime) -> None:
    names = {j.name: j.seconds for j in jobs_for(hub_runtime, Channels())}
    assert names == {
        "reconciliation": 60,
        "notifications": 5,
        "scheduled_prices": 3600,
        "backup": 600,
        "sync.feed_retention": 86400,
        "housekeeping": 86400,
    }
