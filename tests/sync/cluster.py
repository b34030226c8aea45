"""Real-process replication tests: a hub (with its embedded PostgreSQL) and edge nodes (API +
worker) started with ``labred``, reception sales over HTTP, and the reads the checks need."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from domain.ids import sede_id_for
from sandbox.daygen import login
from sync.faultenv import ENV_MARKERS, ENV_PAUSE
from tests.procs import (
    free_port,
    init_edge,
    kill9,
    labred,
    run_labred,
    seeded_hub,
    terminate,
    wait_ready,
)

PASSWORD = "clave-prueba-kill9"
MARK_TIMEOUT = 40.0


@dataclass
class Edge:
    k: int
    data: Path
    port: int
    serve: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    orders: list[str] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        return f"S{self.k:02d}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.data / 'edge.sqlite3'}?mode=ro", uri=True)

    @property
    def db_path(self) -> Path:
        return self.data / "edge.sqlite3"

    def backup(self, target: Path) -> None:
        """An online copy of the node's database, as the backup tool takes it."""
        with sqlite3.connect(self.db_path) as live, sqlite3.connect(target) as dst:
            live.backup(dst)

    def restore(self, backup: Path) -> None:
        """The disk died (the node's processes are stopped): the backup becomes the database."""
        for side in (Path(f"{self.db_path}-wal"), Path(f"{self.db_path}-shm")):
            side.unlink(missing_ok=True)
        backup.replace(self.db_path)


class Cluster:
    """A hub and ``edges`` edge nodes as real processes under ``root``."""

    def __init__(self, root: Path, edges: int = 2) -> None:
        self.root = root
        self.hub_dir = root / "hub"
        self.hub_port = free_port()
        self.hub: subprocess.Popen[bytes] | None = None
        self.edges = [Edge(k, root / f"edge{k}", free_port()) for k in range(1, edges + 1)]
        self.starts = 0
        self.t0 = time.monotonic()

    def phase(self, what: str) -> None:
        print(f"[{time.monotonic() - self.t0:5.1f} s] {what}", flush=True)

    # ------------------------------------------------------------------ processes
    def log(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    def _faults(self, name: str, pause: str | None) -> dict[str, str]:
        return {ENV_PAUSE: pause, ENV_MARKERS: str(self.root / "marks" / name)} if pause else {}

    def spawn_hub(self, pause: str | None = None) -> None:
        self.starts += 1
        log = self.log(f"hub{self.starts}")
        args = ("hub", "serve", "--data-dir", str(self.hub_dir), "--port", str(self.hub_port))
        self.hub = labred(*args, log=log, env=self._faults(f"hub{self.starts}", pause))

    def wait_hub(self) -> None:
        assert self.hub is not None
        wait_ready(
            f"http://127.0.0.1:{self.hub_port}/ready", self.hub, self.log(f"hub{self.starts}")
        )

    def start_hub(self, pause: str | None = None) -> None:
        self.spawn_hub(pause)
        self.wait_hub()

    def kill_hub(self) -> None:
        """kill -9 the hub and its PostgreSQL (a power cut of the hub machine)."""
        assert self.hub is not None
        pid_file = self.hub_dir / "pg" / "postmaster.pid"
        pg_pid = int(pid_file.read_text().splitlines()[0])
        kill9(self.hub)
        try:
            os.kill(pg_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 15
        while alive(pg_pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def start_worker(self, edge: Edge, pause: str | None = None, tag: str = "w") -> None:
        name = f"edge{edge.k}-{tag}"
        edge.worker = labred(
            "edge",
            "worker",
            "--data-dir",
            str(edge.data),
            log=self.log(name),
            env=self._faults(name, pause),
        )

    def wait_mark(self, name: str, point: str) -> None:
        path = self.root / "marks" / name / point
        deadline = time.monotonic() + MARK_TIMEOUT
        while not path.exists():
            assert time.monotonic() < deadline, f"{name} never reached {point}"
            time.sleep(0.05)

    def kill_at_marks(self) -> None:
        """kill -9 each paused process the moment it stops (a pull page holds the edge's write
        lock meanwhile), and start it again at once (without a pause)."""
        marks = self.root / "marks"
        left = {"hub1/hub.before_commit", "edge1-w/edge.after_reply", "edge2-w/edge.mid_pull_page"}
        deadline = time.monotonic() + MARK_TIMEOUT
        while left:
            assert time.monotonic() < deadline, f"never reached: {sorted(left)}"
            for mark in sorted(left):
                if not (marks / mark).exists():
                    continue
                left.discard(mark)
                if mark.startswith("hub"):
                    self.kill_hub()
                    self.spawn_hub()
                    continue
                edge = self.edges[int(mark[4]) - 1]
                assert edge.worker is not None
                kill9(edge.worker)
                self.start_worker(edge, tag="w2")
            time.sleep(0.02)

    def stop(self) -> None:
        for edge in self.edges:
            for proc in (edge.worker, edge.serve):
                if proc is not None and proc.poll() is None:
                    terminate(proc)
        if self.hub is not None and self.hub.poll() is None:
            terminate(self.hub)

    # ------------------------------------------------------------------ set-up
    def setup(self) -> None:
        self.hub_dir.mkdir(parents=True)
        (self.root / "logs").mkdir()
        (self.hub_dir / "hub.toml").write_text("rate_limit_per_minute = 1000000\n")
        seeded_hub(self.hub_dir, sedes=2, admin_password=PASSWORD)  # migrated and seeded
        for e in self.edges:
            init_edge(e.data, PASSWORD, demo_catalog=False, extra=("--sede-code", e.code))
            (e.data / "edge.toml").write_text(
                f"port = {e.port}\nrate_limit_per_minute = 1000000\n"
                "sync_digest_interval_s = 0\n"  # compare at every pull: a drift shows at once
            )

    def enrol_and_serve(self) -> None:
        admin = self.hub_admin()
        self.phase("hub up")
        hub = f"http://127.0.0.1:{self.hub_port}"
        enrolling = []
        for e in self.edges:
            r = admin.post("/api/sync/nodes", json={"sede_id": sede_id_for(e.code), "name": e.code})
            assert r.status_code == 201, r.text
            enrol = ("edge", "enroll", "--data-dir", str(e.data), "--hub", hub)
            log = self.log(f"edge{e.k}-enrol")
            enrolling.append((labred(*enrol, "--code", r.json()["enrolment_code"], log=log), log))
        admin.close()
        for proc, log in enrolling:
            assert proc.wait(timeout=120) == 0, log.read_text()
        for e in self.edges:
            serve = ("edge", "serve", "--data-dir", str(e.data), "--port", str(e.port))
            e.serve = labred(*serve, log=self.log(f"edge{e.k}-serve"))
        for e in self.edges:
            assert e.serve is not None
            wait_ready(f"{e.url}/ready", e.serve, self.log(f"edge{e.k}-serve"))

    def re_enroll(self, edge: Edge) -> subprocess.CompletedProcess[str]:
        """``labred edge enroll`` with a new code from the hub (after a restore)."""
        with contextlib.closing(self.hub_admin()) as admin:
            r = admin.post("/api/sync/nodes", json={"sede_id": sede_id_for(edge.code)})
            assert r.status_code == 201, r.text
            code = r.json()["enrolment_code"]
        hub = f"http://127.0.0.1:{self.hub_port}"
        res = run_labred(
            "edge", "enroll", "--data-dir", str(edge.data), "--hub", hub, "--code", code
        )
        assert res.returncode == 0, res.stdout + res.stderr
        return res

    def hub_admin(self) -> httpx.Client:
        client = httpx.Client(base_url=f"http://127.0.0.1:{self.hub_port}", timeout=20)
        login(client, "admin", PASSWORD)
        return client

    def hub_change(self, pct: str) -> None:
        with contextlib.closing(self.hub_admin()) as admin:
            r = admin.put("/api/config/settings", json={"discount_approval_threshold_pct": pct})
            assert r.status_code == 200, r.text

    # ------------------------------------------------------------------ hub reads
    def pg(self) -> psycopg.Connection[Any]:
        lines = (self.hub_dir / "pg" / "postmaster.pid").read_text().splitlines()
        return psycopg.connect(
            f"host={lines[4].strip()} port={lines[3].strip()} user=postgres dbname=labred",
            autocommit=True,
        )

    def pg_url(self) -> str:
        lines = (self.hub_dir / "pg" / "postmaster.pid").read_text().splitlines()
        return (
            f"postgresql+psycopg://postgres@/labred?host={lines[4].strip()}&port={lines[3].strip()}"
        )


def _ok(res: subprocess.CompletedProcess[str]) -> None:
    assert res.returncode == 0, res.stdout + res.stderr


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def reception(edge: Edge) -> tuple[httpx.Client, list[dict[str, Any]]]:
    """A signed-in reception client with the cash drawer open, and the active services."""
    client = httpx.Client(base_url=edge.url, timeout=15)
    login(client, f"recepcion.{edge.code.lower()}", PASSWORD)
    services = client.get("/api/catalog/services/active").json()["items"]
    r = client.post("/api/cash/sessions", json={"opening_float": "100.00"})
    assert r.status_code in (201, 409), r.text  # 409: the drawer is already open
    return client, services


def sell_one(client: httpx.Client, edge: Edge, services: list[dict[str, Any]], i: int) -> None:
    """Register a patient, sell one test, pay it; the ids the API confirmed go to ``edge``."""
    person = {
        "doc_type": "1",
        "doc_number": f"{40 + edge.k}{i:06d}",
        "first_names": "Ana",
        "last_names": "Quispe Rojas",
        "sex": "F",
    }
    p = client.post("/api/patients", json=person)
    assert p.status_code == 201, p.text
    body = {"patient_id": p.json()["id"], "items": [services[i % len(services)]["id"]]}
    o = client.post("/api/orders", json=body)
    assert o.status_code == 201, o.text
    order = o.json()
    edge.orders.append(order["id"])
    pay = {"method": "tarjeta", "amount": order["balance"], "reference": f"V{i:04d}"}
    r = client.post(f"/api/orders/{order['id']}/payments", json={"payments": [pay]})
    assert r.status_code in (200, 201), r.text
    edge.payments.extend(x["id"] for x in r.json()["payments"])


def wait_for(what: str, predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def hub_head(c: Cluster) -> int:
    with c.pg() as conn:
        row = conn.execute("SELECT value FROM sync_feed_counter WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def settled(c: Cluster, e: Edge) -> bool:
    with e.db() as db:
        acked, last, cursor = db.execute(
            "SELECT acked_seq, last_seq, pull_cursor FROM sync_state"
        ).fetchone()
        deferred = db.execute("SELECT count(*) FROM sync_deferred").fetchone()[0]
    return bool(acked == last and cursor == hub_head(c) and not deferred)
