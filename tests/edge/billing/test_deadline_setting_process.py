"""Real processes (``labred hub serve``, ``labred edge serve`` / ``worker``): the boleta deadline
set on the hub's Parámetros API (default 1, like edge.toml's) reaches the sede through its
worker's pull, and the boleta of a sale made afterwards carries the new deadline."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import pytest

from tests.sync.cluster import Cluster, reception, sell_one, wait_for

pytestmark = pytest.mark.slow


def test_a_boleta_deadline_changed_at_the_hub_applies_to_the_next_sale(tmp_path: Path) -> None:
    c = Cluster(tmp_path, edges=1)
    c.setup()
    (edge,) = c.edges

    def edge_days() -> int | None:
        with contextlib.closing(edge.db()) as db:
            row = db.execute(
                "SELECT value FROM setting WHERE key = 'sunat_boleta_deadline_days'"
            ).fetchone()
        if row is None:
            return None
        return int(json.loads(row[0]) if isinstance(row[0], str) else row[0])

    def last_boleta() -> tuple[dt.date, dt.date]:
        with contextlib.closing(edge.db()) as db:
            row = db.execute(
                "SELECT business_date, deadline FROM invoice WHERE doc_type = '03' "
                "ORDER BY created_at DESC, number DESC LIMIT 1"
            ).fetchone()
        assert row is not None, "the sale issued no boleta"
        return dt.date.fromisoformat(row[0]), dt.date.fromisoformat(row[1])

    try:
        c.start_hub()
        c.enrol_and_serve()
        c.start_worker(edge)
        wait_for("the hub's default at the sede", lambda: edge_days() == 1, 60)
        with contextlib.closing(c.hub_admin()) as admin:
            r = admin.put("/api/config/settings", json={"sunat_boleta_deadline_days": 3})
            assert r.status_code == 200, r.text
        wait_for("the hub's 3 days at the sede", lambda: edge_days() == 3, 60)
        client, services = reception(edge)
        with contextlib.closing(client):
            sell_one(client, edge, services, 1)
            day, deadline = last_boleta()
            assert deadline - day == dt.timedelta(days=3)  # the hub's 3, not edge.toml's 1

            with contextlib.closing(c.hub_admin()) as admin:
                bad = admin.put("/api/config/settings", json={"sunat_boleta_deadline_days": 9})
                assert bad.status_code == 422, bad.text
                r = admin.put("/api/config/settings", json={"sunat_boleta_deadline_days": 5})
                assert r.status_code == 200, r.text
                assert r.json()["sunat_boleta_deadline_days"] == 5
            wait_for("the new deadline at the sede", lambda: edge_days() == 5, 60)

            sell_one(client, edge, services, 2)
            day, deadline = last_boleta()
            assert deadline - day == dt.timedelta(days=5)
    finally:
        c.stop()
