"""``GET /api/sync/metrics`` on the edge: the sync status as Prometheus metrics, signed in."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from domain.permissions import Role
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from sync import outbox
from tests.edge.factories import auth_headers


def _samples(text: str) -> dict[str, float]:
    return {s.name: s.value for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_metrics_report_backlog_and_need_a_session(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    before = edge_client.get("/api/sync/metrics", headers=auth_headers(edge_runtime, Role.ADMIN))
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
    base = _samples(before.text)["labred_edge_sync_backlog"]
    for i in range(3):
        with unit_of_work(edge_runtime.engine) as s:
            outbox.record_change(s, record_type="probe", record_id=str(i), payload={"id": str(i)})
    resp = edge_client.get("/api/sync/metrics", headers=auth_headers(edge_runtime, Role.ADMIN))
    samples = _samples(resp.text)
    assert samples["labred_edge_sync_backlog"] == base + 3
    assert samples["labred_edge_sync_lag_seconds"] >= 0
    assert samples["labred_edge_sync_last_push_age_seconds"] == -1  # never pushed
    assert samples["labred_edge_sync_digest_repairs_total"] == 0
    assert samples["labred_edge_sync_blocked"] == 0
    assert edge_client.get("/api/sync/metrics").status_code == 401
