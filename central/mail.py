"""Outgoing e-mail of the hub behind one small interface.

``Mailer.send(message)`` is all services see. ``InMemoryMailer`` keeps messages in ``outbox``
(tests, development); the notifications work plugs an SMTP mailer by setting
``app.state.mailer``. Routers get the mailer with ``MailerDep``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import Depends, Request


@dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    body: str
    tags: dict[str, str] = field(default_factory=dict)


class Mailer(Protocol):
    def send(self, message: MailMessage) -> None: ...


class InMemoryMailer:
    """Keeps every message sent, in order."""

    def __init__(self) -> None:
        self.outbox: list[MailMessage] = []
        self._lock = threading.Lock()

    def send(self, message: MailMessage) -> None:
        with self._lock:
            self.outbox.append(message)


def get_mailer(request: Request) -> Mailer:
    """The app's mailer; an ``InMemoryMailer`` until one is configured."""
    mailer: Mailer | None = getattr(request.app.state, "mailer", None)
    if mailer is None:
        mailer = InMemoryMailer()
        request.app.state.mailer = mailer
    return mailer


MailerDep = Annotated[Mailer, Depends(get_mailer)]
