"""edge.fastinsert: a sale's new rows inserted with one driver statement per table are stored
exactly as the ORM stores them, and the ORM keeps tracking them afterwards."""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

import domain.ids
import edge.db
import edge.fastinsert
from domain.clock import FixedClock
from domain.ids import UUIDv7Generator
from domain.permissions import Role
from edge.auth.tokens import Principal
from edge.catalog.service import services_by_id
from edge.db import read_session, unit_of_work
from edge.labsync.demo import load_demo_lab_system
from edge.orders import service as orders_service
from edge.orders.models import Order, OrderStatusEvent
from edge.orders.schemas import OrderCreate
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from edge.settings import EdgeSettings
from tests.edge.factories import SEDE_S01
from tests.edge.orders.helpers import make_patient, seller, sid
from tests.edge.sql_capture import executed

CLOCK = FixedClock(dt.datetime(2026, 11, 30, 15, 30, tzinfo=dt.UTC))
TABLES = (
    "lab_order", "order_item", "order_status_event", "payment", "sample", "invoice",
    "invoice_line", "invoice_file", "lab_job",
)  # fmt: skip


@pytest.fixture(autouse=True)
def keep_id_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`sell` fixes the ids; the process's generator comes back after the test."""
    monkeypatch.setattr(domain.ids, "_default_generator", domain.ids._default_generator)  # type: ignore[attr-defined]


def principal(user: Any) -> Principal:
    return Principal(user.id, user.username, user.full_name, Role.RECEPCIONISTA, [SEDE_S01])


def sell(rt: EdgeRuntime, who: Principal, patient_id: str, *, seed: int = 7) -> str:
    """A paid sale of a panel and a test (samples, boleta, laboratory job) with fixed ids."""
    domain.ids._default_generator = UUIDv7Generator(  # type: ignore[attr-defined]
        ms_source=lambda: 1_796_000_000_000 + seed, rand_source=random.Random(seed).getrandbits
    )
    items = [sid("PAN-LIP"), sid("HEM-001")]
    with read_session(rt.engine) as session:
        cents = sum(s.price_cents for s in services_by_id(session=session, ids=items).values())
    payment = {"method": "tarjeta", "amount": f"{cents / 100:.2f}", "reference": "OP-1"}
    body = OrderCreate.model_validate(
        {"patient_id": patient_id, "items": items, "payments": [payment]}
    )
    with unit_of_work(rt.engine) as session:
        order = orders_service.create_order(
            session, sede_id=SEDE_S01, order_in=body, user=who, clock=CLOCK
        )
        return order.id


def fast_tables(statements: list[str]) -> set[str]:
    """Tables inserted by edge.fastinsert (its statements quote the table name)."""
    return {m.group(1) for s in statements if (m := re.match(r'INSERT INTO "(\w+)"', s))}


# Each node signs with its own test certificate: the signature and certificate differ.
KEYED = re.compile(r"<ds:(SignatureValue|X509Certificate)>[^<]*</ds:\1>")


def unkeyed(row: Any) -> tuple[Any, ...]:
    return tuple(
        KEYED.sub("", v.decode() if isinstance(v, bytes) else v)
        if isinstance(v, bytes | str)
        else v
        for v in row
    )


def rows(rt: EdgeRuntime) -> dict[str, list[tuple[Any, ...]]]:
    with read_session(rt.engine) as session:
        conn = session.connection()
        dump = {
            t: sorted(unkeyed(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t}"))
            for t in TABLES
        }
        dump["sync_outbox"] = sorted(
            unkeyed(r)
            for r in conn.exec_driver_sql(
                "SELECT record_type, record_id, op, payload FROM sync_outbox"
            )
        )
    return dump


def test_a_sale_stores_the_same_rows_with_and_without_the_fast_path(
    edge_client: TestClient,  # the app registers the sale's hooks (samples, boleta, lab job)
    edge_runtime: EdgeRuntime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with unit_of_work(edge_runtime.engine) as session:
        load_demo_lab_system(session, sede_ids=[SEDE_S01], clock=CLOCK)
    user, _ = seller(edge_runtime)
    who = principal(user)
    patient = make_patient(edge_runtime)
    sell(edge_runtime, who, patient.id, seed=1)  # the day's counters exist, as in steady state
    with edge_runtime.engine.connect() as conn:  # the copy must hold what the WAL holds
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    data = tmp_path / "orm"
    data.mkdir()
    shutil.copy(edge_runtime.settings.db_path, data / "edge.sqlite3")
    orm = EdgeRuntime.open(EdgeSettings(data_dir=data, jwt_secret=edge_runtime.settings.jwt_secret))
    try:
        with executed(edge_runtime.engine) as fast_sql:
            fast_id = sell(edge_runtime, who, patient.id)
        monkeypatch.setattr(edge.db, "insert_new", lambda session: None)
        with executed(orm.engine) as orm_sql:
            orm_id = sell(orm, who, patient.id)
        fast, slow = rows(edge_runtime), rows(orm)
    finally:
        orm.engine.dispose()
    assert fast_id == orm_id
    for table in (*TABLES, "sync_outbox"):
        assert fast[table], table
        assert fast[table] == slow[table], table
    assert len(fast["order_item"]) > 2  # the panel's tests, inserted after the panel's item
    assert len(fast["invoice"]) == len(fast["lab_job"]) == 2  # the warm-up sale and this one
    assert set(TABLES) <= fast_tables(fast_sql)
    assert fast_tables(orm_sql) == set()


def test_inserted_rows_are_tracked_and_a_foreign_row_sends_all_to_the_orm(
    edge_runtime: EdgeRuntime,
) -> None:
    user, _ = seller(edge_runtime)
    patient = make_patient(edge_runtime)
    now = CLOCK.now()
    with unit_of_work(edge_runtime.engine) as session, executed(edge_runtime.engine) as seen:
        event_row = OrderStatusEvent(
            order_id="missing", sede_id=SEDE_S01, from_status=None, to_status="registrada",
            user_id=user.id, business_date=now.date(), created_at=now,
        )  # fmt: skip
        session.add(event_row)
        session.add(Patient(doc_type="1", doc_number="47000001", first_names="ANA",
                            last_names="QUISPE", home_sede_id=SEDE_S01, created_at=now,
                            updated_at=now))  # fmt: skip
        with pytest.raises(IntegrityError):  # the ORM inserted both: its FK check failed
            session.flush()
        session.rollback()
    assert fast_tables(seen) == set()
    sold = sell(edge_runtime, principal(user), patient.id)
    with unit_of_work(edge_runtime.engine) as session, executed(edge_runtime.engine) as seen:
        order = session.get(Order, sold)
        assert order is not None
        note = OrderStatusEvent(
            order_id=sold, sede_id=SEDE_S01, from_status="registrada", to_status="registrada",
            reason="primera", user_id=user.id, business_date=now.date(), created_at=now,
        )  # fmt: skip
        session.add(note)
        session.flush()
        assert note in session and not session.new  # persistent, tracked by the ORM
        note.reason = "corregida"  # a later change flushes as an UPDATE
    assert fast_tables(seen) == {"order_status_event"}
    with read_session(edge_runtime.engine) as session:
        stored = session.get(OrderStatusEvent, note.id)
        assert stored is not None and stored.reason == "corregida"


@pytest.mark.parametrize("registered", [True, False], ids=["as-the-flush", "public-api"])
def test_a_rolled_back_fast_insert_leaves_nothing_and_a_kept_one_is_tracked(
    edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch, registered: bool
) -> None:
    """A row inserted here is forgotten by a rollback as the ORM forgets its own (transient
    again, out of the session and of the database); with SQLAlchemy's flush ending missing
    (the public path), a kept row is tracked all the same."""
    if not registered:
        monkeypatch.setattr(edge.fastinsert, "_REGISTER", "_no_such_method")
    user, _ = seller(edge_runtime)
    sold = sell(edge_runtime, principal(user), make_patient(edge_runtime).id)
    now = CLOCK.now()

    def note(reason: str) -> OrderStatusEvent:
        return OrderStatusEvent(
            order_id=sold, sede_id=SEDE_S01, from_status="registrada", to_status="registrada",
            reason=reason, user_id=user.id, business_date=now.date(), created_at=now,
        )  # fmt: skip

    with pytest.raises(RuntimeError, match="cajero se arrepiente"):
        with unit_of_work(edge_runtime.engine) as session, executed(edge_runtime.engine) as seen:
            dropped = note("descartada")
            session.add(dropped)
            session.flush()
            assert dropped in session and not session.new
            raise RuntimeError("cajero se arrepiente")
    assert fast_tables(seen) == {"order_status_event"}
    assert dropped not in session and inspect(dropped).transient == registered
    with unit_of_work(edge_runtime.engine) as session:
        kept = note("guardada")
        session.add(kept)
        session.flush()
        assert inspect(kept).persistent
        kept.reason = "corregida"
    with read_session(edge_runtime.engine) as session:
        reasons = {
            e.reason
            for e in session.exec(select(OrderStatusEvent).where(OrderStatusEvent.order_id == sold))
        }
    assert "descartada" not in reasons and "corregida" in reasons
