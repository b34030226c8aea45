"""Real processes (``labred hub serve``, ``labred edge serve`` and ``worker``): the sede's worker
states its disk with the sync traffic it already makes, and the hub's node status, sync health
and alarms show it. The level is made ``bajo`` deterministically by setting ``disk_low_mb`` in
the edge's edge.toml far above any disk's free space (the disk is not filled)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from domain.ids import sede_id_for
from tests.sync.cluster import Cluster, wait_for

pytestmark = pytest.mark.slow

ABOVE_ANY_DISK_MB = 10**9  # a petabyte


def test_the_hub_sees_the_disk_of_a_real_sede_worker(tmp_path: Path) -> None:
    c = Cluster(tmp_path, edges=1)
    c.setup()
    (edge,) = c.edges
    with (edge.data / "edge.toml").open("a") as fh:
        fh.write(f"disk_low_mb = {ABOVE_ANY_DISK_MB}\n")
    sede = sede_id_for(edge.code)
    try:
        c.start_hub()
        c.enrol_and_serve()
        with contextlib.closing(c.hub_admin()) as admin:

            def node() -> dict[str, Any]:
                health = admin.get("/api/web/sync-health")
                assert health.status_code == 200, health.text
                (mine,) = [h for h in health.json() if h["node"]["sede_id"] == sede]
                return dict(mine)

            assert node()["status"]["disk_level"] is None  # enrolled, worker not started
            c.start_worker(edge)
            wait_for("the worker's disk at the hub", lambda: node()["status"]["disk_level"], 60)
            status = node()["status"]
            assert status["disk_level"] == "bajo", status
            assert 0 < status["disk_free_mb"] < ABOVE_ANY_DISK_MB
            assert status["disk_reported_at"] is not None

            by_id = admin.get(f"/api/sync/nodes/{node()['node']['id']}/status")
            assert by_id.status_code == 200, by_id.text
            assert by_id.json()["disk_level"] == "bajo"
            alarms = admin.get("/api/web/sunat-alarms")
            assert alarms.status_code == 200, alarms.text
            disks = alarms.json()["disks"]
            assert [(d["sede_code"], d["level"]) for d in disks] == [(edge.code, "bajo")]
            first = status["disk_reported_at"]
            # an idle node keeps stating it: the next pull (every 5 s) refreshes the time heard
            wait_for("a later report", lambda: node()["status"]["disk_reported_at"] != first, 30)
    finally:
        c.stop()
