"""Hub housekeeping with a FixedClock: the hub's audit and its copy of the sedes' audit and access
log past ``retention_audit_days``, expired sign-ins, reset tokens and idle throttle rows go; rows
just inside their window, and the sedes' sales, stay."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from central import housekeeping
from central.audit.models import HubAuditEvent
from central.auth.models import LoginThrottle, PasswordResetToken, RefreshToken
from central.config.models import Setting
from central.db import unit_of_work
from central.notifications.adapters import Channels
from central.runtime import HubRuntime
from central.sync.models import SyncRecord
from central.worker import jobs_for
from domain.clock import FixedClock, business_date
from domain.ids import new_id, sede_id_for

T0 = dt.datetime(2031, 6, 15, 15, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
MIN = dt.timedelta(minutes=1)
S01 = sede_id_for("S01")


def scalar(rt: HubRuntime, sql: str, **params: object) -> object:
    with rt.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def record(rtype: str, rid: str, day: dt.date) -> SyncRecord:
    return SyncRecord(
        record_type=rtype, id=rid, sede_id=S01, business_date=day.isoformat(), hlc="h", op="upsert",
        payload={"id": rid}, node_id="n", epoch=1, seq=1, tx_id="t", received_at=T0,
    )  # fmt: skip


def test_the_worker_runs_it_daily(hub_runtime: HubRuntime) -> None:
    specs = {j.name: j.seconds for j in jobs_for(hub_runtime, Channels())}
    assert specs["housekeeping"] == 86400


def test_audit_retention_default_and_setting(hub_runtime: HubRuntime) -> None:
    rt = hub_runtime
    clock = FixedClock(T0)
    with unit_of_work(rt.engine) as s:
        for label, age in (("out", 1825 * DAY + MIN), ("in", 1825 * DAY - MIN)):
            s.add(HubAuditEvent(action=label, created_at=T0 - age))
        cutoff_day = business_date(T0 - 1825 * DAY)
        s.add(record("audit_event", "a-out", cutoff_day - DAY))
        s.add(record("audit_event", "a-in", cutoff_day))
        s.add(record("access_log", "l-out", cutoff_day - DAY))
        s.add(record("order", "o-old", cutoff_day - 400 * DAY))  # a sale: never pruned
    report = housekeeping.run(rt.engine, clock=clock)
    assert report.audit_days == 1825
    assert scalar(rt, "SELECT count(*) FROM hub_audit_event WHERE action = 'out'") == 0
    assert scalar(rt, "SELECT count(*) FROM hub_audit_event WHERE action = 'in'") == 1
    ids = {r for (r,) in _rows(rt, "SELECT id FROM sync_record")}
    assert ids == {"a-in", "o-old"}
    assert report.deleted["sync_record (audit_event)"] == 1
    assert report.deleted["sync_record (access_log)"] == 1

    with unit_of_work(rt.engine) as s:  # an admin shortens it on Parámetros
        s.add(Setting(key="retention_audit_days", value=400, updated_at=T0))
    housekeeping.run(rt.engine, clock=clock)
    assert scalar(rt, "SELECT count(*) FROM hub_audit_event WHERE action = 'in'") == 0
    assert {r for (r,) in _rows(rt, "SELECT id FROM sync_record")} == {"o-old"}


def _rows(rt: HubRuntime, sql: str) -> list[tuple[object, ...]]:
    with rt.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


def test_expired_sign_ins_reset_tokens_and_idle_throttles(hub_runtime: HubRuntime) -> None:
    rt = hub_runtime
    clock = FixedClock(T0)

    def token(family: str, expires: dt.datetime) -> RefreshToken:
        return RefreshToken(
            user_id="u", token_hash=new_id(), family_id=family, issued_at=expires - 7 * DAY,
            expires_at=expires,
        )  # fmt: skip

    with unit_of_work(rt.engine) as s:
        s.add_all(
            [
                token("dead", T0 - DAY - MIN),
                token("dead", T0 - 3 * DAY),
                token("alive", T0 - 5 * DAY),  # rotated long ago, its chain still alive
                token("alive", T0 + 5 * DAY),
                token("recent", T0 - DAY + MIN),
            ]
        )
        for name, expires, used in (
            ("r-old", T0 - DAY - MIN, None),
            ("r-used", T0 + DAY, T0 - 2 * DAY),
            ("r-new", T0 - DAY + MIN, None),
        ):
            s.add(
                PasswordResetToken(
                    user_id=name, token_hash=new_id(), created_at=expires - DAY,
                    expires_at=expires, used_at=used,
                )
            )  # fmt: skip
        for name, updated, locked in (
            ("idle", T0 - DAY - MIN, None),
            ("fresh", T0 - DAY + MIN, None),
            ("locked", T0 - 2 * DAY, T0 + MIN),
        ):
            s.add(
                LoginThrottle(
                    username=name, ip="10.0.0.1", failures=[], updated_at=updated,
                    locked_until=locked,
                )
            )  # fmt: skip
    report = housekeeping.run(rt.engine, clock=clock)
    families = {f for (f,) in _rows(rt, "SELECT family_id FROM refresh_token")}
    assert families == {"alive", "recent"}
    assert scalar(rt, "SELECT count(*) FROM refresh_token WHERE family_id = 'alive'") == 2
    assert {u for (u,) in _rows(rt, "SELECT user_id FROM password_reset_token")} == {"r-new"}
    assert {u for (u,) in _rows(rt, "SELECT username FROM login_throttle")} == {"fresh", "locked"}
    assert report.deleted["refresh_token"] == 2
    assert report.deleted["password_reset_token"] == 2
    assert report.deleted["login_throttle"] == 1


def test_deletes_in_batches(hub_runtime: HubRuntime) -> None:
    rt = hub_runtime
    with unit_of_work(rt.engine) as s:
        for i in range(7):
            s.add(HubAuditEvent(action=f"old{i}", created_at=T0 - 2000 * DAY))
    report = housekeeping.run(rt.engine, clock=FixedClock(T0), batch_rows=3)
    assert report.deleted["hub_audit_event"] == 7
    assert scalar(rt, "SELECT count(*) FROM hub_audit_event") == 0
    assert report.batches >= 3 + 5  # 3, 3, 1 for the audit; one per other rule
