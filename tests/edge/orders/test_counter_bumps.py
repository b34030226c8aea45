"""The sale's numbers (order, sample, series correlative) taken with one ``UPDATE ... RETURNING``
(``edge.counters``) follow the same rules as the ORM path they replace, which still runs when
the row is new, held by the session, or refused (a sealed day, an exhausted series)."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.clock import FixedClock
from domain.errors import Conflict, RuleViolation
from domain.sunat.rules import MAX_CORRELATIVE
from edge.billing import numbering as series
from edge.billing.models import SeriesCounter
from edge.config.models import Sede
from edge.db import read_session, unit_of_work
from edge.orders import numbering as orders
from edge.orders.models import OrderCounter
from edge.runtime import EdgeRuntime
from edge.samples.models import SampleCounter
from edge.samples.service import next_seq
from tests.edge.factories import SEDE_S01

DAY = dt.date(2026, 11, 30)
CLOCK = FixedClock(dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC))


def order_number(rt: EdgeRuntime) -> str:
    with unit_of_work(rt.engine) as session:
        return orders.next_order_number(
            session, sede_id=SEDE_S01, sede_code="S01", business_date=DAY
        )


def test_order_numbers_follow_on_and_a_sealed_day_takes_none(edge_runtime: EdgeRuntime) -> None:
    assert order_number(edge_runtime) == "S01-20261130-0001"  # the row is made (ORM path)
    assert order_number(edge_runtime) == "S01-20261130-0002"  # then bumped in place
    with unit_of_work(edge_runtime.engine) as session:
        orders.seal_day(session, sede_id=SEDE_S01, business_date=DAY)
    with pytest.raises(Conflict) as refused:
        order_number(edge_runtime)
    assert refused.value.code == "day_already_sealed"
    with unit_of_work(edge_runtime.engine) as session:
        orders.unseal_day(session, sede_id=SEDE_S01, business_date=DAY)
    assert order_number(edge_runtime) == "S01-20261130-0003"


def test_a_counter_the_session_holds_is_bumped_through_it(edge_runtime: EdgeRuntime) -> None:
    order_number(edge_runtime)
    with unit_of_work(edge_runtime.engine) as session:
        held = session.get(OrderCounter, (SEDE_S01, DAY))
        assert held is not None
        held.last_seq = 40  # an unflushed change a statement would overwrite at the flush
        number = orders.next_order_number(
            session, sede_id=SEDE_S01, sede_code="S01", business_date=DAY
        )
    assert number == "S01-20261130-0041"
    with read_session(edge_runtime.engine) as session:
        stored = session.get(OrderCounter, (SEDE_S01, DAY))
        assert stored is not None and stored.last_seq == 41


def test_sample_sequences_follow_on_and_roll_back_with_the_sale(edge_runtime: EdgeRuntime) -> None:
    def take() -> int:
        with unit_of_work(edge_runtime.engine) as session:
            sede = session.get(Sede, SEDE_S01)
            assert sede is not None
            return next_seq(session, sede=sede, day=DAY)

    assert [take(), take()] == [1, 2]
    with pytest.raises(RuntimeError), unit_of_work(edge_runtime.engine) as session:
        sede = session.get(Sede, SEDE_S01)
        assert sede is not None and next_seq(session, sede=sede, day=DAY) == 3
        raise RuntimeError("the sale fails after taking the number")
    assert take() == 3  # the rolled-back number is taken again
    with read_session(edge_runtime.engine) as session:
        stored = session.get(SampleCounter, (SEDE_S01, DAY))
        assert stored is not None and stored.last_seq == 3


def take_correlative(rt: EdgeRuntime, fence: int | None) -> int:
    with unit_of_work(rt.engine) as session:
        return series.take_number(
            session, sede_id=SEDE_S01, doc_type="03", series="B001", clock=CLOCK, fence=fence
        )


def test_a_correlative_is_above_the_counter_and_the_fence_until_the_last_one(
    edge_runtime: EdgeRuntime,
) -> None:
    assert take_correlative(edge_runtime, fence=0) == 1  # the row is made (ORM path)
    assert take_correlative(edge_runtime, fence=0) == 2
    assert take_correlative(edge_runtime, fence=10) == 11  # the hub knows up to 10
    assert take_correlative(edge_runtime, fence=3) == 12
    with read_session(edge_runtime.engine) as session:
        stored = session.get(SeriesCounter, "B001")
        assert stored is not None and stored.last_number == 12
        assert stored.updated_at == CLOCK.now()
    with pytest.raises(RuleViolation) as full:
        take_correlative(edge_runtime, fence=MAX_CORRELATIVE)
    assert full.value.code == "series_exhausted"
    with unit_of_work(edge_runtime.engine) as session:
        counter = session.get(SeriesCounter, "B001")
        assert counter is not None
        counter.last_number = MAX_CORRELATIVE - 1
    assert take_correlative(edge_runtime, fence=0) == MAX_CORRELATIVE
    with pytest.raises(RuleViolation) as last:
        take_correlative(edge_runtime, fence=0)
    assert last.value.code == "series_exhausted"
