"""``labred edge serve --workers 2``: two real API processes on one port, one node.

Selling from 20 concurrent clients through both processes keeps numbers unique and gapless and
never answers 500 or "database is locked"; login throttling and the per-user rate limit hold
for the node, not per process; a child killed with SIGKILL is replaced; SIGTERM stops them all.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from domain.catalog_data import catalog_id_for
from domain.permissions import Role
from tests.edge.factories import add_users
from tests.procs import bearer, free_port, init_edge, run_labred, running, terminate, until

pytestmark = pytest.mark.slow

PASSWORD = "clave-multiproceso-123"
CLIENTS = 20
SELL_SECONDS = 4.0


def _children(pid: int) -> set[int]:
    kids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == pid and stat[0] != "Z":
            kids.add(int(entry.name))
    return kids


def _cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def _maps(pid: int, name: str) -> bool:
    try:
        return name in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = init_edge(tmp_path_factory.mktemp("multiproc") / "edge", PASSWORD)
    users = ((Role.RECEPCIONISTA, "recepcion"), (Role.SUPERVISOR, "supervisora"))
    return add_users(data, *users, password=PASSWORD)


@dataclass(frozen=True)
class TwoWorkers:
    proc: subprocess.Popen[bytes]  # the supervisor
    base: str
    kids: set[int]  # its two API processes
    admin: dict[str, str]  # the admin's Authorization header


@contextmanager
def _serve(data: Path, log: Path, rate_limit: str) -> Iterator[TwoWorkers]:
    """``labred edge serve --workers 2`` once both API processes run, the admin signed in."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ("edge", "serve", "--data-dir", str(data), "--port", str(port), "--workers", "2")
    env = {"LABRED_EDGE_RATE_LIMIT_PER_MINUTE": rate_limit}
    with running(*args, ready_url=f"{base}/health", log=log, env=env) as proc:
        until("two API processes", lambda: len(_children(proc.pid)) == 2 or None)
        with httpx.Client(base_url=base, timeout=10) as http:
            admin = bearer(http, "admin", PASSWORD)
        yield TwoWorkers(proc, base, _children(proc.pid), admin)


def _login(base: str, username: str, password: str = PASSWORD) -> httpx.Response:
    # a fresh connection per request: the kernel hands each to either process
    return httpx.post(
        f"{base}/api/auth/login", json={"username": username, "password": password}, timeout=10
    )


def _sell(
    base: str, headers: dict[str, str], body: dict[str, object], deadline: float,
    acked: list[str], answers: Counter[int], problems: list[str], lock: threading.Lock,
) -> None:  # fmt: skip
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        while time.monotonic() < deadline:
            r = http.post("/api/orders", json=body)
            with lock:
                answers[r.status_code] += 1
                if r.status_code == 201:
                    acked.append(r.json()["id"])
                elif len(problems) < 5:
                    problems.append(r.text[:300])


def test_two_processes_sell_together_throttle_together_and_survive_a_kill(
    node: Path, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with _serve(node, log, "1000000") as served:
        proc, base, kids, h = served.proc, served.base, served.kids, served.admin
        supervisor = proc.pid
        patient = {"doc_type": "1", "doc_number": "45678912",
                   "first_names": "ANA", "last_names": "PÉREZ QUISPE"}  # fmt: skip
        r = httpx.post(f"{base}/api/patients", json=patient, headers=h, timeout=10)
        assert r.status_code == 201, r.text
        service_id = catalog_id_for("service", "HEM-001")
        price = httpx.get(f"{base}/api/catalog/services/{service_id}", headers=h).json()["price"]
        body: dict[str, object] = {
            "patient_id": r.json()["id"],
            "items": [service_id],
            "payments": [{"method": "yape", "amount": price, "reference": "OP-MULTI"}],
        }

        # --- 20 clients selling through both processes
        cpu_before = {k: _cpu_seconds(k) for k in kids}
        acked: list[str] = []
        answers: Counter[int] = Counter()
        problems: list[str] = []
        lock = threading.Lock()
        deadline = time.monotonic() + SELL_SECONDS
        args = (base, h, body, deadline, acked, answers, problems, lock)
        sellers = [threading.Thread(target=_sell, args=args) for _ in range(CLIENTS)]
        for t in sellers:
            t.start()
        for t in sellers:
            t.join(timeout=120)
        busy = {k: _cpu_seconds(k) - cpu_before[k] for k in kids}
        print(f"\n{len(acked)} sales in {SELL_SECONDS} s; CPU s per API process: {busy}")
        assert set(answers) == {201}, (answers, problems)
        assert len(acked) >= 20
        assert all(seconds > 0.2 for seconds in busy.values()), busy  # both processes sold

        # --- login throttling holds for the node: 5 failures spread over both processes
        codes = [_login(base, "fantasma", "mala-clave").status_code for _ in range(7)]
        assert codes[:5] == [401] * 5 and codes[5:] == [429, 429], codes
        throttled = _login(base, "fantasma", "mala-clave")
        assert throttled.json()["detail"][0]["type"] == "login_throttled"

        # --- so does the counter-approval throttle (a supervisor's password typed at the till)
        r = _login(base, "recepcion")
        assert r.status_code == 200, r.text
        clerk = {"Authorization": f"Bearer {r.json()['access_token']}"}

        def discounted(password: str) -> httpx.Response:
            discount = {
                "kind": "percent",
                "value": "50",
                "reason": "Campaña",
                "approver_username": "supervisora",
                "approver_password": password,
            }
            order = {"patient_id": body["patient_id"], "items": [service_id], "discount": discount}
            return httpx.post(f"{base}/api/orders", json=order, headers=clerk, timeout=30)

        kinds = [discounted(f"adivina-{n}").json()["detail"][0]["type"] for n in range(5)]
        assert kinds == ["approval_invalid"] * 5
        r = discounted(PASSWORD)
        assert r.status_code == 429 and r.json()["detail"][0]["type"] == "approval_throttled"
        assert (node / "approvals.json").exists()

        # --- kill -9 one API process: the supervisor replaces it, serving goes on
        victim = min(kids)
        os.kill(victim, signal.SIGKILL)
        until("a replacement process", lambda: len(_children(supervisor) - kids) == 1 or None)
        after = _children(supervisor)
        assert victim not in after and len(after) == 2
        for _ in range(6):  # fresh connections, whichever process answers
            r = httpx.post(f"{base}/api/orders", json=body, headers=h, timeout=30)
            assert r.status_code == 201, r.text
            acked.append(r.json()["id"])

        # --- SIGTERM stops every process, gracefully
        assert terminate(proc) == 0
    assert not [k for k in after if Path(f"/proc/{k}").exists()]  # stopped and reaped
    text = log.read_text()
    assert "database is locked" not in text
    assert '"worker": 0' in text and '"worker": 1' in text  # logs say which process
    assert "worker exited; restarting" in text and "killed by SIGKILL" in text

    db = sqlite3.connect(node / "edge.sqlite3")
    try:
        ids = [row[0] for row in db.execute("SELECT id FROM lab_order")]
        assert Counter(ids)[acked[0]] == 1 and set(acked) <= set(ids)
        assert len(acked) == len(set(acked))
        numbers = sorted(int(row[0].rsplit("-", 1)[1]) for row in db.execute(
            "SELECT number FROM lab_order"))  # fmt: skip
        assert numbers == list(range(1, len(numbers) + 1))
        series = db.execute(
            "SELECT series, count(*), min(number), max(number), count(DISTINCT number) "
            "FROM invoice GROUP BY series"
        ).fetchall()
        assert series, "every sale issues its document"
        for name, count, low, high, distinct in series:
            assert (low, high, distinct) == (1, count, count), name
        issued = db.execute("SELECT count(*) FROM invoice WHERE order_id IS NOT NULL")
        assert issued.fetchone()[0] == len(acked)
        count, low, high = db.execute(
            "SELECT count(*), min(seq), max(seq) FROM sync_outbox"
        ).fetchone()
        assert high - low + 1 == count  # gapless (seq is the primary key: unique)
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()


def test_the_rate_limit_is_per_node_not_per_process(node: Path, tmp_path: Path) -> None:
    (node / "ratelimit.shm").unlink(missing_ok=True)  # counts of the test before (same IP)
    with _serve(node, tmp_path / "serve.log", "5") as served:
        base, kids, h = served.base, served.kids, served.admin
        codes: list[int] = []
        # fresh connections until both processes have answered this user (each maps the
        # shared file on its first rate-limited request)
        while len(codes) < 300 and not all(_maps(k, "ratelimit.shm") for k in kids):
            codes.append(httpx.get(f"{base}/api/auth/me", headers=h, timeout=10).status_code)
        codes += [httpx.get(f"{base}/api/auth/me", headers=h).status_code for _ in range(10)]
        assert all(_maps(k, "ratelimit.shm") for k in kids), "one process took every request"
        # the login counted against the IP, not the user: five for the user, node-wide
        assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}, codes


@pytest.mark.parametrize("value", ["0", "-1", "17", "dos", ""])
def test_bad_worker_counts_get_a_clear_spanish_error(tmp_path: Path, value: str) -> None:
    r = run_labred("edge", "serve", "--data-dir", str(tmp_path / "e"), "--workers", value)
    assert r.returncode == 1
    assert "--workers debe ser un número entero entre 1 y 16" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_a_bad_workers_setting_gets_a_clear_spanish_error(tmp_path: Path) -> None:
    r = run_labred(
        "edge", "serve", "--data-dir", str(tmp_path / "e"), env={"LABRED_EDGE_WORKERS": "0"}
    )
    assert r.returncode == 1
    assert "LABRED_EDGE_WORKERS debe ser un número entero entre 1 y 16" in r.stderr, r.stderr


def test_a_taken_port_is_one_sentence(node: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run_labred(
            "edge", "serve", "--data-dir", str(node), "--port", str(port), "--workers", "2"
        )
    assert r.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
