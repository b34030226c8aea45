"""The real processes of one business day: the demo harness (SUNAT simulator, hub with its
embedded PostgreSQL, hub worker, one sede's edge, its worker and its laboratory stand-in), an
SMTP stand-in the hub worker sends through, and the clocks of the hub and the sede set to
09:00 in Lima so the business date cannot change while the day is played."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from domain.clock import LIMA
from labred.demo.orchestrator import Demo, DemoOptions
from labred.demo.play_waiting import port_open
from labred.demo.processes import labred_argv, run_once
from labred.demo.topology import DEMO_PASSWORD
from sandbox.daygen import login
from sandbox.smtp import SmtpSandbox
from tests.procs import free_port_block


@dataclass
class Day:
    demo: Demo
    smtp: SmtpSandbox
    business_date: dt.date
    start_up: list[tuple[str, float]]

    @property
    def edge_url(self) -> str:
        return self.demo.t.edge_url(1)

    @property
    def hub_url(self) -> str:
        return self.demo.t.hub_url()

    @property
    def sunat_url(self) -> str:
        return self.demo.t.sunat_sim_url()

    @property
    def edge_dir(self) -> Path:
        return self.demo.t.edge_dir(1)

    def edge(self, username: str) -> httpx.Client:
        client = httpx.Client(base_url=self.edge_url, timeout=30)
        login(client, username, DEMO_PASSWORD)
        return client

    def hub(self, username: str) -> httpx.Client:
        client = httpx.Client(base_url=self.hub_url, timeout=60)
        login(client, username, DEMO_PASSWORD)
        return client

    def faults(self, **changes: Any) -> None:
        r = httpx.post(f"{self.sunat_url}/_sim/faults", json=changes, timeout=10)
        assert r.status_code == 200, r.text


def nine_in_lima(now: dt.datetime) -> tuple[int, dt.date]:
    """(offset in seconds, business date): the latest 09:00 in Lima at or before ``now``."""
    local = now.astimezone(LIMA)
    nine = local.replace(hour=9, minute=0, second=0, microsecond=0)
    if nine > local:
        nine -= dt.timedelta(days=1)
    return int((nine - local).total_seconds()), nine.date()


def until(what: str, probe: Callable[[], Any], timeout: float = 40, every: float = 0.25) -> Any:
    """``probe()``'s first truthy value, polled every ``every`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            last = probe()
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@contextlib.contextmanager
def business_day(data_dir: Path) -> Iterator[Day]:
    demo = Demo(DemoOptions(sedes=1, port_base=free_port_block(), data_dir=data_dir, headless=True))
    smtp = SmtpSandbox(folder=data_dir / "mail").start()
    start_up: list[tuple[str, float]] = []
    t0 = time.monotonic()

    def lap(name: str) -> None:
        nonlocal t0
        start_up.append((name, time.monotonic() - t0))
        t0 = time.monotonic()

    try:
        set_up(demo)
        lap("set-up")
        offset, day = nine_in_lima(dt.datetime.now(dt.UTC))
        for name in ("hub", "S01"):
            demo.t.clock_file(name).write_text(str(offset))
        (demo.t.hub_dir / "notifications.toml").write_text(
            f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nbackoff_seconds = 1.0\n'
        )
        demo.start()
        lap("processes")
        until("the sede's users", lambda: _login_ok(demo), timeout=60)
        lap("users")
        until("the results listener", lambda: port_open(demo.t.listener_port(1)), timeout=60)
        lap("listener")
        yield Day(demo=demo, smtp=smtp, business_date=day, start_up=start_up)
    finally:
        demo.stop()
        smtp.stop()


def set_up(demo: Demo) -> None:
    """``Demo.setup`` with the sede's ``edge init`` run beside the hub's migrate and seed."""
    log = demo.t.logs / "setup.log"
    demo._write_hub_config()
    demo._write_edge_config(1)
    hub = labred_argv("migrate", "hub", "--data-dir", str(demo.t.hub_dir))
    seed = labred_argv(
        "hub",
        "seed",
        "--data-dir",
        str(demo.t.hub_dir),
        "--sedes",
        "1",
        "--admin-password",
        DEMO_PASSWORD,
        "--lab-port-base",
        str(demo.t.port_base),
    )
    edge = labred_argv(
        "edge",
        "init",
        "--data-dir",
        str(demo.t.edge_dir(1)),
        "--sede-code",
        "S01",
        "--admin-password",
        DEMO_PASSWORD,
    )
    with ThreadPoolExecutor(2) as pool:
        hub_done = pool.submit(_in_turn, [("hub migrate", hub), ("hub seed", seed)], log)
        edge_done = pool.submit(run_once, "edge init", edge, demo.t.logs / "setup-edge.log")
        hub_done.result()
        edge_done.result()


def _in_turn(steps: list[tuple[str, list[str]]], log: Path) -> None:
    for name, argv in steps:
        run_once(name, argv, log)


def sede_threshold(day: Day) -> Decimal:
    """The cash difference threshold as the sede's own database has it."""
    db = sqlite3.connect(f"file:{day.edge_dir / 'edge.sqlite3'}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT cash_difference_threshold_cents FROM sede").fetchone()
    finally:
        db.close()
    return Decimal(row[0]) / 100


def _login_ok(demo: Demo) -> bool:
    r = httpx.post(
        demo.t.edge_url(1) + "/api/auth/login",
        json={"username": "recepcion.s01", "password": DEMO_PASSWORD},
        timeout=10,
    )
    return r.status_code == 200


def dump(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, indent=1)[:3000]
