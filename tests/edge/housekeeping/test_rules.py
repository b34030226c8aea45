"""Edge housekeeping rules with a FixedClock: each row just inside its window is kept, just
outside is deleted; the outbox keeps unacknowledged and recent rows; clinical, fiscal and money
records are never touched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert, select, text, update

from domain.clock import FixedClock, SystemClock
from domain.ids import new_id
from edge import housekeeping
from edge.audit import service as audit_service
from edge.auth.models import LoginThrottle, RefreshToken
from edge.config.models import Setting
from edge.db import unit_of_work
from edge.orders.models import OrderRequestKey
from edge.runtime import EdgeRuntime
from edge.worker import registered_jobs
from sync import outbox
from tests.edge.factories import SEDE_S01
from tests.sync.replication_helpers import add_patient, add_sale

T0 = dt.datetime(2027, 6, 15, 15, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
MIN = dt.timedelta(minutes=1)


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    fixed = FixedClock(T0)
    outbox.set_clock(fixed)  # outbox rows take their created_at from this clock
    yield fixed
    outbox.set_clock(SystemClock())


def count(engine: Engine, table: str, where: str = "1 = 1") -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one())


def set_setting(engine: Engine, key: str, value: object) -> None:
    table = Setting.__table__  # type: ignore[attr-defined]
    with unit_of_work(engine) as session:
        session.connection().execute(
            insert(table).values(id=new_id(), key=key, value=value, updated_at=T0)
        )


def outbox_seqs(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(select(outbox.outbox.c.seq).order_by(outbox.outbox.c.seq)).scalars()
        )


def ack(engine: Engine, seq: int) -> None:
    with unit_of_work(engine) as session:
        session.connection().execute(
            update(outbox.sync_state).where(outbox.sync_state.c.id == 1).values(acked_seq=seq)
        )


def last_seq(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(outbox.ensure_state(conn)["last_seq"])


def test_the_worker_runs_it_daily() -> None:
    assert registered_jobs()["housekeeping"].seconds == 86400


def test_audit_and_access_log_keep_365_days_by_default_without_outbox_rows(
    edge_runtime: EdgeRuntime, clock: FixedClock
) -> None:
    engine = edge_runtime.engine
    with unit_of_work(engine) as session:
        for label, age in (("old", 365 * DAY + MIN), ("kept", 365 * DAY - MIN)):
            clock.set(T0 - age)
            audit_service.record(session, action=label, clock=clock, sede_id=SEDE_S01)
            audit_service.log_access(
                session, action="view", clock=clock, sede_id=SEDE_S01, user_id=label
            )
    before = last_seq(engine)
    clock.set(T0)
    report = housekeeping.run(engine, clock=clock)
    assert report.deleted["audit_event"] == 1 and report.deleted["access_log"] == 1
    assert count(engine, "audit_event", "action = 'old'") == 0
    assert count(engine, "audit_event", "action = 'kept'") == 1
    assert count(engine, "access_log", "user_id = 'old'") == 0
    assert count(engine, "access_log", "user_id = 'kept'") == 1
    assert last_seq(engine) == before  # local housekeeping: nothing replicated


def test_audit_retention_follows_the_hubs_setting(
    edge_runtime: EdgeRuntime, clock: FixedClock
) -> None:
    engine = edge_runtime.engine
    set_setting(engine, "retention_audit_days", 730)
    with unit_of_work(engine) as session:
        for label, age in (("a400", 400 * DAY), ("a731", 731 * DAY), ("a729", 729 * DAY)):
            clock.set(T0 - age)
            audit_service.record(session, action=label, clock=clock, sede_id=SEDE_S01)
    clock.set(T0)
    report = housekeeping.run(engine, clock=clock)
    assert report.windows is not None and report.windows.audit_days == 730
    assert count(engine, "audit_event", "action IN ('a400', 'a729')") == 2
    assert count(engine, "audit_event", "action = 'a731'") == 0


def _outbox_rows(engine: Engine, clock: FixedClock, ages: list[dt.timedelta]) -> list[int]:
    seqs = []
    for age in ages:
        clock.set(T0 - age)
        with unit_of_work(engine) as session:
            outbox.record_change(
                session, record_type="audit_event", record_id=new_id(), payload={"id": "x"}
            )
        seqs.append(last_seq(engine))
    clock.set(T0)
    return seqs


def test_outbox_prunes_only_acked_rows_older_than_the_backup_window(
    edge_runtime: EdgeRuntime, clock: FixedClock
) -> None:
    engine = edge_runtime.engine
    set_setting(engine, "retention_backup_days", 10)  # window: 10 + 2 days
    old, edge_row, recent, old_unacked = _outbox_rows(
        engine, clock, [40 * DAY, 12 * DAY + MIN, 12 * DAY - MIN, 13 * DAY]
    )
    ack(engine, recent)  # the last row (old but not acknowledged) stays whatever its age
    report = housekeeping.run(engine, clock=clock, batch_rows=2)
    left = outbox_seqs(engine)
    assert old not in left and edge_row not in left
    assert recent in left and old_unacked in left
    assert report.windows is not None and report.windows.outbox_days == 12
    with engine.connect() as conn:
        state = outbox.ensure_state(conn)
    assert state["pruned_seq"] == edge_row
    # Every row below the horizon went, in batches of 2 (the template's own rows included).
    assert min(left) == recent and report.deleted["sync_outbox"] == edge_row
    assert report.batches > 3


def test_outbox_window_is_32_days_without_the_setting(
    edge_runtime: EdgeRuntime, clock: FixedClock
) -> None:
    engine = edge_runtime.engine
    out, kept = _outbox_rows(engine, clock, [32 * DAY + MIN, 32 * DAY - MIN])
    ack(engine, kept)
    housekeeping.run(engine, clock=clock)
    left = outbox_seqs(engine)
    assert out not in left and kept in left


def test_a_hub_asking_for_pruned_rows_is_refused_loudly(
    edge_runtime: EdgeRuntime, clock: FixedClock
) -> None:
    engine = edge_runtime.engine
    seqs = _outbox_rows(engine, clock, [60 * DAY, 50 * DAY, 1 * DAY])
    ack(engine, seqs[-1])
    housekeeping.run(engine, clock=clock)
    assert outbox_seqs(engine) == [seqs[-1]]
    with engine.connect() as conn:
        # The hub's mark is the newest pruned row: the next row is there, nothing is missing.
        assert [r["seq"] for r in outbox.pending(conn, after_seq=seqs[1], limit=10)] == [seqs[2]]
        assert outbox.pending(conn, after_seq=seqs[2], limit=10) == []
        # A hub restored from an older dump asks for rows this node no longer has.
        with pytest.raises(outbox.OutboxPruned) as caught:
            outbox.pending(conn, after_seq=seqs[0], limit=10)
    err = caught.value
    assert err.code == "outbox_pruned"
    assert f"desde la secuencia {seqs[0] + 1}" in err.msg and f"hasta la {seqs[1]}" in err.msg


def test_expired_sign_ins_idle_throttles_and_old_idempotency_keys(
    edge_runtime: EdgeRuntime, clock: FixedClock
) -> None:
    engine = edge_runtime.engine
    tokens = RefreshToken.__table__  # type: ignore[attr-defined]
    throttle = LoginThrottle.__table__  # type: ignore[attr-defined]
    keys = OrderRequestKey.__table__  # type: ignore[attr-defined]
    clock.set(T0 - 30 * DAY)
    pid = add_patient(engine, clock, sede_id=SEDE_S01, doc="41000001")
    oid, _ = add_sale(
        engine, clock, sede_id=SEDE_S01, patient_id=pid, number="S01-20270515-0001",
        amount=Decimal("10.00"),
    )  # fmt: skip
    clock.set(T0)

    def token(family: str | None, expires: dt.datetime) -> str:
        tid = new_id()
        conn.execute(
            insert(tokens).values(
                id=tid, user_id="u", token_hash=new_id(), issued_at=expires - 7 * DAY,
                expires_at=expires, family_id=family,
            )
        )  # fmt: skip
        return tid

    with unit_of_work(engine) as session:
        conn = session.connection()
        dead_first = token(None, T0 - DAY - MIN)  # a sign-in's first token: family = its id
        dead_next = token(dead_first, T0 - DAY - MIN)
        live_first = token(None, T0 - 5 * DAY)  # rotated long ago, its chain still alive
        live_next = token(live_first, T0 + 5 * DAY)
        recent = token(None, T0 - DAY + MIN)  # expired less than a day ago
        for name, updated, locked in (
            ("idle", T0 - DAY - MIN, None),
            ("fresh", T0 - DAY + MIN, None),
            ("locked", T0 - 2 * DAY, T0 + MIN),
        ):
            conn.execute(
                insert(throttle).values(
                    username=name, ip="10.0.0.1", failures=[], updated_at=updated,
                    locked_until=locked,
                )
            )  # fmt: skip
        for name, age in (("k-old", 7 * DAY + MIN), ("k-new", 7 * DAY - MIN)):
            conn.execute(
                insert(keys).values(
                    user_id="u", key=name, fingerprint="f", order_id=oid, created_at=T0 - age
                )
            )
    report = housekeeping.run(engine, clock=clock)
    with engine.connect() as conn:
        ids = set(conn.execute(select(tokens.c.id)).scalars())
        names = set(conn.execute(select(throttle.c.username)).scalars())
        kept_keys = set(conn.execute(select(keys.c.key)).scalars())
    assert dead_first not in ids and dead_next not in ids
    assert {live_first, live_next, recent} <= ids
    assert names == {"fresh", "locked"}
    assert kept_keys == {"k-new"}
    assert report.deleted["refresh_token"] == 2
    assert report.deleted["login_throttle"] == 1
    assert report.deleted["order_request_key"] == 1


def test_clinical_fiscal_and_money_records_are_never_pruned(
    edge_runtime: EdgeRuntime, clock: FixedClock
) -> None:
    engine = edge_runtime.engine
    clock.set(T0 - 3000 * DAY)
    pid = add_patient(engine, clock, sede_id=SEDE_S01, doc="41000002")
    add_sale(
        engine, clock, sede_id=SEDE_S01, patient_id=pid, number="S01-20190101-0001",
        amount=Decimal("25.00"),
    )  # fmt: skip
    ack(engine, last_seq(engine))
    tables = [
        t
        for t in ("patient", "lab_order", "payment", "invoice", "sample", "cash_session")
        if count(engine, "sqlite_master", f"name = '{t}'")
    ]
    before = {t: count(engine, t) for t in tables}
    clock.set(T0)
    report = housekeeping.run(engine, clock=clock)
    assert report.deleted["sync_outbox"] > 0  # the sale's acked outbox rows did go
    assert {t: count(engine, t) for t in tables} == before
    assert before["lab_order"] == 1 and before["payment"] == 1
    assert set(report.deleted) == {
        "audit_event", "access_log", "sync_outbox", "refresh_token", "login_throttle",
        "order_request_key",
    }  # fmt: skip
