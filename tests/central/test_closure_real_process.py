"""Real processes: a hub and an enrolled edge (API + worker). The edge seals its day, the hub
reconciles it, the closure reaches the edge through the pull, and the edge then refuses a cash
adjustment of that day until the hub reopens the closure."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.ids import sede_id_for
from tests.procs import free_port, run_labred, running, until

pytestmark = pytest.mark.slow
PASSWORD = "clave-demo-2026"
S01 = sede_id_for("S01")


def _ok(result: Any) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def _login(client: httpx.Client) -> None:
    r = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"


def test_a_closure_reaches_a_real_edge_and_blocks_adjustments(tmp_path: Path) -> None:
    hub_dir, edge_dir = tmp_path / "hub", tmp_path / "edge"
    hub_port, edge_port = free_port(), free_port()
    hub_dir.mkdir()
    (hub_dir / "hub.toml").write_text("rate_limit_per_minute = 100000\n")
    _ok(run_labred("migrate", "hub", "--data-dir", str(hub_dir)))
    _ok(run_labred("hub", "seed", "--data-dir", str(hub_dir), "--sedes", "1",
                   "--admin-password", PASSWORD))  # fmt: skip
    edge_dir.mkdir()
    hub_url = f"http://127.0.0.1:{hub_port}"
    config = {"port": edge_port, "hub_url": hub_url, "rate_limit_per_minute": 100000}
    (edge_dir / "edge.toml").write_text(
        "\n".join(f"{k} = {json.dumps(v)}" for k, v in config.items()) + "\n"
    )
    _ok(run_labred("edge", "init", "--data-dir", str(edge_dir), "--sede-code", "S01",
                   "--admin-password", PASSWORD))  # fmt: skip
    hub_args = ("hub", "serve", "--data-dir", str(hub_dir), "--port", str(hub_port))
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            running(*hub_args, ready_url=f"{hub_url}/ready", log=tmp_path / "hub.log")
        )
        hub = stack.enter_context(httpx.Client(base_url=hub_url, timeout=30))
        _login(hub)
        r = hub.post("/api/sync/nodes", json={"sede_id": S01, "name": "Nodo S01"})
        assert r.status_code in (200, 201), r.text
        code = r.json()["enrolment_code"]
        _ok(run_labred("edge", "enroll", "--data-dir", str(edge_dir), "--hub", hub_url,
                       "--code", code))  # fmt: skip
        edge_url = f"http://127.0.0.1:{edge_port}"
        stack.enter_context(
            running("edge", "serve", "--data-dir", str(edge_dir), "--port", str(edge_port),
                    ready_url=f"{edge_url}/ready", log=tmp_path / "edge.log")
        )  # fmt: skip
        stack.enter_context(
            running("edge", "worker", "--data-dir", str(edge_dir),
                    ready_url=f"{edge_url}/ready", log=tmp_path / "worker.log")
        )  # fmt: skip
        edge = stack.enter_context(httpx.Client(base_url=edge_url, timeout=30))
        _login(edge)

        # the sede's day: one cash session, counted and closed, then the day seal
        r = edge.post("/api/cash/sessions", json={"opening_float": "100.00"})
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        r = edge.post(f"/api/cash/sessions/{sid}/count", json={"denominations": {"100": 1}})
        assert r.status_code == 201, r.text
        assert edge.post(f"/api/cash/sessions/{sid}/close", json={}).status_code == 200
        r = edge.post("/api/cash/day/close", json={})
        assert r.status_code in (200, 201), r.text
        day = r.json()["business_date"]

        def reconciled() -> dict[str, Any] | None:
            r = hub.post("/api/reconciliation/execute", json={"sede_id": S01, "date": day})
            assert r.status_code == 200, r.text
            return r.json() if r.json()["status"] != "pending_data" else None

        closure = until("the seal to reach the hub", reconciled)
        assert closure["status"] in ("reconciled", "with_discrepancies"), closure

        def mirrored(status: str) -> Callable[[], dict[str, Any] | None]:
            def probe() -> dict[str, Any] | None:
                r = edge.get("/api/closures", params={"desde": day, "hasta": day})
                assert r.status_code == 200, r.text
                items = [i for i in r.json()["items"] if i["status"] == status]
                return items[0] if items else None

            return probe

        seen = until("the closure to reach the edge", mirrored(closure["status"]))
        assert seen["id"] == closure["id"] and seen["closed"] is True
        assert seen["discrepancy_count"] == closure["discrepancy_count"]
        adjust = {"amount": "1.00", "reason": "Moneda hallada bajo la gaveta"}
        r = edge.post(f"/api/cash/sessions/{sid}/adjustments", json=adjust)
        assert r.status_code == 409, r.text
        assert r.json()["detail"][0]["type"] == "day_closed_by_hub"

        r = hub.post(f"/api/reconciliation/closures/{closure['id']}/reopen",
                     json={"reason": "Revisión del arqueo de la caja"})  # fmt: skip
        assert r.status_code == 200, r.text
        reopened = until("the reopening to reach the edge", mirrored("reopened"))
        assert reopened["reopen_reason"] == "Revisión del arqueo de la caja"
        r = edge.post(f"/api/cash/sessions/{sid}/adjustments", json=adjust)
        assert r.status_code == 201, r.text
