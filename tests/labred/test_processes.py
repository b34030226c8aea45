"""Real processes: the headless demo, and kill -9 of a hub (with its PostgreSQL) and of an edge."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psycopg
import pytest

from tests.procs import (
    free_port,
    free_port_block,
    kill9,
    processes_mentioning,
    run_labred,
    running,
)

pytestmark = pytest.mark.slow


def _wait_gone(text: str, timeout: float = 15) -> list[int]:
    deadline = time.monotonic() + timeout
    left = processes_mentioning(text)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = processes_mentioning(text)
    return left


def test_headless_demo_three_sedes_exits_0_and_leaves_nothing(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    base = free_port_block()
    res = run_labred(
        "demo",
        "--headless",
        "--orders-per-day",
        "4",
        "--sedes",
        "3",
        "--data-dir",
        str(data),
        "--port-base",
        str(base),
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    for name in ("hub", "sede S01", "sede S02", "sede S03"):
        assert name in res.stdout
    assert f"http://127.0.0.1:{base + 3}" in res.stdout
    assert "invariants:" in res.stdout and ", 0 broken" in res.stdout
    # the 4th order of the last sede's day is covered in full by a convenio: its NC 07 is
    # rejected by the SUNAT simulator and re-issued
    assert "convenio credit note at S03: order S03-" in res.stdout, res.stdout
    assert "rejected by SUNAT (2800), re-issued as" in res.stdout
    # a late patient after the last day's closing: S01's day reopened, one sale, sealed again
    assert "late patient after closing at S01" in res.stdout, res.stdout
    assert "day sealed again (" in res.stdout
    # housekeeping at every node, as a month later, before the late sale; the sync lag printed
    # is measured on the hub's clock alone
    assert "housekeeping 33 days ahead, every node at once" in res.stdout, res.stdout
    assert "sync lag at the end (hub's sync health, on the hub's clock): S01 " in res.stdout
    assert "not measurable" not in res.stdout
    assert _wait_gone(str(data)) == []


def test_demo_stops_children_on_sigterm(tmp_path: Path) -> None:
    from tests.procs import labred

    data = tmp_path / "demo"
    base = free_port_block()
    log = tmp_path / "demo.log"
    proc = labred(
        "demo", "--sedes", "1", "--data-dir", str(data), "--port-base", str(base), log=log
    )
    deadline = time.monotonic() + 120
    while "press Ctrl-C" not in log.read_text() and time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        time.sleep(0.2)
    assert len(processes_mentioning(str(data))) >= 2  # hub and edge are up
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=60) == 0, log.read_text()
    assert _wait_gone(str(data)) == []


def _pg_conninfo(pg_dir: Path) -> str:
    lines = (pg_dir / "postmaster.pid").read_text().splitlines()
    port, socket_dir = lines[3].strip(), lines[4].strip()
    return f"host={socket_dir} port={port} user=postgres dbname=labred"


def test_hub_and_its_postgres_survive_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    assert run_labred("migrate", "hub", "--data-dir", str(data)).returncode == 0
    port = free_port()
    args = ("hub", "serve", "--data-dir", str(data), "--port", str(port))
    url = f"http://127.0.0.1:{port}/ready"
    with running(*args, ready_url=url, log=tmp_path / "hub.log") as proc:
        with psycopg.connect(_pg_conninfo(data / "pg"), autocommit=True) as conn:
            conn.execute("CREATE TABLE probe (id int primary key, note text)")
            conn.execute("INSERT INTO probe SELECT g, 'fila ' || g FROM generate_series(1, 500) g")
        pg_pid = int((data / "pg" / "postmaster.pid").read_text().splitlines()[0])
        kill9(proc)
        os.kill(pg_pid, signal.SIGKILL)
    assert _wait_gone(str(data / "pg"), timeout=20) == []
    with running(*args, ready_url=url, log=tmp_path / "hub2.log"):
        with psycopg.connect(_pg_conninfo(data / "pg")) as conn:
            count = conn.execute("SELECT count(*) FROM probe").fetchone()
    assert count == (500,)
    assert _wait_gone(str(data / "pg"), timeout=20) == []  # stopped with the hub


def test_edge_survives_kill_9(tmp_path: Path) -> None:
    from edge.db import make_engine, unit_of_work
    from sync import outbox

    data = tmp_path / "edge"
    assert run_labred("edge", "init", "--data-dir", str(data)).returncode == 0
    port = free_port()
    args = ("edge", "serve", "--data-dir", str(data), "--port", str(port))
    url = f"http://127.0.0.1:{port}/ready"
    with running(*args, ready_url=url, log=tmp_path / "edge.log") as proc:
        engine = make_engine(data / "edge.sqlite3")
        for i in range(200):
            with unit_of_work(engine) as s:
                outbox.record_change(s, record_type="probe", record_id=str(i), payload={"i": i})
        engine.dispose()
        kill9(proc)
    with running(*args, ready_url=url, log=tmp_path / "edge2.log"):
        engine = make_engine(data / "edge.sqlite3")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            seqs = [r[0] for r in conn.exec_driver_sql("SELECT seq FROM sync_outbox ORDER BY seq")]
        engine.dispose()
    assert seqs == list(range(1, 201))
