"""What the outbox stores, to the byte: its commit-time write binds values on the driver (one
fixed statement per step), so these pin the row a replicated change leaves, and the row image
(``sync.wire.row_image``) it carries, against the plain definitions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Column, LargeBinary, Numeric, String, inspect
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from domain.clock import FixedClock, SystemClock
from domain.ids import new_id
from edge.db import make_engine, unit_of_work
from sync import outbox
from sync.protocol import SCHEMA_VERSION
from sync.sqltypes import Cents, UTCDateTime
from sync.wire import row_image, to_wire

reg = registry()
NOW = dt.datetime(2026, 11, 29, 15, 0, 0, 123456, tzinfo=dt.UTC)
SEDE = "sede-s01"


class Base(SQLModel, registry=reg):
    pass


class Kinds(Base, table=True):
    """One column of every kind a replicated row carries."""

    __tablename__ = "wire_kinds"
    __sync_type__ = "wire_kinds"

    id: str = Field(default_factory=new_id, primary_key=True)
    name: str
    amount: Decimal = Field(sa_type=Cents)
    rate: Decimal | None = Field(default=None, sa_type=Numeric(6, 3))  # not money: a string
    at: dt.datetime = Field(sa_type=UTCDateTime)
    business_date: dt.date
    blob: bytes | None = Field(default=None, sa_type=LargeBinary)
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    flag: bool = False
    ratio: float | None = None
    # the attribute and its column are named apart: the image is keyed by the column
    nick: str | None = Field(default=None, sa_column=Column("nick_name", String, nullable=True))


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    e = make_engine(tmp_path / "edge.sqlite3")
    Base.metadata.create_all(e)
    outbox.metadata.create_all(e)
    outbox.set_clock(FixedClock(NOW))
    yield e
    outbox.set_clock(SystemClock())
    e.dispose()


def _kinds(**over: Any) -> Kinds:
    values: dict[str, Any] = {
        "name": "Ñandú «a»",
        "amount": Decimal("10.50"),
        "rate": Decimal("1.250"),
        "at": dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        "business_date": dt.date(2026, 11, 29),
        "blob": b"\x00\xff",
        "extra": {"b": [1, 2], "a": None},
        "flag": True,
        "ratio": 0.5,
        "nick": "ro",
    }
    values.update(over)
    return Kinds(**values)


def _plain_image(obj: Any) -> dict[str, Any]:
    """The row image by its definition: every mapped column, in wire form."""
    return {
        attr.columns[0].name: to_wire(getattr(obj, attr.key), attr.columns[0].type)
        for attr in inspect(obj).mapper.column_attrs
    }


def test_the_stored_row_and_state_are_what_the_column_types_bind(engine) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        outbox.ensure_state(s.connection(), sede_id=SEDE)
    with unit_of_work(engine) as s:
        thing = _kinds()
        s.add(thing)
    with engine.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT seq, record_type, record_id, op, payload, hlc, schema_version, sede_id,"
            " business_date, created_at FROM sync_outbox"
        ).all()
        state = c.exec_driver_sql(
            "SELECT last_seq, hlc_last, updated_at, sede_id FROM sync_state"
        ).one()
    assert len(rows) == 1
    seq, record_type, record_id, op, payload, hlc, version, sede_id, day, created = rows[0]
    assert (seq, record_type, record_id, op) == (1, "wire_kinds", thing.id, "upsert")
    assert payload == (
        '{"amount":1050,"at":"2026-11-29T15:00:00+00:00","blob":"00ff",'
        '"business_date":"2026-11-29","extra":{"a":null,"b":[1,2]},"flag":true,'
        f'"id":"{thing.id}","name":"\\u00d1and\\u00fa \\u00aba\\u00bb","nick_name":"ro",'
        '"rate":"1.250","ratio":0.5}'
    )
    assert (version, sede_id, day) == (SCHEMA_VERSION, SEDE, "2026-11-29")
    assert created == "2026-11-29T15:00:00.123456+00:00"  # UTCDateTime's text on SQLite
    assert hlc.startswith(f"{int(NOW.timestamp() * 1000):012x}-")
    assert state == (1, hlc, "2026-11-29T15:00:00.123456+00:00", SEDE)
    with engine.connect() as c:  # and the table reads it back as an aware UTC timestamp
        back = c.execute(outbox.outbox.select()).mappings().one()
    assert back["created_at"] == NOW


def test_a_payload_naming_its_sede_keeps_it_and_seq_follows_the_state(engine) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        outbox.ensure_state(s.connection(), sede_id=SEDE)
        outbox.record_change(s, record_type="day_seal", record_id="d1", payload={"n": 1})
        outbox.record_change(
            s, record_type="day_seal", record_id="d2", payload={"sede_id": "other", "n": 2}
        )
    with unit_of_work(engine) as s:
        outbox.record_change(s, record_type="day_seal", record_id="d3", payload={"n": 3})
    with engine.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT seq, tx_id, sede_id, payload FROM sync_outbox ORDER BY seq"
        ).all()
        last = c.exec_driver_sql("SELECT last_seq FROM sync_state").scalar()
    assert [(r[0], r[2], r[3]) for r in rows] == [
        (1, SEDE, '{"n":1}'),
        (2, "other", '{"n":2,"sede_id":"other"}'),
        (3, SEDE, '{"n":3}'),
    ]
    assert rows[0][1] == rows[1][1] != rows[2][1]  # one tx id per transaction
    assert last == 3


def test_row_image_is_the_plain_definition_for_every_kind_of_value(engine) -> None:  # type: ignore[no-untyped-def]
    cases = [
        _kinds(),
        _kinds(rate=None, blob=None, ratio=None, nick=None, flag=False, extra={}),
        _kinds(amount=5),  # an int in a money column is still soles: 500 céntimos
    ]
    for obj in cases:
        image = row_image(obj)
        assert image == _plain_image(obj)
        assert list(image) == list(_plain_image(obj))  # same keys, same order
        assert [type(v) for v in image.values()] == [type(v) for v in _plain_image(obj).values()]
    assert row_image(cases[2])["amount"] == 500
    assert "nick_name" in row_image(cases[0]) and "nick" not in row_image(cases[0])


def test_row_image_loads_an_expired_attribute(engine) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        thing = _kinds()
        s.add(thing)
    with unit_of_work(engine) as s:
        loaded = s.get(Kinds, thing.id)
        assert loaded is not None
        s.expire(loaded, ["name", "amount"])
        assert "name" not in loaded.__dict__
        image = row_image(loaded)
        assert image["name"] == "Ñandú «a»"
        assert image["amount"] == 1050
