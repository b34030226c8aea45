"""A dangling foreign key across real processes: a real hub (``labred hub serve``) serves a page
with a merge (``patient_alias``) into a patient this edge does not hold, while local orders
belong to the merged patient; a real ``labred edge worker`` parks that one record with
``fk_missing_parent`` (re-pointing the orders would leave them without their patient, which
SQLite only refuses at COMMIT, failing the whole page forever), applies the rest of the page and
the later records, and reaches the hub's head. A real ``labred edge serve`` shows the parked
record; once the canonical patient reaches the feed the worker applies the merge."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from domain.ids import new_id
from sync import changefeed
from tests.conftest import ADMIN_PASSWORD
from tests.procs import free_port, running
from tests.sync.poison_helpers import publish_raw, setting
from tests.sync.replication_helpers import add_patient, add_sale
from tests.sync.test_qa_procs_support import CLOCK, QaCluster, QaEdge, cluster, wait_until

__all__ = ["cluster"]  # the fixture, imported for pytest
pytestmark = pytest.mark.slow


def _keys(edge: QaEdge) -> set[str]:
    with edge.engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT key FROM setting WHERE key LIKE 'fp_%'"))}


def _order_patient(edge: QaEdge, oid: str) -> str:
    with edge.engine.connect() as conn:
        found = conn.execute(text("SELECT patient_id FROM lab_order WHERE id = :i"), {"i": oid})
        return str(found.scalar_one())


def _head(c: QaCluster) -> int:
    with c.runtime().engine.connect() as conn:
        return changefeed.head(conn)


def _patient(pid: str, doc: str) -> dict[str, Any]:
    now = CLOCK.now().isoformat()
    return {
        "id": pid,
        "doc_type": "1",
        "doc_number": doc,
        "first_names": "Rosa",
        "last_names": "Quispe",
        "home_sede_id": "x",
        "created_at": now,
        "updated_at": now,
    }


def test_a_real_edge_worker_parks_a_dangling_reference_and_keeps_pulling(
    cluster: QaCluster,
) -> None:
    cluster.start_hub()
    edge = cluster.add_edge("S01")
    alias = add_patient(edge.engine, CLOCK, sede_id=edge.sede_id, doc="46661111")
    oid, _ = add_sale(
        edge.engine,
        CLOCK,
        sede_id=edge.sede_id,
        patient_id=alias,
        number="S01-20261129-0077",
        amount=Decimal("30.00"),
    )
    hub = cluster.runtime().engine
    canonical = new_id()
    merge = {"id": new_id(), "alias_id": alias, "canonical_id": canonical}
    publish_raw(hub, "setting", setting("fp_before", "1"))
    publish_raw(hub, "patient_alias", merge)
    publish_raw(hub, "setting", setting("fp_after", "2"))
    cluster.start_worker(edge)
    wait_until(
        "the worker to apply the page around the dangling merge",
        lambda: _keys(edge) == {"fp_before", "fp_after"},
        timeout=60,
    )
    publish_raw(hub, "setting", setting("fp_later", "3"))  # the pull is not stalled
    wait_until(
        "the later record and the hub's head",
        lambda: "fp_later" in _keys(edge) and edge.state()["pull_cursor"] == _head(cluster),
        timeout=60,
    )
    assert _order_patient(edge, oid) == alias  # not re-pointed to a patient it lacks
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
            assert (parked["record_type"], parked["record_id"]) == ("patient_alias", merge["id"])
            assert parked["error_code"] == "fk_missing_parent"
            assert f"patient {canonical}" in parked["error"]
            metrics = http.get("/api/sync/metrics", headers=headers).text
            assert "labred_edge_sync_parked 1.0" in metrics
            # the canonical patient reaches the feed: the worker applies the parked merge
            publish_raw(hub, "patient", _patient(canonical, "46662222"))
            wait_until(
                "the parked merge to apply",
                lambda: (
                    _order_patient(edge, oid) == canonical
                    and http.get("/api/sync/status", headers=headers).json()["parked"] == 0
                ),
                timeout=60,
            )
    log = cluster.log("S01-w").read_text()
    assert "parked, not applied" in log and "fk_missing_parent" in log  # not silent
