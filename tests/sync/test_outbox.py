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


def test_a_record_changed_twice_in_one_transaction_leaves_one_row_with_its_last_image(
    engine,
) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        parent, child = _thing("parent"), _thing("child")
        s.add(parent)
        s.flush()
        s.add(child)
        s.flush()
        parent.name = "parent, renamed"
        with engine.connect() as c:  # nothing visible before the commit
            assert c.execute(select(outbox.outbox)).first() is None
    rows = _rows(engine)
    assert [(r["seq"], r["record_id"]) for r in rows] == [(1, parent.id), (2, child.id)]
    assert json.loads(rows[0]["payload"])["name"] == "parent, renamed"
    with engine.connect() as c:
        state = c.execute(select(outbox.sync_state)).mappings().one()
    assert state["last_seq"] == 2


def test_a_rolled_back_savepoint_takes_its_outbox_rows_along(engine) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        kept = _thing("before the savepoint")
        s.add(kept)
        s.flush()
        with pytest.raises(RuntimeError):
            with s.begin_nested():
                s.add(_thing("inside, rolled back"))
                s.flush()
                raise RuntimeError("boom")
        released = _thing("inside, released")
        with s.begin_nested():
            s.add(released)
        last = _thing("after")
        s.add(last)
    rows = _rows(engine)
    names = [json.loads(r["payload"])["name"] for r in rows]
    assert names == ["before the savepoint", "inside, released", "after"]
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert len({r["tx_id"] for r in rows}) == 1


def test_a_change_made_by_a_late_before_commit_hook_is_not_lost(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    with unit_of_work(engine) as s:
        s.add(_thing("first"))

        def _late(session) -> None:  # type: ignore[no-untyped-def]
            session.add(_thing("added by a later before_commit hook"))

        event.listen(s, "before_commit", _late)
    rows = _rows(engine)
    assert [json.loads(r["payload"])["name"] for r in rows] == [
        "first",
        "added by a later before_commit hook",
    ]


def test_after_commit_actions_run_outside_the_writer_lock_and_never_after_a_rollback(
    engine,
) -> None:  # type: ignore[no-untyped-def]
    import threading

    from edge.db import after_commit

    seen: list[str] = []

    def _other_writer_can_start() -> None:
        done = threading.Event()

        def _write() -> None:
            with unit_of_work(engine) as s2:
                s2.add(_thing("other writer"))
            done.set()

        threading.Thread(target=_write).start()
        seen.append("ran" if done.wait(5) else "blocked")

    with unit_of_work(engine) as s:
        s.add(_thing("x"))
        after_commit(s, _other_writer_can_start)
        assert seen == []  # not before the commit
    assert seen == ["ran"]
    with pytest.raises(RuntimeError):
        with unit_of_work(engine) as s:
            after_commit(s, lambda: seen.append("after a rollback"))
            raise RuntimeError("boom")
    assert seen == ["ran"]


def test_default_factories_still_run_for_every_instance_with_their_signature_cached() -> None:
    from pydantic._internal import _fields

    from sync.modelspeed import cache_factory_signatures

    cache_factory_signatures()
    cache_factory_signatures()  # idempotent
    a, b = _thing("a"), _thing("b")
    assert a.id != b.id  # new_id ran twice: the factory is called, only its signature is cached
    assert _fields.takes_validated_data_argument.cache_info().hits > 0  # type: ignore[attr-defined]
