"""Real processes: a hub and an enrolled edge (API + worker).

- The edge seals its day, the hub reconciles it, the closure reaches the edge through the pull,
  and the edge then refuses a cash adjustment of that day until the hub reopens the closure.
- The edge seals its day, a supervisor reopens it (the hub then reads the day as unsealed:
  pending data), sells again and seals it again: the hub reconciles the re-sealed figures.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.catalog_data import catalog_id_for
from domain.ids import sede_id_for
from tests.procs import free_port, prepared_dir, run_labred, running, seeded_hub, until

pytestmark = pytest.mark.slow
PASSWORD = "clave-demo-2026"
S01 = sede_id_for("S01")


def _ok(result: Any) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def _login(client: httpx.Client) -> None:
    r = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"


@contextlib.contextmanager
def hub_and_edge(tmp_path: Path, *edge_init: str) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """A seeded hub and an enrolled edge (API + worker), each with a signed-in admin client."""
    hub_dir, edge_dir = tmp_path / "hub", tmp_path / "edge"
    hub_port, edge_port = free_port(), free_port()
    hub_dir.mkdir()
    (hub_dir / "hub.toml").write_text("rate_limit_per_minute = 100000\n")
    seeded_hub(hub_dir, sedes=1, admin_password=PASSWORD)
    prepared_dir(edge_dir, ("edge", "init", "--data-dir", "{data}", "--sede-code", "S01",
                            "--admin-password", PASSWORD, *edge_init))  # fmt: skip
    hub_url = f"http://127.0.0.1:{hub_port}"
    config = {"port": edge_port, "hub_url": hub_url, "rate_limit_per_minute": 100000}
    (edge_dir / "edge.toml").write_text(
        "\n".join(f"{k} = {json.dumps(v)}" for k, v in config.items()) + "\n"
    )
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
        yield hub, edge


def test_a_closure_reaches_a_real_edge_and_blocks_adjustments(tmp_path: Path) -> None:
    with hub_and_edge(tmp_path) as (hub, edge):
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


def _pushed(edge: httpx.Client) -> Callable[[], bool]:
    """Probe: the edge's outbox is empty and acknowledged by the hub up to its last row."""

    def probe() -> bool:
        r = edge.get("/api/sync/status")
        assert r.status_code == 200, r.text
        state = r.json()
        return bool(state["backlog"] == 0 and state["acked_seq"] >= state["last_seq"])

    return probe


def test_a_reopened_and_resealed_day_reaches_the_hub_with_its_new_figures(
    tmp_path: Path,
) -> None:
    with hub_and_edge(tmp_path, "--demo-catalog") as (hub, edge):
        r = edge.post("/api/patients", json={"doc_type": "1", "doc_number": "45678912",
                                             "first_names": "ANA MARÍA",
                                             "last_names": "PÉREZ QUISPE"})  # fmt: skip
        assert r.status_code == 201, r.text
        patient_id = r.json()["id"]
        service_id = catalog_id_for("service", "HEM-001")
        r = edge.get(f"/api/catalog/services/{service_id}")
        assert r.status_code == 200, r.text
        price = r.json()["price"]

        def sell(ref: str) -> httpx.Response:
            card = [{"method": "tarjeta", "amount": price, "reference": ref}]
            body = {"patient_id": patient_id, "items": [service_id], "payments": card}
            return edge.post("/api/orders", json=body)

        r = sell("V-1")
        assert r.status_code == 201, r.text
        r = edge.post("/api/cash/day/close", json={})
        assert r.status_code == 201, r.text
        seal = r.json()
        day = seal["business_date"]
        assert sell("V-2").status_code == 409  # sealed: the 18:00 trap of before
        until("the seal to reach the hub", _pushed(edge))

        reason = {"reason": "Paciente que llegó tarde: venta pendiente"}
        r = edge.post(f"/api/cash/day/{day}/reopen", json=reason)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "reabierto" and r.json()["seal_id"] == seal["seal_id"]
        until("the reopening to reach the hub", _pushed(edge))

        def execute() -> dict[str, Any]:
            r = hub.post("/api/reconciliation/execute", json={"sede_id": S01, "date": day})
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        pending = execute()  # a reopened day reads as unsealed at the hub
        assert pending["status"] == "pending_data" and pending["seal_id"] is None, pending

        r = sell("V-3")
        assert r.status_code == 201, r.text
        assert r.json()["number"].endswith("-0002")
        r = edge.post("/api/cash/day/close", json={"date": day})
        assert r.status_code == 201, r.text
        resealed = r.json()
        assert resealed["seal_id"] == seal["seal_id"] and resealed["status"] == "sellado"
        assert resealed["figures"]["orders"]["count"] == 2
        assert resealed["last_seq"] > seal["last_seq"]

        def reconciled() -> dict[str, Any] | None:
            closure = execute()
            return closure if closure["status"] != "pending_data" else None

        closure = until("the re-seal to reach the hub", reconciled)
        assert closure["seal_id"] == seal["seal_id"], closure
        assert closure["seal_figures"] == resealed["figures"]
        assert closure["figures"]["orders"]["count"] == 2, closure
        assert (
            closure["figures"]["payments"]["total_cents"]
            == (resealed["figures"]["payments"]["total_cents"])
        )
        assert not [d for d in closure["discrepancies"] if d["kind"].startswith("seal_")], closure[
            "discrepancies"
        ]

        # once the hub's closure is back at the edge, the day can no longer be reopened there
        def mirrored() -> bool:
            r = edge.get("/api/closures", params={"desde": day, "hasta": day})
            assert r.status_code == 200, r.text
            return any(i["status"] == closure["status"] for i in r.json()["items"])

        until("the closure to reach the edge", mirrored)
        r = edge.post(f"/api/cash/day/{day}/reopen", json=reason)
        assert r.status_code == 409 and r.json()["detail"][0]["type"] == "day_closed_by_hub"
