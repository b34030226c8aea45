"""The demo's orchestration: set up, start, wait, play (headless), check, report, stop."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from edge.settings import job_intervals_toml
from labred.demo.processes import (
    Child,
    labred_argv,
    run_once,
    stop_all,
    stop_embedded_postgres,
    wait_ready,
)
from labred.demo.topology import DEMO_PASSWORD, Topology, sede_code
from labred.errors import CliError

SHARED_SUNAT = Path(__file__).resolve().parents[3] / "shared" / "sunat"
PARALLEL = 8  # set-up commands run at once at most (up to 40 sedes' inits and enrolments)
# The sedes' worker jobs run more often than a real sede's (sync.pull 5 s, sunat.summaries 15 s,
# ...: edge.toml's job_intervals), so the played days wait on the work, not on the cadences; a
# round when idle is one small query, a few per second for 3 sedes on 2 cores. The tests'
# workers use them too (tests/procs.py).
SEDE_JOB_INTERVALS: dict[str, float] = {
    "sync.pull": 1.0,
    "sunat.send": 1.0,
    "sunat.summaries": 2.0,
    "lab.send": 1.0,
    "lab.listener": 2.0,
    "billing.missing_files": 2.0,
    "billing.restored_files": 2.0,
    "billing.series_fence": 2.0,
    "disk.check": 5.0,
}


@dataclass(frozen=True)
class DemoOptions:
    sedes: int
    port_base: int
    data_dir: Path
    headless: bool
    days: int = 1
    orders_per_day: int = 20
    seed: int = 7


class Demo:
    def __init__(self, options: DemoOptions) -> None:
        self.o = options
        self.t = Topology(options.port_base, options.data_dir, options.sedes)
        self.children: list[Child] = []
        self.links: dict[int, object] = {}
        self._stop = threading.Event()

    def _say(self, text: str) -> None:
        print(text, flush=True)

    # -- checks ---------------------------------------------------------------------------
    def _check_options(self) -> None:
        if not 1 <= self.o.sedes <= 40:
            raise CliError("--sedes must be between 1 and 40")
        if not 1 <= self.o.days <= 60:
            raise CliError("--days must be between 1 and 60")
        if not 1 <= self.o.orders_per_day <= 2000:
            raise CliError("--orders-per-day must be between 1 and 2000")
        if not 1024 <= self.o.port_base <= 65000 - 500:
            raise CliError("--port-base must be between 1024 and 64500")
        from labred.serving import PortError, check_port

        for port in self.t.all_ports():
            try:
                check_port("127.0.0.1", port)
            except PortError as exc:
                raise CliError(str(exc)) from None
        from sync.config import ConfigError, ensure_data_dir

        try:
            ensure_data_dir(self.o.data_dir)
        except ConfigError as exc:
            raise CliError(str(exc)) from None

    # -- set-up ---------------------------------------------------------------------------
    def _write_edge_config(self, k: int) -> None:
        d = self.t.edge_dir(k)
        d.mkdir(parents=True, exist_ok=True)
        offset = self.t.clock_file(sede_code(k))
        offset.parent.mkdir(parents=True, exist_ok=True)
        offset.touch()
        config = {
            "port": self.t.edge_port(k),
            "hub_url": self.t.link_url(k),
            "sunat_url": self.t.sunat_url(),
            "sunat_username": "20100070970MODDATOS",
            "sunat_password": "moddatos",
            "rate_limit_per_minute": 100000,
            "clock_offset_file": str(offset),
        }
        lines = [f"{key} = {json.dumps(value)}" for key, value in config.items()]
        lines.append(job_intervals_toml(SEDE_JOB_INTERVALS))
        (d / "edge.toml").write_text("\n".join(lines) + "\n")

    def _write_hub_config(self) -> None:
        self.t.hub_dir.mkdir(parents=True, exist_ok=True)
        offset = self.t.clock_file("hub")
        offset.parent.mkdir(parents=True, exist_ok=True)
        offset.touch()
        (self.t.hub_dir / "hub.toml").write_text(
            f"rate_limit_per_minute = 100000\nclock_offset_file = {json.dumps(str(offset))}\n"
        )

    def setup(self) -> None:
        total = 2 + self.o.sedes
        if self.o.headless:  # its invariants hold for the days it plays, on fresh nodes
            try:
                removed = self.t.clear_previous()
            except ValueError as exc:
                raise CliError(str(exc)) from None
            if removed:
                self._say(f"removing the previous demo's data in {self.t.data_dir} ...")
        self._say(f"[1/{total}] preparing the hub database and its demo data ...")
        self._say(
            "the sedes' workers use short job intervals (job_intervals in their edge.toml: "
            + ", ".join(f"{name} {secs:g} s" for name, secs in SEDE_JOB_INTERVALS.items())
            + "); a real sede keeps each job's own"
        )
        self._write_hub_config()
        hub_dir = str(self.t.hub_dir)
        hub = [
            ("hub migrate", labred_argv("migrate", "hub", "--data-dir", hub_dir)),
            (
                "hub seed",
                labred_argv(
                    "hub", "seed", "--data-dir", hub_dir, "--sedes", str(self.o.sedes),
                    "--admin-password", DEMO_PASSWORD,
                    # a laboratory system per sede, at its stand-in's ports
                    "--lab-port-base", str(self.o.port_base),
                ),
            ),
        ]  # fmt: skip
        edges = []
        for k in range(1, self.o.sedes + 1):
            self._say(f"[{k + 1}/{total}] preparing sede {sede_code(k)} ...")
            self._write_edge_config(k)
            argv = labred_argv(
                "edge", "init", "--data-dir", str(self.t.edge_dir(k)),
                "--sede-code", sede_code(k), "--admin-password", DEMO_PASSWORD,
            )  # fmt: skip
            edges.append((f"edge {sede_code(k)} init", argv, self._setup_log(k)))
        # The sedes' databases are independent of the hub's: all are prepared side by side.
        with ThreadPoolExecutor(max_workers=min(1 + len(edges), PARALLEL)) as pool:
            done = [pool.submit(_in_turn, hub, self._setup_log(0))]
            done += [pool.submit(run_once, *edge) for edge in edges]
            for future in done:
                future.result()

    def _setup_log(self, k: int) -> Path:
        """The log of the set-up commands of the hub (``k`` 0) or of sede ``k``."""
        return self.t.logs / ("setup.log" if k == 0 else f"setup-{sede_code(k)}.log")

    def _child(self, name: str, argv: list[str], log: str, ready: str | None) -> Child:
        child = Child(name, argv, self.t.logs / log, ready_url=ready)
        self.children.append(child)
        child.start()
        return child

    def start(self) -> None:
        total = 2 + self.o.sedes
        self._say(f"[{total}/{total}] starting the sandbox, the hub and the sedes ...")
        sunat = [
            "sandbox",
            "sunat",
            "--port",
            str(self.t.sunat_port),
            "--state-db",
            str(self.t.sandbox_dir / "sunat.sqlite3"),
        ]
        self.t.sandbox_dir.mkdir(parents=True, exist_ok=True)
        if (SHARED_SUNAT / "validate.py").exists():
            sunat += ["--sunat-data", str(SHARED_SUNAT)]
        self._child(
            "sunat",
            labred_argv(*sunat),
            "sunat.log",
            f"http://127.0.0.1:{self.t.sunat_port}/_sim/faults",
        )
        self._child(
            "hub",
            labred_argv(
                "hub", "serve", "--data-dir", str(self.t.hub_dir), "--port", str(self.t.hub_port)
            ),
            "hub.log",
            self.t.hub_url() + "/ready",
        )
        wait_ready(self.children)
        self._child(
            "hub worker",
            labred_argv("hub", "worker", "--data-dir", str(self.t.hub_dir)),
            "hub-worker.log",
            None,
        )
        from sandbox.netcut import CutProxy

        for k in range(1, self.o.sedes + 1):
            self.links[k] = CutProxy(self.t.link_port(k), "127.0.0.1", self.t.hub_port).start()
        codes = self._enrolment_codes()

        def enroll(k: int) -> None:
            argv = labred_argv(
                "edge", "enroll", "--data-dir", str(self.t.edge_dir(k)),
                "--hub", self.t.link_url(k), "--code", codes[k],
            )  # fmt: skip
            run_once(f"edge {sede_code(k)} enroll", argv, self._setup_log(k))

        with ThreadPoolExecutor(max_workers=min(self.o.sedes, PARALLEL)) as pool:
            list(pool.map(enroll, range(1, self.o.sedes + 1)))
        for k in range(1, self.o.sedes + 1):
            self._child(
                f"lab {sede_code(k)}",
                labred_argv(
                    "sandbox",
                    "lab",
                    "--port",
                    str(self.t.lab_port(k)),
                    "--mllp-port",
                    str(self.t.lab_mllp_port(k)),
                    "--results-mllp",
                    f"127.0.0.1:{self.t.listener_port(k)}",
                    "--result-delay",
                    "1",
                ),
                f"lab-{sede_code(k)}.log",
                None,
            )
            edge_dir = str(self.t.edge_dir(k))
            self._child(
                f"edge {sede_code(k)}",
                labred_argv(
                    "edge", "serve", "--data-dir", edge_dir, "--port", str(self.t.edge_port(k))
                ),
                f"edge-{sede_code(k)}.log",
                self.t.edge_url(k) + "/ready",
            )
            self._child(
                f"worker {sede_code(k)}",
                labred_argv("edge", "worker", "--data-dir", edge_dir),
                f"edge-worker-{sede_code(k)}.log",
                None,
            )
        self._say("waiting for every node to be ready ...")
        wait_ready(self.children)

    def _enrolment_codes(self) -> dict[int, str]:
        from domain.ids import sede_id_for
        from sandbox.daygen import login

        codes: dict[int, str] = {}
        hub = httpx.Client(base_url=self.t.hub_url(), timeout=30)
        with contextlib.closing(hub):
            login(hub, "admin", DEMO_PASSWORD)
            for k in range(1, self.o.sedes + 1):
                r = hub.post(
                    "/api/sync/nodes",
                    json={"sede_id": sede_id_for(sede_code(k)), "name": f"Nodo {sede_code(k)}"},
                )
                if r.status_code not in (200, 201):
                    raise RuntimeError(f"creating node {sede_code(k)}: {r.status_code} {r.text}")
                codes[k] = r.json()["enrolment_code"]
        return codes

    # -- output ---------------------------------------------------------------------------
    def print_table(self) -> None:
        from tui.cli import tui_command

        rows = [("hub", self.t.hub_url() + "/panel", "admin", str(self.t.hub_dir))]
        for k in range(1, self.o.sedes + 1):
            low = sede_code(k).lower()
            rows.append(
                (
                    f"sede {sede_code(k)}",
                    self.t.edge_url(k) + "/recepcion",
                    f"recepcion.{low}, supervisor.{low}",
                    str(self.t.edge_dir(k)),
                )
            )
        width = max(len(r[1]) for r in rows)
        self._say("")
        self._say(f"{'node':<10} {'url':<{width}}  {'users':<36} data")
        for name, url, users, data in rows:
            self._say(f"{name:<10} {url:<{width}}  {users:<36} {data}")
        self._say(
            f"\nevery demo user's password: {DEMO_PASSWORD} (also 'laboratorio' for the laboratory)"
        )
        for k in range(1, self.o.sedes + 1):
            self._say(f"TUI for {sede_code(k)}: {tui_command(self.t.edge_url(k))}")
        self._say("")

    def stop(self) -> None:
        for link in self.links.values():
            link.stop()  # type: ignore[attr-defined]
        stop_all(self.children)
        stop_embedded_postgres(self.t.hub_dir / "pg")

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stop.set()

    def run(self) -> int:
        self._check_options()
        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            started = time.monotonic()
            self.setup()
            self.start()
            self.print_table()
            self._say(
                f"all {len(self.children)} processes ready in {time.monotonic() - started:.1f} s"
            )
            if self.o.headless:
                from labred.demo.play import play_and_check

                return play_and_check(self)
            self._say("demo running — press Ctrl-C to stop")
            while not self._stop.wait(0.5):
                dead = [c for c in self.children if not c.alive()]
                if dead:
                    self._say(f"{dead[0].name} stopped unexpectedly:\n{dead[0].log_tail()}")
                    return 1
            return 0
        except RuntimeError as exc:
            print(f"labred demo: {exc}", file=sys.stderr)
            return 1
        finally:
            self._say("stopping every process ...")
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _in_turn(steps: list[tuple[str, list[str]]], log: Path) -> None:
    """Run set-up commands one after the other (``run_once`` each)."""
    for name, argv in steps:
        run_once(name, argv, log)
