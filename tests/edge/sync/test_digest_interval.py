"""The mirror digests are compared with the hub's only every ``sync_digest_interval_s``: a pull
within the interval neither asks the hub for them nor hashes the mirrors; after the interval, a
reset, or a worker restart past it, it does; the status and metrics show the last comparison."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from central.config.models import Setting
from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from domain.clock import FixedClock
from edge.runtime import EdgeRuntime
from edge.settings import load_edge_settings
from edge.sync import digests as digests_mod
from edge.sync import service, worker
from edge.sync.enroll import enroll, load_credentials
from sync.client import SyncClient
from sync.config import ConfigError
from tests.edge.factories import make_user, token_for
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code, node_client

T0 = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
INTERVAL = 600.0


class Probe:
    """What the hub was asked (the ``digests`` query parameter of each pull, from the real
    HTTP request) and how often the mirrors were hashed."""

    def __init__(self) -> None:
        self.pulls: list[str] = []
        self.hashed = 0

    def request(self, request: httpx.Request) -> None:
        if request.url.path == "/api/sync/pull":
            self.pulls.append(request.url.params["digests"])

    def take(self) -> tuple[list[str], int]:
        out = (self.pulls, self.hashed)
        self.pulls, self.hashed = [], 0
        return out


@pytest.fixture
def probe(hub_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[Probe]:
    p = Probe()
    real = digests_mod.local_digests

    def counted(conn: Any) -> dict[str, str]:
        p.hashed += 1
        return real(conn)

    monkeypatch.setattr(service, "local_digests", counted)
    hooks = hub_client.event_hooks
    hub_client.event_hooks = {"request": [p.request], "response": []}
    yield p
    hub_client.event_hooks = hooks


def _enrolled(
    hub_client: TestClient, hub_rt: HubRuntime, edge_rt: EdgeRuntime, clock: FixedClock
) -> SyncClient:
    admin_override(hub_client)
    sede = make_hub_sede(hub_rt, "S01")
    with hub_uow(hub_rt.engine) as s:
        s.add(Setting(key="qa_digest", value="hub", updated_at=T0))
    enroll(
        edge_rt.engine,
        edge_rt.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=clock,
        client=node_client(hub_client),
    )
    return node_client(hub_client, load_credentials(edge_rt.settings.data_dir))


def _tamper(rt: EdgeRuntime) -> None:
    """Someone edits the mirror by hand: a drift only the digests can see."""
    with rt.engine.begin() as conn:
        conn.execute(
            text("UPDATE setting SET value = :v WHERE key = 'qa_digest'"),
            {"v": json.dumps("tampered")},
        )


def _value(rt: EdgeRuntime) -> str:
    with rt.engine.connect() as conn:
        raw = conn.execute(text("SELECT value FROM setting WHERE key = 'qa_digest'")).scalar_one()
    return str(json.loads(raw))


def _admin(rt: EdgeRuntime) -> dict[str, str]:
    """Headers of an admin made on this node only (``local_only``, like the bootstrap admin: a
    user made in the mirror would be a drift of its own)."""
    user = make_user(rt, "admin")
    with rt.engine.begin() as conn:
        conn.execute(text("UPDATE user_account SET local_only = 1 WHERE id = :i"), {"i": user.id})
    return {"Authorization": f"Bearer {token_for(rt, user)}"}


def test_digests_due_rule() -> None:
    assert digests_mod.due(None, T0, INTERVAL)  # never compared
    assert digests_mod.due(T0, T0, 0)  # 0: at every pull
    assert not digests_mod.due(T0, T0 + dt.timedelta(seconds=599), INTERVAL)
    assert digests_mod.due(T0, T0 + dt.timedelta(seconds=600), INTERVAL)
    assert digests_mod.due(T0, T0 - dt.timedelta(seconds=1), INTERVAL)  # clock went back


def test_a_pull_within_the_interval_skips_the_digests_and_one_after_repairs_drift(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    edge_client: TestClient,
    probe: Probe,
) -> None:
    clock = FixedClock(T0)
    edge_runtime.clock = clock  # the API's status and metrics on the same clock
    client = _enrolled(hub_client, hub_runtime, edge_runtime, clock)
    pulls, hashed = probe.take()
    assert pulls and hashed == 1  # the enrolment's reset was compared
    _tamper(edge_runtime)

    clock.advance(dt.timedelta(seconds=INTERVAL - 1))
    service.pull_changes(edge_runtime.engine, client, clock, digest_interval_s=INTERVAL)
    assert probe.take() == (["false"], 0)
    assert _value(edge_runtime) == "tampered"  # not seen yet: the safety net waits

    clock.advance(dt.timedelta(seconds=1))
    service.pull_changes(edge_runtime.engine, client, clock, digest_interval_s=INTERVAL)
    assert probe.take() == (["true"], 1)
    assert _value(edge_runtime) == "hub"
    body = edge_client.get("/api/sync/status", headers=_admin(edge_runtime)).json()
    assert body["last_digest_result"] == "repaired"
    assert body["last_digest_repaired"] == ["setting"]
    assert dt.datetime.fromisoformat(body["last_digest_at"]) == clock.now()
    assert body["digest_repairs"] == 1

    clock.advance(dt.timedelta(seconds=5))  # the next pull: within the interval again
    service.pull_changes(edge_runtime.engine, client, clock, digest_interval_s=INTERVAL)
    assert probe.take() == (["false"], 0)

    clock.advance(dt.timedelta(seconds=INTERVAL))
    service.pull_changes(edge_runtime.engine, client, clock, digest_interval_s=INTERVAL)
    assert probe.take() == (["true"], 1)
    body = edge_client.get("/api/sync/status", headers=_admin(edge_runtime)).json()
    assert (body["last_digest_result"], body["last_digest_repaired"]) == ("ok", [])
    assert body["digest_repairs"] == 1
    metrics = edge_client.get("/api/sync/metrics", headers=_admin(edge_runtime)).text
    assert "labred_edge_sync_last_digest_age_seconds 0.0" in metrics
    assert "labred_edge_sync_last_digest_repaired_tables 0.0" in metrics


def test_a_reset_is_always_compared(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime, probe: Probe
) -> None:
    clock = FixedClock(T0)
    client = _enrolled(hub_client, hub_runtime, edge_runtime, clock)
    probe.take()
    clock.advance(dt.timedelta(seconds=10))
    with edge_runtime.engine.begin() as conn:  # a cursor the hub answers with a full snapshot
        conn.execute(text("UPDATE sync_state SET pull_cursor = 0"))
    _tamper(edge_runtime)
    service.pull_changes(edge_runtime.engine, client, clock, digest_interval_s=INTERVAL)
    pulls, hashed = probe.take()
    assert pulls == ["false"] and hashed == 1  # not asked for, but a reset carries them
    status = service.status(edge_runtime.engine, clock)
    assert status["last_digest_at"] == clock.now() and status["last_digest_result"] == "ok"
    assert _value(edge_runtime) == "hub"  # the snapshot itself replaced the row


def test_the_worker_reads_the_interval_and_a_restart_keeps_the_last_time(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    probe: Probe,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FixedClock(T0)
    _enrolled(hub_client, hub_runtime, edge_runtime, clock)
    probe.take()
    monkeypatch.setattr(
        worker, "make_client", lambda url, creds, **kw: node_client(hub_client, creds)
    )
    data: Path = edge_runtime.settings.data_dir
    (data / "edge.toml").write_text(f"sync_digest_interval_s = {INTERVAL}\n")
    edge_runtime.engine.dispose()

    def restarted() -> EdgeRuntime:  # a new worker process on the same data directory
        rt = EdgeRuntime.open(load_edge_settings(data))
        rt.clock = clock
        return rt

    rt = restarted()
    assert rt.settings.sync_digest_interval_s == INTERVAL
    clock.advance(dt.timedelta(seconds=30))
    worker.pull_job(rt)
    assert probe.take() == (["false"], 0)  # not at once after a restart
    rt.engine.dispose()

    rt = restarted()
    clock.advance(dt.timedelta(seconds=INTERVAL))
    worker.pull_job(rt)
    assert probe.take() == (["true"], 1)  # nor never
    rt.engine.dispose()


def test_the_setting_is_read_from_edge_toml_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LABRED_EDGE_SYNC_DIGEST_INTERVAL_S", raising=False)
    assert load_edge_settings(tmp_path).sync_digest_interval_s == 600
    (tmp_path / "edge.toml").write_text("port = 8101\nsync_digest_interval_s = 0\n")
    assert load_edge_settings(tmp_path).sync_digest_interval_s == 0
    monkeypatch.setenv("LABRED_EDGE_SYNC_DIGEST_INTERVAL_S", "30")  # the environment wins
    assert load_edge_settings(tmp_path).sync_digest_interval_s == 30
    monkeypatch.delenv("LABRED_EDGE_SYNC_DIGEST_INTERVAL_S")
    (tmp_path / "edge.toml").write_text("sync_digest_interval_s = -1\n")
    with pytest.raises(ConfigError, match=r"'sync_digest_interval_s' .*mayor o igual que 0"):
        load_edge_settings(tmp_path)
