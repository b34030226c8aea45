from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.exc import StatementError

from sync.sqltypes import Cents, UTCDateTime

md = MetaData()
t = Table(
    "t",
    md,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime),
    Column("amount", Cents),
)


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    e = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    md.create_all(e)
    yield e
    e.dispose()


def test_utc_datetime_round_trips_with_zone(engine) -> None:  # type: ignore[no-untyped-def]
    lima = dt.timezone(dt.timedelta(hours=-5))
    at = dt.datetime(2026, 11, 29, 23, 30, tzinfo=lima)
    with engine.begin() as c:
        c.execute(insert(t).values(id=1, at=at, amount=Decimal("12.50")))
    with engine.connect() as c:
        row = c.execute(select(t)).one()
        raw = c.exec_driver_sql("select at, amount from t").one()
    assert row.at == at and row.at.tzinfo is not None and row.at.utcoffset() == dt.timedelta(0)
    assert raw[0] == "2026-11-30T04:30:00.000000+00:00"
    assert row.amount == Decimal("12.50") and raw[1] == 1250


def test_naive_datetime_refused(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StatementError, match="naive datetime refused"):
        with engine.begin() as c:
            c.execute(insert(t).values(id=2, at=dt.datetime(2026, 1, 1)))


def test_float_money_refused(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StatementError, match="float money refused"):
        with engine.begin() as c:
            c.execute(insert(t).values(id=3, amount=1.1))


def test_sub_centimo_money_refused(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StatementError):
        with engine.begin() as c:
            c.execute(insert(t).values(id=4, amount=Decimal("1.005")))
