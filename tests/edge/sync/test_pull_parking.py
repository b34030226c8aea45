"""Pull-side poison records: one record of a page that cannot be applied is parked (with its
error, logged at WARNING), the rest of the page applies and the cursor moves on; parked records
are retried at every pull, a later version supersedes them, and the status shows them."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

from central.runtime import HubRuntime
from domain.clock import SystemClock
from domain.errors import InvalidInput, Unavailable
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from edge.sync import apply, page_writer, parking, service
from edge.sync.enroll import enroll, load_credentials
from sync import changefeed
from sync.client import SyncClient
from sync.protocol import FeedChange
from tests.edge.factories import auth_headers
from tests.sync.poison_helpers import change, publish_raw, setting
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code, node_client

CLOCK = SystemClock()


def _rows(rt: EdgeRuntime, sql: str) -> list[tuple[object, ...]]:
    with rt.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _keys(rt: EdgeRuntime) -> set[str]:
    return {str(r[0]) for r in _rows(rt, "SELECT key FROM setting WHERE key LIKE 'p_%'")}


def _apply(rt: EdgeRuntime, changes: list[FeedChange]) -> int:
    with unit_of_work(rt.engine) as session:
        return apply.apply_changes(session.connection(), changes, now=CLOCK.now())


# ---------------------------------------------------------------------------- one page
def test_a_bad_record_is_parked_and_the_rest_of_the_page_applies(
    edge_runtime: EdgeRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    bad = setting("p_bad", "x", when="no-es-fecha")
    page = [
        change(1, "setting", setting("p_one", "1")),
        change(2, "setting", bad),
        change(3, "setting", setting("p_three", "3")),
    ]
    with caplog.at_level(logging.WARNING, logger="labred.edge.sync"):
        assert _apply(edge_runtime, page) == 2
    assert _keys(edge_runtime) == {"p_one", "p_three"}
    parked = _rows(
        edge_runtime,
        "SELECT record_type, record_id, cursor, error_code, attempts FROM sync_pull_parked",
    )
    assert parked == [("setting", bad["id"], 2, "ValueError", 1)]
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and bad["id"] in warned[0].getMessage()
    assert "no-es-fecha" in warned[0].getMessage()


def test_constraint_violation_and_unknown_schema_are_parked_too(edge_runtime: EdgeRuntime) -> None:
    no_key = {**setting("p_x", "x"), "key": None}  # NOT NULL refused by SQLite
    newer = setting("p_newer", "n")
    page = [
        change(1, "setting", no_key),
        change(2, "setting", newer, schema=99),
        change(3, "setting", setting("p_ok", "ok")),
    ]
    assert _apply(edge_runtime, page) == 1
    assert _keys(edge_runtime) == {"p_ok"}
    codes = {
        r[0]: r[1]
        for r in _rows(edge_runtime, "SELECT record_id, error_code FROM sync_pull_parked")
    }
    assert codes == {no_key["id"]: "IntegrityError", newer["id"]: "schema_too_new"}


def test_a_later_version_supersedes_the_parked_one(edge_runtime: EdgeRuntime) -> None:
    rid = "0p000000-0000-7000-8000-000000000001"
    _apply(edge_runtime, [change(1, "setting", setting("p_fix", "a", record_id=rid, when="mal"))])
    assert _rows(edge_runtime, "SELECT count(*) FROM sync_pull_parked") == [(1,)]
    # the same record fails again at a later cursor: still one parked row, attempts counted
    _apply(edge_runtime, [change(4, "setting", setting("p_fix", "b", record_id=rid, when="x"))])
    assert _rows(edge_runtime, "SELECT cursor, attempts FROM sync_pull_parked") == [(4, 2)]
    # a good version applies and removes it
    assert _apply(edge_runtime, [change(7, "setting", setting("p_fix", "c", record_id=rid))]) == 1
    assert _rows(edge_runtime, "SELECT count(*) FROM sync_pull_parked") == [(0,)]
    assert _rows(edge_runtime, "SELECT value FROM setting WHERE key = 'p_fix'") == [('"c"',)]


def test_parked_records_are_retried_and_apply_once_the_node_can(
    edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    newer = setting("p_v2", "v2")
    _apply(edge_runtime, [change(1, "setting", newer, schema=2)])
    with unit_of_work(edge_runtime.engine) as session:  # still too new: stays, attempts grow
        assert apply.retry_parked(session.connection(), now=CLOCK.now()) == (0, 1)
    assert _rows(edge_runtime, "SELECT attempts FROM sync_pull_parked") == [(2,)]
    monkeypatch.setattr(page_writer, "SCHEMA_VERSION", 2)  # this node is upgraded
    with unit_of_work(edge_runtime.engine) as session:
        assert apply.retry_parked(session.connection(), now=CLOCK.now()) == (1, 0)
    assert _keys(edge_runtime) == {"p_v2"}
    assert _rows(edge_runtime, "SELECT count(*) FROM sync_pull_parked") == [(0,)]


def test_a_snapshot_parks_its_bad_rows_and_drops_parked_records_the_hub_no_longer_has(
    edge_runtime: EdgeRuntime,
) -> None:
    gone = setting("p_gone", "g", when="mal")
    _apply(edge_runtime, [change(1, "setting", gone)])
    bad = setting("p_snap_bad", "b", when="mal")
    snapshot = [change(5, "setting", setting("p_snap", "s")), change(6, "setting", bad)]
    with unit_of_work(edge_runtime.engine) as session:
        apply.apply_reset(session.connection(), snapshot, now=CLOCK.now())
    assert _keys(edge_runtime) == {"p_snap"}
    assert _rows(edge_runtime, "SELECT record_id FROM sync_pull_parked") == [(bad["id"],)]


def test_a_database_failure_is_not_poison_and_fails_the_page_whole(
    edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_a: object, **_k: object) -> bool:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(page_writer.PageWriter, "apply", locked)
    with pytest.raises(OperationalError), unit_of_work(edge_runtime.engine) as session:
        apply.apply_changes(
            session.connection(), [change(1, "setting", setting("p_a", "a"))], now=CLOCK.now()
        )
    assert _rows(edge_runtime, "SELECT count(*) FROM sync_pull_parked") == [(0,)]


def test_is_poison_tells_content_from_database_failures() -> None:
    integrity = IntegrityError("INSERT", {}, Exception("NOT NULL constraint failed"))
    assert parking.is_poison(integrity)
    assert parking.is_poison(ValueError("bad date"))
    assert parking.is_poison(InvalidInput("x", code="bad"))
    assert parking.is_poison(StatementError("bind", "INSERT", {}, ValueError("naive")))
    assert not parking.is_poison(OperationalError("INSERT", {}, Exception("disk I/O error")))
    assert not parking.is_poison(RuntimeError("bug"))
    assert not parking.is_poison(Unavailable("caída", code="hub_unavailable"))  # not from apply
    assert parking.describe(integrity) == ("Exception", "NOT NULL constraint failed")


# ---------------------------------------------------------------------------- through the hub
def _enrolled(hub_client: TestClient, hub_rt: HubRuntime, edge_rt: EdgeRuntime) -> SyncClient:
    admin_override(hub_client)
    sede = make_hub_sede(hub_rt, "S01")
    enroll(
        edge_rt.engine,
        edge_rt.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    return node_client(hub_client, load_credentials(edge_rt.settings.data_dir))


def test_pull_moves_past_a_poison_row_and_the_status_shows_it(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    edge_client: TestClient,
) -> None:
    client = _enrolled(hub_client, hub_runtime, edge_runtime)
    engine = hub_runtime.engine
    publish_raw(engine, "setting", setting("p_before", "1"))
    bad = setting("p_poison", "x", when="31/02/2026")
    publish_raw(engine, "setting", bad)
    publish_raw(engine, "setting", setting("p_after", "2"))
    service.pull_changes(edge_runtime.engine, client, CLOCK, page_limit=2)
    publish_raw(engine, "setting", setting("p_later", "3"))  # the pull is not stuck
    service.pull_changes(edge_runtime.engine, client, CLOCK, page_limit=2)
    with engine.connect() as conn:
        head = changefeed.head(conn)
    assert _keys(edge_runtime) == {"p_before", "p_after", "p_later"}
    body = edge_client.get("/api/sync/status", headers=auth_headers(edge_runtime, "admin")).json()
    assert body["pull_cursor"] == head and body["consecutive_failures"] == 0
    assert body["parked"] == 1 and body["blocked"] is None
    recent = body["parked_recent"][0]
    assert recent["record_id"] == bad["id"] and recent["attempts"] >= 2  # retried every pull
    assert "31/02/2026" in recent["error"]
    assert "1 registro de la central sin aplicar en este nodo" in body["warnings"]
    assert body["digest_repairs"] == 0  # the parked row explains the digest: no re-snapshot loop
    metrics = edge_client.get("/api/sync/metrics", headers=auth_headers(edge_runtime, "admin"))
    assert "labred_edge_sync_parked 1.0" in metrics.text
    # the hub publishes a corrected version: applied at the next pull, nothing left parked
    publish_raw(engine, "setting", {**bad, "updated_at": CLOCK.now().isoformat()})
    service.pull_changes(edge_runtime.engine, client, CLOCK)
    assert _keys(edge_runtime) == {"p_before", "p_poison", "p_after", "p_later"}
    body = edge_client.get("/api/sync/status", headers=auth_headers(edge_runtime, "admin")).json()
    assert body["parked"] == 0 and body["parked_recent"] == [] and body["warnings"] == []
