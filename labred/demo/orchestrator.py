"""The demo's orchestration: set up, start, wait, (play), report, stop."""

from __future__ import annotations

import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from labred.demo.processes import (
    Child,
    labred_argv,
    run_once,
    stop_all,
    stop_embedded_postgres,
    wait_ready,
)
from labred.errors import CliError


@dataclass(frozen=True)
class DemoOptions:
    sedes: int
    port_base: int
    data_dir: Path
    headless: bool
    days: int = 1
    orders_per_day: int = 20
    seed: int = 7


def sede_code(k: int) -> str:
    return f"S{k:02d}"


class Demo:
    def __init__(self, options: DemoOptions) -> None:
        self.o = options
        self.children: list[Child] = []
        self._stop = threading.Event()

    # -- paths and URLs -------------------------------------------------------------------
    @property
    def hub_dir(self) -> Path:
        return self.o.data_dir / "hub"

    def edge_dir(self, k: int) -> Path:
        return self.o.data_dir / f"edge-{sede_code(k)}"

    @property
    def logs(self) -> Path:
        return self.o.data_dir / "logs"

    def hub_url(self) -> str:
        return f"http://127.0.0.1:{self.o.port_base}"

    def edge_url(self, k: int) -> str:
        return f"http://127.0.0.1:{self.o.port_base + k}"

    # -- life cycle -----------------------------------------------------------------------
    def _say(self, text: str) -> None:
        print(text, flush=True)

    def _check_options(self) -> None:
        if not 1 <= self.o.sedes <= 40:
            raise CliError("--sedes must be between 1 and 40")
        if not 1024 <= self.o.port_base <= 65000 - self.o.sedes:
            raise CliError("--port-base must leave room for the hub and every edge (1024-65000)")
        from labred.serving import PortError, check_port

        for port in [self.o.port_base + k for k in range(self.o.sedes + 1)]:
            try:
                check_port("127.0.0.1", port)
            except PortError as exc:
                raise CliError(str(exc)) from None
        from sync.config import ConfigError, ensure_data_dir

        try:
            ensure_data_dir(self.o.data_dir)
        except ConfigError as exc:
            raise CliError(str(exc)) from None

    def setup(self) -> None:
        total = 1 + self.o.sedes
        self._say(f"[1/{total}] preparing the hub database ...")
        run_once(
            "hub migrate",
            labred_argv("migrate", "hub", "--data-dir", str(self.hub_dir)),
            self.logs / "setup.log",
        )
        for k in range(1, self.o.sedes + 1):
            self._say(f"[{k + 1}/{total}] preparing sede {sede_code(k)} ...")
            run_once(
                f"edge {sede_code(k)} init",
                labred_argv(
                    "edge", "init", "--data-dir", str(self.edge_dir(k)), "--sede-code", sede_code(k)
                ),
                self.logs / "setup.log",
            )

    def start(self) -> None:
        hub = Child(
            "hub",
            labred_argv(
                "hub", "serve", "--data-dir", str(self.hub_dir), "--port", str(self.o.port_base)
            ),
            self.logs / "hub.log",
            ready_url=self.hub_url() + "/ready",
        )
        self.children.append(hub)
        hub.start()
        for k in range(1, self.o.sedes + 1):
            edge = Child(
                f"edge {sede_code(k)}",
                labred_argv(
                    "edge",
                    "serve",
                    "--data-dir",
                    str(self.edge_dir(k)),
                    "--port",
                    str(self.o.port_base + k),
                ),
                self.logs / f"edge-{sede_code(k)}.log",
                ready_url=self.edge_url(k) + "/ready",
            )
            self.children.append(edge)
            edge.start()
        self._say("waiting for every node to be ready ...")
        wait_ready(self.children)

    def print_table(self) -> None:
        rows = [("hub", self.hub_url(), str(self.hub_dir))]
        rows += [
            (f"sede {sede_code(k)}", self.edge_url(k), str(self.edge_dir(k)))
            for k in range(1, self.o.sedes + 1)
        ]
        width = max(len(r[1]) for r in rows)
        self._say("")
        self._say(f"{'node':<10} {'url':<{width}}  data")
        for name, url, data in rows:
            self._say(f"{name:<10} {url:<{width}}  {data}")
        self._say("")

    def stop(self) -> None:
        stop_all(self.children)
        stop_embedded_postgres(self.hub_dir / "pg")

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
            if self.o.headless:
                self._say(
                    f"all {len(self.children)} nodes ready in {time.monotonic() - started:.1f} s"
                )
                return 0
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
