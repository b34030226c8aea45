"""A real local SMTP server (aiosmtpd) that keeps what it receives: ``labred sandbox smtp``.

``SmtpSandbox(port=0).start()`` runs it in a thread (tests, the demo); ``messages`` holds the
parsed ``email.message.EmailMessage`` objects in arrival order, and with ``folder`` each one is
also written as an ``.eml`` file.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, box: SmtpSandbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.box.add(msg, raw, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpSandbox:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, folder: Path | None = None) -> None:
        self.host = host
        self.port = port or _free_port(host)
        self.folder = folder
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname=host, port=self.port)

    def add(self, msg: EmailMessage, raw: bytes, rcpt: list[str]) -> None:
        with self._lock:
            self.messages.append(msg)
            self.recipients.append(rcpt)
            n = len(self.messages)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{n:06d}.eml").write_bytes(raw)

    def start(self) -> SmtpSandbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def run(host: str, port: int, folder: Path | None = None) -> None:
    """Serve until interrupted."""
    box = SmtpSandbox(host, port, folder).start()
    print(f"sandbox smtp: listening on {host}:{box.port}", flush=True)  # noqa: T201
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        box.stop()
