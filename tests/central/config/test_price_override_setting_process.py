"""Real processes (``labred hub serve``, ``labred edge serve`` / ``worker``): the cap of an
overridden price set at the hub (``price_override_max``) reaches the sede through its worker's
pull, and the sede's API then refuses a dearer override with ``price_override_too_high``."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import httpx
import pytest

from sandbox.daygen import login
from tests.sync.cluster import PASSWORD, Cluster, wait_for

pytestmark = pytest.mark.slow


def test_a_hub_cap_reaches_the_running_sede(tmp_path: Path) -> None:
    c = Cluster(tmp_path, edges=1)
    c.setup()
    (edge,) = c.edges

    def edge_cap() -> str | None:
        with contextlib.closing(edge.db()) as db:
            row = db.execute(
                "SELECT value FROM setting WHERE key = 'price_override_max'"
            ).fetchone()
        return None if row is None else str(json.loads(row[0]))

    try:
        c.start_hub()
        c.enrol_and_serve()
        c.start_worker(edge)
        wait_for("the default cap at the sede", lambda: edge_cap() == "50000.00", 60)
        with contextlib.closing(c.hub_admin()) as admin:
            r = admin.put("/api/config/settings", json={"price_override_max": "250.00"})
            assert r.status_code == 200, r.text
            bad = admin.put("/api/config/settings", json={"price_override_max": "0"})
            assert bad.status_code == 422
            assert bad.json()["detail"][0]["type"] == "price_override_max_not_positive"
        wait_for("the new cap at the sede", lambda: edge_cap() == "250.00", 60)

        with httpx.Client(base_url=edge.url, timeout=15) as client:
            login(client, f"supervisor.{edge.code.lower()}", PASSWORD)
            service = client.get("/api/catalog/services/active").json()["items"][0]["id"]
            person = {"doc_type": "1", "doc_number": "47123456", "first_names": "Ana",
                      "last_names": "Quispe Rojas", "sex": "F"}  # fmt: skip
            p = client.post("/api/patients", json=person)
            assert p.status_code == 201, p.text

            def order_at(price: str) -> httpx.Response:
                item = {"service_id": service, "unit_price": price, "override_reason": "Campaña"}
                body = {"patient_id": p.json()["id"], "items": [item]}
                return client.post("/api/orders", json=body)

            refused = order_at("250.01")
            assert refused.status_code == 422, refused.text
            detail = refused.json()["detail"][0]
            assert (detail["type"], detail["loc"]) == (
                "price_override_too_high",
                ["body", "items", 0, "unit_price"],
            )
            assert "S/ 250.00" in detail["msg"]
            ok = order_at("250.00")
            assert ok.status_code == 201, ok.text
    finally:
        c.stop()
