"""No closure for the days before a sede's first day: the earlier of its creation date (Lima)
and its first activity. A sede created today is not "pendiente de datos" for yesterday, nor
does the worker keep re-running yesterday for it; history pushed for earlier days still is
reconciled; sedes with no recorded creation (older rows) keep every day."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from central.config import service as config_service
from central.config.changes import Actor
from central.config.models import Sede
from central.config.schemas import SedeCreate
from central.db import unit_of_work
from central.reconciliation import service
from central.reconciliation.models import Closure
from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.errors import RuleViolation
from domain.ids import sede_id_for
from tests.central.auth.factories import make_sede
from tests.central.reconciliation.builders import DAY, SedeDay

TODAY = DAY + dt.timedelta(days=1)
#: 09:00 in Lima on TODAY: the new sede was registered this morning
MORNING = dt.datetime(2026, 11, 30, 14, 0, tzinfo=dt.UTC)


def _run(rt: HubRuntime, day: dt.date) -> dict[str, str]:
    with unit_of_work(rt.engine) as session:
        done = service.execute(session=session, clock=rt.clock, day=day)
        return {c.sede_id: c.status for c in done}


def _closures(rt: HubRuntime, day: dt.date) -> set[str]:
    with Session(rt.engine) as session:
        return set(session.exec(select(Closure.sede_id).where(Closure.business_date == day)))


def test_a_sede_created_today_gets_no_closure_for_yesterday(hub_runtime: HubRuntime) -> None:
    rt = hub_runtime
    rt.clock = FixedClock(MORNING)
    old = make_sede(rt, "S01")  # created before creation dates were kept
    new = make_sede(rt, "S02", created_at=MORNING)
    assert _run(rt, DAY) == {old.id: "pending_data"}
    assert new.id not in _closures(rt, DAY)
    # its first day is today: that one it gets, pending until its seal arrives
    assert _run(rt, TODAY) == {old.id: "pending_data", new.id: "pending_data"}


def test_the_worker_does_not_rerun_yesterday_for_a_sede_born_today(
    hub_runtime: HubRuntime,
) -> None:
    rt = hub_runtime
    rt.clock = FixedClock(MORNING)
    make_sede(rt, "S02", created_at=MORNING)
    with Session(rt.engine) as session:
        assert service.due_runs(session=session, clock=rt.clock, hour="23:30") == {}
    make_sede(rt, "S01")  # no creation date: yesterday is due for it (as before)
    with Session(rt.engine) as session:
        assert service.due_runs(session=session, clock=rt.clock, hour="23:30") == {DAY: None}


def test_history_pushed_for_days_before_the_creation_is_still_reconciled(
    hub_runtime: HubRuntime,
) -> None:
    rt = hub_runtime
    rt.clock = FixedClock(MORNING)
    make_sede(rt, "S02", created_at=MORNING)
    before = DAY - dt.timedelta(days=1)
    history = SedeDay(rt.engine, "S02", day=before)
    o = history.order("20.00")
    history.payment(o)
    history.invoice(o)
    history.push_day()
    assert _run(rt, before) == {sede_id_for("S02"): "reconciled"}
    # the days after its first activity count, data or not
    assert _run(rt, DAY) == {sede_id_for("S02"): "pending_data"}
    assert _run(rt, before - dt.timedelta(days=1)) == {}


def test_registering_a_sede_records_when(hub_runtime: HubRuntime) -> None:
    rt = hub_runtime
    rt.clock = FixedClock(MORNING)
    data = SedeCreate.model_validate({"code": "S07", "name": "Sede Nueva"})
    with unit_of_work(rt.engine) as session:
        config_service.create_sede(session=session, clock=rt.clock, actor=Actor(None, None),
                                   data=data)  # fmt: skip
    with Session(rt.engine) as session:
        sede = session.get(Sede, sede_id_for("S07"))
        assert sede is not None and sede.created_at == MORNING


def test_asking_for_a_day_before_the_sede_existed_is_a_clear_refusal(
    hub_runtime: HubRuntime,
) -> None:
    rt = hub_runtime
    rt.clock = FixedClock(MORNING)
    new = make_sede(rt, "S02", created_at=MORNING)
    with unit_of_work(rt.engine) as session, pytest.raises(RuleViolation) as info:
        service.execute(session=session, clock=rt.clock, day=DAY, sede_ids=[new.id])
    assert info.value.code == "before_sede_first_day"
    assert info.value.msg == (
        "La sede S02 aún no existía el 29/11/2026: no hay nada que conciliar ese día."
    )
