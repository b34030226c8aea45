"""Real processes: a hub, and an enrolled edge whose worker has stopped after pushing its seal.

The hub reconciles (closes) the day; the edge has not pulled the closure, yet reopening the day
there is refused (409 ``day_closed_by_hub``) because the edge asks the hub first. Once the hub
reopens its closure the edge may reopen the day (``hub_checked``); and with the hub process
gone the edge reopens anyway, quickly, with ``hub_checked: false`` and a warning.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.ids import sede_id_for
from tests.procs import (
    free_port,
    init_edge,
    run_labred,
    running,
    seeded_hub,
    terminate,
    until,
)

pytestmark = pytest.mark.slow
PASSWORD = "clave-demo-2026"
S01 = sede_id_for("S01")
REASON = {"reason": "Paciente que llegó tarde: venta pendiente"}


def _ok(result: Any) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def _login(client: httpx.Client) -> None:
    r = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.hub_dir, self.edge_dir = tmp_path / "hub", tmp_path / "edge"
        self.hub_port, self.edge_port = free_port(), free_port()
        self.hub_url = f"http://127.0.0.1:{self.hub_port}"
        self.edge_url = f"http://127.0.0.1:{self.edge_port}"

    def prepare(self) -> None:
        self.hub_dir.mkdir()
        (self.hub_dir / "hub.toml").write_text("rate_limit_per_minute = 100000\n")
        seeded_hub(self.hub_dir, sedes=1, admin_password=PASSWORD)
        init_edge(self.edge_dir, PASSWORD, demo_catalog=False, extra=("--sede-code", "S01"))
        config = {"port": self.edge_port, "hub_url": self.hub_url, "rate_limit_per_minute": 100000}
        (self.edge_dir / "edge.toml").write_text(
            "\n".join(f"{k} = {json.dumps(v)}" for k, v in config.items()) + "\n"
        )

    def hub(self) -> contextlib.AbstractContextManager[Any]:
        args = ("hub", "serve", "--data-dir", str(self.hub_dir), "--port", str(self.hub_port))
        return running(*args, ready_url=f"{self.hub_url}/ready", log=self.tmp / "hub.log")

    def edge(self) -> contextlib.AbstractContextManager[Any]:
        return running("edge", "serve", "--data-dir", str(self.edge_dir), "--port",
                       str(self.edge_port), ready_url=f"{self.edge_url}/ready",
                       log=self.tmp / "edge.log")  # fmt: skip

    def worker(self) -> contextlib.AbstractContextManager[Any]:
        return running("edge", "worker", "--data-dir", str(self.edge_dir),
                       ready_url=f"{self.edge_url}/ready", log=self.tmp / "worker.log")  # fmt: skip

    def enroll(self, hub: httpx.Client) -> None:
        r = hub.post("/api/sync/nodes", json={"sede_id": S01, "name": "Nodo S01"})
        assert r.status_code in (200, 201), r.text
        code = r.json()["enrolment_code"]
        _ok(run_labred("edge", "enroll", "--data-dir", str(self.edge_dir), "--hub", self.hub_url,
                       "--code", code))  # fmt: skip


@contextlib.contextmanager
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as http:
        _login(http)
        yield http


def _pushed(edge: httpx.Client) -> bool:
    r = edge.get("/api/sync/status")
    assert r.status_code == 200, r.text
    state = r.json()
    return bool(state["backlog"] == 0 and state["acked_seq"] >= state["last_seq"])


def _mirrored(edge: httpx.Client, day: str) -> list[dict[str, Any]]:
    r = edge.get("/api/closures", params={"desde": day, "hasta": day})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _reopen(edge: httpx.Client, day: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    r = edge.post(f"/api/cash/day/{day}/reopen", json=REASON)
    return r, time.monotonic() - started


def test_a_day_the_hub_closed_is_not_reopened_before_the_closure_is_pulled(
    tmp_path: Path,
) -> None:
    setup = Setup(tmp_path)
    setup.prepare()
    with contextlib.ExitStack() as stack:
        hub_proc = stack.enter_context(setup.hub())
        hub = stack.enter_context(client(setup.hub_url))
        setup.enroll(hub)
        stack.enter_context(setup.edge())
        edge = stack.enter_context(client(setup.edge_url))

        r = edge.post("/api/cash/day/close", json={})
        assert r.status_code == 201, r.text
        day = r.json()["business_date"]
        with setup.worker():  # pushes the seal, then stops: nothing is pulled afterwards
            until("the seal to reach the hub", lambda: _pushed(edge))

        def reconciled() -> dict[str, Any] | None:
            r = hub.post("/api/reconciliation/execute", json={"sede_id": S01, "date": day})
            assert r.status_code == 200, r.text
            return r.json() if r.json()["status"] != "pending_data" else None

        closure = until("the hub to close the day", reconciled)
        assert closure["status"] in ("reconciled", "with_discrepancies"), closure
        assert _mirrored(edge, day) == []  # the edge has not heard of the closure

        refused, _ = _reopen(edge, day)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"][0]["type"] == "day_closed_by_hub"
        shown = edge.get(f"/api/cash/day/{day}").json()
        assert shown["status"] == "sellado" and shown["reopen_count"] == 0

        # the hub reopens its closure: the edge may now reopen the day, having asked
        r = hub.post(f"/api/reconciliation/closures/{closure['id']}/reopen",
                     json={"reason": "Revisión del arqueo de la caja"})  # fmt: skip
        assert r.status_code == 200, r.text
        allowed, _ = _reopen(edge, day)
        assert allowed.status_code == 200, allowed.text
        body = allowed.json()
        assert (body["status"], body["hub_checked"], body["hub_status"]) == (
            "reabierto",
            True,
            "reopened",
        )
        assert body["warning"] is None

        # with the hub process gone, the day (sealed again) reopens anyway, without waiting
        assert edge.post("/api/cash/day/close", json={"date": day}).status_code == 201
        hub.close()
        terminate(hub_proc)
        offline, elapsed = _reopen(edge, day)
        assert offline.status_code == 200, offline.text
        body = offline.json()
        assert (body["hub_checked"], body["hub_check"]) == (False, "no_disponible")
        assert "No se pudo consultar a la central" in body["warning"]
        assert elapsed < 2.5, elapsed
        r = edge.get("/api/audit", params={"action": "day.reopen"})
        assert r.status_code == 200, r.text
        newest_first = [e["details"] for e in r.json()["items"]]
        assert [(d["hub_checked"], d["hub_status"]) for d in newest_first] == [
            (False, None),
            (True, "reopened"),
        ]
        assert newest_first[0]["hub_error"] == "hub_unavailable"
