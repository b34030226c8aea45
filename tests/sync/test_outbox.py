"""The outbox: rows appended in the business transaction, gapless, never split, HLC monotonic."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from domain.clock import FixedClock
from domain.hlc import parse as parse_hlc
from domain.ids import new_id
from edge.db import make_engine, read_session, unit_of_work
from sync import outbox
from sync.sqltypes import Cents, UTCDateTime

reg = registry()


class Base(SQLModel, registry=reg):
    pass


class Thing(Base, table=True):
    __tablename__ = "thing"
    __sync_type__ = "thing"

    id: str = Field(default_factory=new_id, primary_key=True)
    name: str
    amount: Decimal = Field(sa_type=Cents)
    at: dt.datetime = Field(sa_type=UTCDateTime)
    business_date: dt.date


class Local(Base, table=True):
    """Not replicated: no outbox rows."""

    __tablename__ = "local_thing"
    id: int | None = Field(default=None, primary_key=True)


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    e = make_engine(tmp_path / "edge.sqlite3")
    Base.metadata.create_all(e)
    outbox.metadata.create_all(e)
    yield e
    e.dispose()


def _thing(name: str) -> Thing:
    return Thing(
        name=name,
        amount=Decimal("10.50"),
        at=dt.datetime(2026, 11, 29, 15, tzinfo=dt.UTC),
        business_date=dt.date(2026, 11, 29),
    )


def _rows(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return [dict(r) for r in c.execute(select(outbox.outbox).order_by("seq")).mappings()]


def test_flush_appends_full_row_images_in_the_same_transaction(engine) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        a, b = _thing("a"), _thing("b")
        s.add_all([a, b, Local()])
    rows = _rows(engine)
    assert [r["seq"] for r in rows] == [1, 2]
    assert {r["record_id"] for r in rows} == {a.id, b.id}
    assert len({r["tx_id"] for r in rows}) == 1
    payload = json.loads(rows[0]["payload"])
    assert payload["amount"] == 1050  # céntimos on the wire, like storage
    assert payload["business_date"] == "2026-11-29"
    assert rows[0]["business_date"] == "2026-11-29"
    assert payload["at"].startswith("2026-11-29T15:00:00")


def test_update_and_delete_are_captured(engine) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        t = _thing("x")
        s.add(t)
    with unit_of_work(engine) as s:
        t2 = s.get(Thing, t.id)
        assert t2 is not None
        t2.name = "y"
    with unit_of_work(engine) as s:
        s.delete(s.get(Thing, t.id))
    rows = _rows(engine)
    assert [(r["seq"], r["op"]) for r in rows] == [(1, "upsert"), (2, "upsert"), (3, "delete")]
    assert json.loads(rows[1]["payload"])["name"] == "y"
    assert len({r["tx_id"] for r in rows}) == 3


def test_rollback_leaves_no_row_and_no_gap(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError):
        with unit_of_work(engine) as s:
            s.add(_thing("lost"))
            s.flush()
            raise RuntimeError("boom")
    with unit_of_work(engine) as s:
        s.add(_thing("kept"))
    rows = _rows(engine)
    assert [r["seq"] for r in rows] == [1]
    assert json.loads(rows[0]["payload"])["name"] == "kept"


def test_pending_never_splits_a_transaction(engine) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        s.add_all([_thing(f"t{i}") for i in range(5)])
    with unit_of_work(engine) as s:
        s.add(_thing("later"))
    with engine.connect() as c:
        batch = outbox.pending(c, after_seq=0, limit=2)
        assert [r["seq"] for r in batch] == [1, 2, 3, 4, 5]
        assert [r["seq"] for r in outbox.pending(c, after_seq=5, limit=2)] == [6]


def test_explicit_record_change_and_hlc_monotonic_across_restart(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock(dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC))
    outbox.set_clock(clock)
    try:
        with unit_of_work(engine) as s:
            outbox.record_change(s, record_type="day_seal", record_id="d1", payload={"n": 1})
        engine.dispose()  # "restart": a new engine, state comes from the database
        clock.set(dt.datetime(2026, 11, 29, 11, tzinfo=dt.UTC))  # wall clock stepped back
        e2 = make_engine(tmp_path / "edge.sqlite3")
        with unit_of_work(e2) as s:
            outbox.record_change(s, record_type="day_seal", record_id="d2", payload={"n": 2})
        rows = _rows(e2)
        e2.dispose()
    finally:
        outbox.set_clock(outbox.SystemClock())
    first, second = parse_hlc(rows[0]["hlc"]), parse_hlc(rows[1]["hlc"])
    assert second > first
    assert [r["seq"] for r in rows] == [1, 2]


def test_read_session_never_writes(engine) -> None:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        s.add(_thing("not committed"))
        s.flush()
    assert _rows(engine) == []
