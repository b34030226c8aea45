"""Sign-in across a real ``labred edge serve`` process, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.procs import init_edge, serving_edge


@pytest.mark.slow
def test_login_and_me_over_real_http(tmp_path: Path) -> None:
    data = init_edge(tmp_path / "edge", "clave-del-proceso", demo_catalog=False)
    with serving_edge(data, log=tmp_path / "edge.log") as edge:
        with httpx.Client(base_url=edge.url, timeout=10) as http:
            bad = http.post("/api/auth/login", json={"username": "admin", "password": "no"})
            assert bad.status_code == 401
            assert bad.json()["detail"][0]["type"] == "invalid_credentials"
            r = http.post(
                "/api/auth/login", json={"username": "admin", "password": "clave-del-proceso"}
            )
            assert r.status_code == 200, r.text
            token = r.json()["access_token"]
            me = http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200
            assert me.json()["username"] == "admin" and me.json()["role"] == "admin"
            # the cookie session works too (the web UI's way)
            assert http.cookies.get("labred_access") == token
            assert http.get("/api/auth/me").json()["id"] == me.json()["id"]
