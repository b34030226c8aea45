"""Real process: a sede registered today at a running hub (``labred hub serve``) gets no
closure for yesterday, while the seeded sede (no creation date kept) still does; asking for
the new sede's yesterday is a clear 422, and its today is reconciled (pending data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest

from domain.clock import SystemClock, business_date
from domain.ids import sede_id_for
from tests.procs import free_port, running, seeded_hub

pytestmark = pytest.mark.slow
PASSWORD = "clave-demo-2026"


def test_a_sede_registered_today_has_no_closure_for_yesterday(tmp_path: Path) -> None:
    hub_dir = tmp_path / "hub"
    hub_dir.mkdir()
    (hub_dir / "hub.toml").write_text("rate_limit_per_minute = 100000\n")
    seeded_hub(hub_dir, sedes=1, admin_password=PASSWORD)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ("hub", "serve", "--data-dir", str(hub_dir), "--port", str(port))
    with running(*args, ready_url=f"{url}/ready", log=tmp_path / "hub.log"):
        with httpx.Client(base_url=url, timeout=30) as hub:
            r = hub.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
            assert r.status_code == 200, r.text
            hub.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            r = hub.post("/api/config/locations", json={"code": "S05", "name": "Sede Nueva"})
            assert r.status_code == 201, r.text
            today = business_date(SystemClock().now())
            yesterday = today - dt.timedelta(days=1)
            new, old = sede_id_for("S05"), sede_id_for("S01")

            def run(sede: str, day: dt.date) -> httpx.Response:
                body = {"sede_id": sede, "date": day.isoformat()}
                return hub.post("/api/reconciliation/execute", json=body)

            refused = run(new, yesterday)
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"][0]["type"] == "before_sede_first_day"
            assert run(old, yesterday).json()["status"] == "pending_data"
            assert run(new, today).json()["status"] == "pending_data"
            listed = hub.get(
                "/api/reconciliation/closures",
                params={"from": yesterday.isoformat(), "to": yesterday.isoformat()},
            ).json()
            assert [c["sede_id"] for c in listed["items"]] == [old]
