"""Starting a uvicorn server from the CLI, with clear failures (taken port, bad config)."""

from __future__ import annotations

import errno
import signal
import socket
from types import FrameType

import uvicorn
from fastapi import FastAPI

from labred import gctune


class PortError(Exception):
    pass


def bind_socket(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """A listening socket on ``host:port`` (inheritable, for forked servers); :class:`PortError`
    in one sentence when it cannot be bound."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortError(f"port {port} on {host} is already in use") from None
        raise PortError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def check_port(host: str, port: int) -> None:
    """Fail with one sentence if ``host:port`` cannot be bound."""
    bind_socket(host, port).close()


def exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(app: FastAPI, host: str, port: int, *, log_level: str = "info") -> None:
    """Run until SIGINT/SIGTERM. uvicorn re-raises the signal after its graceful shutdown; the
    handler installed here turns it into ``SystemExit`` so ``finally`` blocks and ``atexit``
    hooks (stopping the embedded PostgreSQL) still run."""
    check_port(host, port)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    gctune.freeze_startup_heap()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level.lower(),
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()
