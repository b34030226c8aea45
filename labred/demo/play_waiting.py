"""What the headless demo waits on while it plays: the progress bar, the demo clock's day, the
signed-in client of each sede, and the queues (sync, SUNAT, the laboratory stand-ins) that must
drain before the checks (:mod:`labred.demo.play`)."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from labred.demo.checks import sunat_open_work
from labred.demo.topology import DEMO_PASSWORD, sede_code
from sandbox.daygen import login

if TYPE_CHECKING:
    from labred.demo.orchestrator import Demo

DAY = 86400


class Progress:
    """A one-line progress bar on stderr (the summary goes to stdout)."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.done, self.label = total, 0, label
        self._lock = threading.Lock()

    def step(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            width = 30
            filled = int(width * self.done / max(1, self.total))
            bar = "#" * filled + "-" * (width - filled)
            print(
                f"\r{self.label} [{bar}] {self.done}/{self.total}",
                end="",
                file=sys.stderr,
                flush=True,
            )
            if self.done >= self.total:
                print(file=sys.stderr, flush=True)


def set_day(demo: Demo, days_back: int) -> None:
    offset = str(-days_back * DAY)
    names = ["hub"] + [sede_code(k) for k in range(1, demo.o.sedes + 1)]
    for name in names:
        demo.t.clock_file(name).write_text(offset)
    time.sleep(1.1)  # file mtimes have 1 s resolution on some filesystems


def wait(what: str, predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(1)
    print(f"  ! timed out waiting for {what}", flush=True)
    return False


_CLIENTS: dict[int, httpx.Client] = {}


@contextlib.contextmanager
def _edge_client(demo: Demo, k: int) -> Iterator[httpx.Client]:
    """One signed-in client per sede, reused: every sign-in is audited (an outbox row), so
    signing in on each poll would keep the backlog from ever reaching zero."""
    client = _CLIENTS.get(k)
    if client is None:
        client = httpx.Client(base_url=demo.t.edge_url(k), timeout=30)
        login(client, f"supervisor.{sede_code(k).lower()}", DEMO_PASSWORD)
        _CLIENTS[k] = client
    yield client


LAST_STATUS: dict[str, Any] = {}


def all_synced(demo: Demo) -> bool:
    done = True
    for k in range(1, demo.o.sedes + 1):
        with _edge_client(demo, k) as c:
            st = c.get("/api/sync/status").json()
            LAST_STATUS[sede_code(k)] = {
                key: st.get(key)
                for key in (
                    "backlog",
                    "deferred",
                    "last_error",
                    "blocked",
                    "last_digest_result",
                    "last_digest_repaired",
                )
            }
            if st.get("backlog", 1) != 0 or st.get("deferred", 0):
                done = False
    return done


def sunat_settled(demo: Demo) -> bool:
    """Every sede's documents, resúmenes and voids answered by SUNAT (a worker still at them
    would write rows after the last sync wait, which the checks would read as unsynced)."""
    for k in range(1, demo.o.sedes + 1):
        with _edge_client(demo, k) as c:
            for state in ("pendiente", "enviado", "error_red", "por_reenviar"):
                if c.get("/api/billing", params={"state": state}).json()["count"]:
                    return False
        if any(sunat_open_work(demo.t.edge_dir(k) / "edge.sqlite3").values()):
            return False
    return True


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def lab_states(demo: Demo) -> dict[str, dict[str, Any]]:
    """Each sede's laboratory stand-in, as it saw things (``GET /_lab/state``)."""
    out: dict[str, dict[str, Any]] = {}
    for k in range(1, demo.o.sedes + 1):
        r = httpx.get(f"http://127.0.0.1:{demo.t.lab_port(k)}/_lab/state", timeout=30)
        r.raise_for_status()
        out[sede_code(k)] = r.json()
    return out


def close_clients() -> None:
    """Close the sedes' signed-in clients (the polls are over)."""
    for client in _CLIENTS.values():
        client.close()
    _CLIENTS.clear()
