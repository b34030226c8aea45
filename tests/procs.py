"""Helpers for tests that run real ``labred`` processes."""

from __future__ import annotations

import atexit
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sync.config import read_toml


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_block(span: int = 500) -> int:
    """A base port whose next ``span`` ports are free, below the ephemeral range.

    ``free_port()`` hands out ephemeral ports, and so does the kernel for every outgoing
    connection of every test running meanwhile, so ``base + offset`` ports taken from one of
    them (the demo's ``--port-base``) could be grabbed by a client socket before the demo binds
    them. Ports 20000-32000 are never handed out that way; a random block there is checked free.
    """
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(20000, 32000 - span, 10)
        socks: list[socket.socket] = []
        try:
            for port in range(base, base + span):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
        return base
    raise RuntimeError(f"no free block of {span} ports between 20000 and 32000")


JOB_INTERVALS_VAR = "LABRED_EDGE_JOB_INTERVALS"


def short_job_intervals(args: Sequence[str], env: dict[str, str] | None) -> dict[str, str]:
    """``env`` for ``labred *args``: a ``labred edge worker`` runs its jobs at the demo's short
    intervals (``SEDE_JOB_INTERVALS``: sync.pull 1 s, sunat.summaries 2 s, ...), so a test waits
    on the work it checks, not on a production cadence (5 s, 15 s, ...). A test that sets
    ``job_intervals`` itself (in ``env``, the environment, or the node's edge.toml) keeps its
    own."""
    from labred.demo.orchestrator import SEDE_JOB_INTERVALS

    env = dict(env or {})
    if tuple(args[:2]) != ("edge", "worker") or JOB_INTERVALS_VAR in {**os.environ, **env}:
        return env

    def option(flag: str) -> str | None:
        return args[args.index(flag) + 1] if flag in args[:-1] else None

    config = Path(option("--config") or Path(option("--data-dir") or "./data/edge", "edge.toml"))
    values = read_toml(config)  # as load_edge_settings reads it
    if "job_intervals" in values.get("edge", values):
        return env
    return {**env, JOB_INTERVALS_VAR: json.dumps(SEDE_JOB_INTERVALS)}


def labred(*args: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``python -m labred *args`` in its own session, output to ``log`` (appended); an edge
    worker at short job intervals (:func:`short_job_intervals`)."""
    fh = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "labred", *args],
        stdout=fh,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **short_job_intervals(args, env)},
    )
    fh.close()
    return proc


def run_labred(
    *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labred", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


_PREPARED: dict[tuple[object, ...], Path] = {}
_PREPARED_ROOT: list[Path] = []
_PREPARED_LOCK = threading.Lock()  # tests prepare a hub and an edge from two threads


def _prepared_root() -> Path:
    """This test process's directory of prepared data directories (removed at exit)."""
    if not _PREPARED_ROOT:
        root = Path(tempfile.mkdtemp(prefix="labred-prepared-"))
        root.chmod(0o755)  # the embedded PostgreSQL runs as another user under root
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        _PREPARED_ROOT.append(root)
    return _PREPARED_ROOT[0]


def prepared_dir(data: Path, *steps: Sequence[str]) -> Path:
    """``data`` as running each ``labred`` command of ``steps`` on it leaves it (``{data}`` in a
    step stands for the directory), e.g. ``("migrate", "hub", "--data-dir", "{data}")`` then
    ``("hub", "seed", ...)``. The commands run once per test process, in a directory of their
    own; every later call with the same steps (and the same files already in ``data``, such as
    its ``hub.toml``) gets a copy of that result: an embedded PostgreSQL initialised, migrated
    and seeded costs 4-8 s of ``labred`` start-ups, its copy about 0.1 s. The copy is made with
    every process of the first run stopped (each command stops the embedded server it started),
    which is how a PostgreSQL data directory may be copied."""
    data.mkdir(parents=True, exist_ok=True)
    existing = tuple(sorted((f.name, f.read_bytes()) for f in data.iterdir() if f.is_file()))
    key = (existing, tuple(tuple(step) for step in steps))
    with _PREPARED_LOCK:
        source = _PREPARED.get(key)
        if source is None:
            source = Path(tempfile.mkdtemp(dir=_prepared_root()))
            source.chmod(0o755)  # as a directory the test makes (cp -a copies its mode)
            for name, content in existing:
                (source / name).write_bytes(content)
            for step in steps:
                done = run_labred(*(arg.replace("{data}", str(source)) for arg in step))
                assert done.returncode == 0, f"labred {' '.join(step)}:\n{done.stdout}{done.stderr}"
            _PREPARED[key] = source
    # cp -a keeps the owner of the embedded server's files (a "pgserver" user under root)
    subprocess.run(["cp", "-a", f"{source}/.", str(data)], check=True)
    return data


def seeded_hub(data: Path, *, sedes: int, admin_password: str) -> Path:
    """``labred migrate hub`` then ``labred hub seed --sedes N --admin-password P`` on the hub
    data directory ``data`` (its ``hub.toml``, if any, written first), through
    :func:`prepared_dir`: run once per test process, copied after."""
    prepared_dir(
        data,
        ("migrate", "hub", "--data-dir", "{data}"),
        ("hub", "seed", "--data-dir", "{data}", "--sedes", str(sedes),
         "--admin-password", admin_password),
    )  # fmt: skip
    assert not (data / "pg" / "postmaster.pid").exists(), "the embedded PostgreSQL was running"
    return data


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}):\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not ready after {timeout} s:\n{log.read_text()[-2000:]}")


def kill9(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def terminate(proc: subprocess.Popen[bytes], timeout: float = 20) -> int:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    return proc.wait(timeout=timeout)


def processes_mentioning(text: str) -> list[int]:
    """PIDs of live processes whose command line contains ``text``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if text in cmd and ") Z " not in stat:
            pids.append(int(entry.name))
    return pids


@contextmanager
def running(
    *args: str, ready_url: str, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    proc = labred(*args, log=log, env=env)
    try:
        wait_ready(ready_url, proc, log)
        yield proc
    finally:
        if proc.poll() is None:
            terminate(proc)


def init_edge(
    data: Path,
    admin_password: str,
    *,
    demo_catalog: bool = True,
    extra: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Path:
    """``labred edge init --data-dir DATA --admin-password … [--demo-catalog] [extra…]`` (the
    node's sede is S01 unless ``extra`` says ``--sede-code``); fails the test if it fails.
    Without ``env``, through :func:`prepared_dir` (run once per test process, copied after)."""
    args = ["edge", "init", "--data-dir", "{data}", "--admin-password", admin_password]
    if demo_catalog:
        args.append("--demo-catalog")
    if env is None:
        return prepared_dir(data, (*args, *extra))
    done = run_labred(*(a.replace("{data}", str(data)) for a in args), *extra, env=env)
    assert done.returncode == 0, done.stderr
    return data


@dataclass
class EdgeProcess:
    """``labred edge serve`` of the node in ``data_dir`` on ``port``: ``start()`` waits for
    ``/ready``; ``kill()`` (kill -9) or ``stop()`` and ``start()`` again keep its database."""

    data_dir: Path
    port: int
    log: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = ("edge", "serve", "--data-dir", str(self.data_dir), "--port", str(self.port))
        proc = labred(*args, log=self.log, env=self.env)
        self.proc = proc
        wait_ready(self.url + "/ready", proc, self.log)

    def kill(self) -> None:
        assert self.proc is not None, "the edge was not started"
        kill9(self.proc)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            terminate(self.proc)


@contextmanager
def serving_edge(
    data: Path, *, log: Path, env: dict[str, str] | None = None
) -> Iterator[EdgeProcess]:
    """``labred edge serve`` of an initialised node on a free port, until the block ends."""
    edge = EdgeProcess(data, free_port(), log, env)
    try:
        edge.start()
        yield edge
    finally:
        edge.stop()


@dataclass(frozen=True)
class HubProcess:
    """A ``labred hub serve`` that answers ``/ready``: its base URL and its process."""

    url: str
    proc: subprocess.Popen[bytes]


@contextmanager
def serving_hub(
    data: Path, database_url: str, *, log: Path, env: dict[str, str] | None = None
) -> Iterator[HubProcess]:
    """``labred hub serve`` on ``database_url`` (a migrated PostgreSQL database, e.g. the
    ``hub_runtime`` fixture's; dispose of its engine first) with ``data`` as its data dir
    (created), on a free port, until the block ends."""
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(
        "hub", "serve", "--data-dir", str(data), "--port", str(port),
        ready_url=f"{url}/ready", log=log,
        env={"LABRED_HUB_DATABASE_URL": database_url, **(env or {})},
    ) as proc:  # fmt: skip
        yield HubProcess(url, proc)


def bearer(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    """Sign in over HTTP (``POST /api/auth/login``, asserted 200): the Authorization header."""
    r = http.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def open_cash_and_register(
    http: httpx.Client,
    patient: dict[str, str],
    *,
    opening_float: str = "50.00",
    headers: dict[str, str] | None = None,
) -> str:
    """Over HTTP, as a cashier about to sell: open the cash drawer with ``opening_float`` and
    register ``patient`` (both asserted 201); the patient's id."""
    r = http.post("/api/cash/sessions", json={"opening_float": opening_float}, headers=headers)
    assert r.status_code == 201, r.text
    r = http.post("/api/patients", json=patient, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@contextmanager
def serve_in_thread(app: Any, *, timeout: float = 15) -> Iterator[str]:
    """Run an ASGI app under uvicorn in a thread on a free 127.0.0.1 port; yields its base URL."""
    import threading

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def until(what: str, probe: Callable[[], Any], timeout: float = 90) -> Any:
    """``probe()``'s first truthy value, polled every 0.2 s (AssertionError on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
