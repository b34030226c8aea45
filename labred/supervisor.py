"""N uvicorn servers on one listening socket (``labred edge serve --workers N``).

One API process is bound to one core. The supervisor binds the port once (a taken port fails
here, with one sentence), then forks ``workers`` children; each builds its own app (its own
database engine, threads and caches: nothing opened before the fork is shared) and serves the
inherited socket, so the kernel spreads connections across them. The supervisor only watches:

- a child that dies is replaced (after ``restart_delay`` seconds, doubled while children keep
  dying within ``FAST_EXIT`` seconds of their start, up to ``MAX_DELAY``), and the log says so;
- SIGTERM or SIGINT stops every child gracefully (SIGTERM, then SIGKILL after ``grace``);
- a child learns of its supervisor's death (``PR_SET_PDEATHSIG``) and stops too;
- every log line of a child carries ``worker`` (its index, 0..N-1) and ``pid``.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType

import uvicorn
from fastapi import FastAPI

from labred import gctune
from labred.serving import bind_socket, exit_on_sigterm

log = logging.getLogger("labred.supervisor")

FAST_EXIT = 5.0
MAX_DELAY = 30.0
_PR_SET_PDEATHSIG = 1


def _tag_log_records(worker: int) -> None:
    """Every record of this process gets ``worker`` and ``pid`` (shown by the JSON logs)."""
    previous = logging.getLogRecordFactory()
    pid = os.getpid()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)  # type: ignore[arg-type]
        record.worker = worker
        record.pid = pid
        return record

    logging.setLogRecordFactory(factory)


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # died before prctl took effect
        os._exit(0)


def _child(
    index: int,
    make_app: Callable[[int], FastAPI],
    sock: socket.socket,
    parent: int,
    log_level: str,
) -> None:
    """Body of a forked child: never returns."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, exit_on_sigterm)
        _die_with_parent(parent)
        _tag_log_records(index)
        app = make_app(index)
        gctune.freeze_startup_heap()
        config = uvicorn.Config(
            app,
            log_level=log_level.lower(),
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=5,
        )
        log.info("worker started", extra={"port": sock.getsockname()[1]})
        uvicorn.Server(config).run(sockets=[sock])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 - reported, then the supervisor restarts the child
        log.exception("worker failed")
        code = 1
    finally:
        logging.shutdown()
        os._exit(code)


class Supervisor:
    """Keeps ``workers`` children of ``make_app`` serving ``sock`` until told to stop."""

    def __init__(
        self,
        make_app: Callable[[int], FastAPI],
        sock: socket.socket,
        *,
        workers: int,
        log_level: str = "info",
        restart_delay: float = 1.0,
        grace: float = 15.0,
    ) -> None:
        self.make_app = make_app
        self.sock = sock
        self.workers = workers
        self.log_level = log_level
        self.restart_delay = restart_delay
        self.grace = grace
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (index, started)
        self.stopping = False
        self.restarts = 0
        self.pid = os.getpid()

    def _spawn(self, index: int) -> None:
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            _child(index, self.make_app, self.sock, parent, self.log_level)
        self.children[pid] = (index, time.monotonic())
        log.info("worker forked", extra={"worker": index, "child_pid": pid})

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self.pid:  # a child between fork and resetting its handlers
            raise SystemExit(0)
        if not self.stopping:
            log.info("stopping workers", extra={"signal": signal.Signals(signum).name})
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def run(self) -> None:
        """Fork the children and watch them until SIGTERM/SIGINT; then wait them out."""
        self.pid = os.getpid()
        # What was loaded before the fork (modules, settings) stays shared with the children:
        # frozen, their collections never touch it, so its pages are not copied.
        gc.collect()
        gc.freeze()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for index in range(self.workers):
            self._spawn(index)
        pending: list[tuple[float, int]] = []  # (when, index) restarts due
        delay = self.restart_delay
        kill_at: float | None = None
        while self.children or (pending and not self.stopping):
            pid, status = os.waitpid(-1, os.WNOHANG) if self.children else (0, 0)
            now = time.monotonic()
            if pid:
                index, started = self.children.pop(pid)
                if self.stopping:
                    continue
                delay = delay * 2 if now - started < FAST_EXIT else self.restart_delay
                delay = min(delay, MAX_DELAY)
                log.warning(
                    "worker exited; restarting",
                    extra={
                        "worker": index,
                        "child_pid": pid,
                        "status": _describe(status),
                        "restart_in_s": round(delay, 1),
                    },
                )
                pending.append((now + delay, index))
                continue
            if self.stopping:
                kill_at = kill_at or now + self.grace
                if now >= kill_at:
                    for child in self.children:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(child, signal.SIGKILL)
            else:
                for due in [p for p in pending if p[0] <= now]:
                    pending.remove(due)
                    self.restarts += 1
                    self._spawn(due[1])
            time.sleep(0.1)
        self.sock.close()
        log.info("all workers stopped")


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def serve_workers(
    make_app: Callable[[int], FastAPI],
    host: str,
    port: int,
    *,
    workers: int,
    log_level: str = "info",
) -> None:
    """Bind ``host:port`` and run :class:`Supervisor` until SIGTERM/SIGINT."""
    sock = bind_socket(host, port)
    log.info("serving", extra={"host": host, "port": port, "workers": workers})
    Supervisor(make_app, sock, workers=workers, log_level=log_level).run()


__all__ = ["Supervisor", "serve_workers"]
