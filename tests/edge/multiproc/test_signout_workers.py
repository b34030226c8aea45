"""``labred edge serve --workers 2``: a sign-out handled by one API process ends the session's
access tokens in the other process at once, not after its 2-second memory of "still signed in".

Ten keep-alive connections spread over both processes (checked through the kernel's socket
table) each use the access token, so both processes remember the sign-in as alive; one of them
signs out; right away every connection, on either process, is answered 401 session_revoked.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import psutil
import pytest

from edge.auth.live import SIGNOUTS_FILE, TTL_SECONDS
from tests.procs import free_port, init_edge, running, until

pytestmark = pytest.mark.slow

PASSWORD = "clave-multiproceso-123"
CONNECTIONS = 10


def _kids(pid: int) -> list[psutil.Process]:
    return [p for p in psutil.Process(pid).children() if p.status() != psutil.STATUS_ZOMBIE]


def _two(pid: int) -> list[psutil.Process] | None:
    kids = _kids(pid)
    return kids if len(kids) == 2 else None


def _owner(kids: list[psutil.Process], port: int, client_port: int) -> int | None:
    """The API process holding the server end of the connection from ``client_port``."""
    for kid in kids:
        for conn in kid.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.raddr:
                if conn.raddr.port == client_port:
                    return kid.pid
    return None


def _client_port(http: httpx.Client) -> int:
    # httpx exposes the socket of the pooled connection through the response's stream
    r = http.get("/health")
    assert r.status_code == 200
    stream = r.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])


@pytest.fixture
def node(tmp_path: Path) -> Path:
    return init_edge(tmp_path / "edge", PASSWORD)


def test_a_sign_out_in_one_process_ends_the_session_in_the_other_at_once(
    node: Path, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ("edge", "serve", "--data-dir", str(node), "--port", str(port), "--workers", "2")
    env = {"LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "1000000"}
    with running(*args, ready_url=f"{base}/health", log=tmp_path / "serve.log", env=env) as proc:
        kids = until("two API processes", lambda: _two(proc.pid))
        login = httpx.post(
            f"{base}/api/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=10
        ).json()
        auth = {"Authorization": f"Bearer {login['access_token']}"}
        with ExitStack() as stack:
            owners: dict[int, list[httpx.Client]] = {}
            for _ in range(CONNECTIONS * 3):  # until both processes hold some connections
                http = stack.enter_context(httpx.Client(base_url=base, headers=auth, timeout=10))
                owner = _owner(kids, port, _client_port(http))
                assert owner is not None
                owners.setdefault(owner, []).append(http)
                if len(owners) == 2 and sum(map(len, owners.values())) >= CONNECTIONS:
                    break
            assert len(owners) == 2, "the kernel gave every connection to one process"
            clients = [c for group in owners.values() for c in group]
            for http in clients:  # both processes now remember the sign-in as alive
                assert http.get("/api/auth/me").status_code == 200
            signer = owners[min(owners)][0]
            started = time.monotonic()
            out = signer.post("/api/auth/logout", json={"refresh_token": login["refresh_token"]})
            assert out.status_code == 200, out.text
            answers = {pid: [c.get("/api/auth/me") for c in group] for pid, group in owners.items()}
            elapsed = time.monotonic() - started
        assert elapsed < TTL_SECONDS, f"too slow to prove anything ({elapsed:.2f} s)"
        for pid, rs in answers.items():
            assert [r.status_code for r in rs] == [401] * len(rs), (pid, [r.text for r in rs])
            assert {r.json()["detail"][0]["type"] for r in rs} == {"session_revoked"}
        assert (node / SIGNOUTS_FILE).stat().st_size == 1
