"""Waiting for a new sign-in after the node ended the session, without dropping the work.

A worker whose request met the end of the session (``SessionEnded``) closes the gate — the
first one to do so has the app show the sign-in dialog on top of the open screens — and waits.
When someone signs in on the dialog the gate opens with a ``Resumed`` saying who; each waiting
worker then sends its request again when that is safe, or tells the cashier to press the
action again. Opened with ``None`` (the work was discarded), the workers give up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from tui.errors import SessionEnded
from tui.wire import Profile


@dataclass(frozen=True)
class Resumed:
    """Someone signed in again on the session dialog."""

    username: str
    same_user: bool
    """False: another user signed in and chose to continue the work on screen."""
    discarded: bool = False
    """Another user signed in and discarded the sale on screen (waiting requests give up)."""
    name: str = ""

    @classmethod
    def of(cls, profile: Profile, *, discarded: bool = False) -> Resumed:
        """Another user, ``profile``, signed in."""
        return cls(profile["username"], False, discarded, profile["full_name"])

    def may_resend(self, error: SessionEnded) -> bool:
        """Whether the request that met the end of the session is sent again by itself.

        Reads always are. A sale (POST with an ``Idempotency-Key``) only for the user who was
        signed in: under another user's name it waits for that user to press Cobrar (F9)
        after looking at it. Anything else waits for the cashier to press the action again.
        """
        return error.read_only or (error.repeatable and self.same_user)


def resume_message(resumed: Resumed) -> str:
    who = "" if resumed.same_user else f" como {resumed.name or resumed.username}"
    return (
        f"Sesión restablecida{who}: revise lo que estaba en pantalla y presione de nuevo la "
        "acción para completarla."
    )


@dataclass
class _Round:
    event: threading.Event = field(default_factory=threading.Event)
    outcome: Resumed | None = None


class SessionGate:
    """Open while a session is on; closed from the end of a session until a new sign-in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._round = _Round()
        self._round.event.set()
        self.last: Resumed | None = None
        """How the last closure ended (for a request that failed just before a sign-in)."""

    @property
    def closed(self) -> bool:
        return not self._round.event.is_set()

    def close(self) -> bool:
        """Close it; True when this call did (the caller has the sign-in dialog shown)."""
        with self._lock:
            if not self._round.event.is_set():
                return False
            self._round = _Round()
            return True

    def open(self, outcome: Resumed | None) -> None:
        with self._lock:
            self._round.outcome = outcome
            self.last = outcome
            self._round.event.set()

    def wait(self, cancelled: Callable[[], bool], *, poll: float = 0.1) -> Resumed | None:
        """Block the calling worker until the gate opens (None if the worker is cancelled)."""
        current = self._round
        while not current.event.wait(poll):
            if cancelled():
                return None
        return current.outcome
