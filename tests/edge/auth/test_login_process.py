"""Sign-in across a real ``labred edge serve`` process, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.procs import free_port, run_labred, running


@pytest.mark.slow
def test_login_and_me_over_real_http(tmp_path: Path) -> None:
    data = tmp_path / "edge"
    init = run_labred(
        "edge", "init", "--data-dir", str(data), "--admin-password", "clave-del-proceso"
    )
    assert init.returncode == 0, init.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(
        "edge", "serve", "--data-dir", str(data), "--port", str(port),
        ready_url=f"{base}/ready",
        log=tmp_path / "edge.log",
    ):  # fmt: skip
        with httpx.Client(base_url=base, timeout=10) as http:
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
