"""labred.supervisor on its own: a child that keeps failing at start-up is restarted with a
growing delay (no busy loop), and SIGTERM during the wait ends the supervisor cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from tests.procs import free_port

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from fastapi import FastAPI
    from labred.supervisor import serve_workers
    from sync.webapp import configure_logging

    configure_logging("INFO")

    def make_app(index: int) -> FastAPI:
        if index == 1:
            raise RuntimeError("arranque fallido a propósito")
        app = FastAPI()

        @app.get("/health")
        def health() -> dict:
            return {{"status": "ok"}}

        return app

    serve_workers(make_app, "127.0.0.1", {port}, workers=2)
    """
)


@pytest.mark.slow
def test_a_failing_child_is_retried_with_backoff_and_sigterm_ends_all(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "supervisor.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", SCRIPT.format(root=str(ROOT), port=port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        time.sleep(4)  # worker 1 fails at once: restarted after 2 s, then after 4 s
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    restarts = [r for r in records if r["msg"] == "worker exited; restarting"]
    assert [r["worker"] for r in restarts] == [1] * len(restarts) and len(restarts) >= 2
    delays = [r["restart_in_s"] for r in restarts]
    assert delays == sorted(delays) and delays[1] > delays[0], delays
    failed = [r for r in records if r["msg"] == "worker failed"]
    assert failed and "arranque fallido a propósito" in failed[0]["exc"]
    assert records[-1]["msg"] == "all workers stopped"
