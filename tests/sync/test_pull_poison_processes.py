"""A poison record across real processes: a real hub (``labred hub serve``) serves a page with a
change-feed row the edge cannot apply (written at the hub by plain SQL), and a real edge worker
(``labred edge worker``) still applies the rest of the page and the later records, moves its
cursor to the hub's head, and a real ``labred edge serve`` shows the parked record in
``GET /api/sync/status``. The hub then publishes a corrected version, which the worker applies
and un-parks."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from sync import changefeed
from tests.conftest import ADMIN_PASSWORD
from tests.procs import free_port, running
from tests.sync.poison_helpers import publish_raw, setting
from tests.sync.test_qa_procs_support import CLOCK, QaCluster, QaEdge, cluster, wait_until

__all__ = ["cluster"]  # the fixture, imported for pytest
pytestmark = pytest.mark.slow


def _keys(edge: QaEdge) -> set[str]:
    with edge.engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT key FROM setting WHERE key LIKE 'pp_%'"))}


def _head(c: QaCluster) -> int:
    with c.runtime().engine.connect() as conn:
        return changefeed.head(conn)


def test_a_real_edge_worker_parks_a_poison_row_and_keeps_pulling(cluster: QaCluster) -> None:
    cluster.start_hub()
    edge = cluster.add_edge("S01")
    hub = cluster.runtime().engine
    publish_raw(hub, "setting", setting("pp_before", "1"))
    bad = setting("pp_poison", "x", when="2026-13-45T99:00:00")  # a date no one can read
    publish_raw(hub, "setting", bad)
    publish_raw(hub, "setting", setting("pp_after", "2"))
    cluster.start_worker(edge)
    wait_until(
        "the worker to apply the page around the poison row",
        lambda: _keys(edge) == {"pp_before", "pp_after"},
        timeout=60,
    )
    publish_raw(hub, "setting", setting("pp_later", "3"))  # later records still flow
    wait_until(
        "the later record and the hub's head",
        lambda: "pp_later" in _keys(edge) and edge.state()["pull_cursor"] == _head(cluster),
        timeout=60,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ("edge", "serve", "--data-dir", str(edge.data), "--port", str(port))
    with running(*args, ready_url=f"{base}/ready", log=cluster.log("S01-serve")):
        with httpx.Client(base_url=base, timeout=10) as http:
            r = http.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
            assert r.status_code == 200, r.text
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            body = http.get("/api/sync/status", headers=headers).json()
            assert body["parked"] == 1 and body["blocked"] is None, body
            parked = body["parked_recent"][0]
            assert (parked["record_type"], parked["record_id"]) == ("setting", bad["id"])
            assert parked["error_code"] == "ValueError" and "month" in parked["error"]
            assert "1 registro de la central sin aplicar en este nodo" in body["warnings"]
            assert body["pull_cursor"] == _head(cluster)
            # the hub corrects the record: the worker applies it and nothing is left parked
            publish_raw(hub, "setting", {**bad, "updated_at": CLOCK.now().isoformat()})
            wait_until(
                "the corrected record",
                lambda: (
                    "pp_poison" in _keys(edge)
                    and http.get("/api/sync/status", headers=headers).json()["parked"] == 0
                ),
                timeout=60,
            )
    log = cluster.log("S01-w").read_text()
    assert "parked, not applied" in log and bad["id"] in log  # logged at WARNING, not silent
