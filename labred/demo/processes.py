"""Child processes of the demo: start, wait until ready, stop them all, leave no orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    ready_url: str | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, env: dict[str, str] | None = None) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the demo, which stops children in order
            env={**os.environ, **(env or {})},
        )
        log.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n: int = 15) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


def labred_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "labred", *args]


def run_once(name: str, argv: list[str], log_path: Path, timeout: float = 180) -> None:
    """Run a set-up command to completion; raise with its output if it fails."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        res = subprocess.run(
            argv, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, stdin=subprocess.DEVNULL
        )
    if res.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-10:])
        raise RuntimeError(f"{name} failed (exit {res.returncode}):\n{tail}")


def wait_ready(children: list[Child], timeout: float = 90) -> None:
    """Poll each child's ready URL until 200; fail fast if a child dies."""
    deadline = time.monotonic() + timeout
    pending = [c for c in children if c.ready_url]
    with httpx.Client(timeout=2.0) as client:
        while pending:
            for child in list(pending):
                if not child.alive():
                    raise RuntimeError(f"{child.name} exited during start-up:\n{child.log_tail()}")
                try:
                    assert child.ready_url is not None
                    if client.get(child.ready_url).status_code == 200:
                        pending.remove(child)
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                names = ", ".join(c.name for c in pending)
                raise RuntimeError(f"not ready after {timeout:.0f} s: {names}")
            if pending:
                time.sleep(0.2)


def stop_all(children: list[Child], grace: float = 15) -> None:
    """SIGTERM every child (edges first, hub last), then SIGKILL what is left."""
    for child in reversed(children):
        if child.alive():
            assert child.proc is not None
            try:
                os.killpg(child.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for child in reversed(children):
        if child.proc is None:
            continue
        remaining = max(0.1, deadline - time.monotonic())
        try:
            child.proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(child.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.proc.wait(timeout=5)
        # Whatever the child's group left behind (it runs in its own session).
        try:
            os.killpg(child.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def stop_embedded_postgres(pg_dir: Path) -> None:
    """Stop an embedded PostgreSQL left running (e.g. after the hub was killed)."""
    pid_file = pg_dir / "postmaster.pid"
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
    except (ValueError, OSError, IndexError):
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.1)
