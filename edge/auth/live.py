"""The signed-in user as the node knows them now, not as the access token remembers them.

An access token lives 30 minutes. A user deactivated at the hub, moved to another role or taken
off this sede must lose that access as soon as the change replicates to the node, not when the
token expires. Every authenticated request therefore checks the user's row; the answer is kept
a couple of seconds per user so a burst of requests (a page load fetches a dozen) reads it once.

The same goes for the sign-in an access token belongs to (its ``sid`` claim, the refresh-token
chain): once signed out, or revoked because a rotated refresh token was reused, its access
tokens stop working too instead of living out their 30 minutes.

With ``serve --workers N`` each process keeps its own memory, so a sign-out handled by one
process must reach the others at once: :meth:`LiveUsers.forget` appends a byte to a small file
beside the database (``auth-signouts``), and every check first compares that file's size with
the one it last saw (one ``stat``, about a microsecond) and drops its memory when it grew.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import select

from domain.errors import Unauthorized
from domain.permissions import Role
from edge.auth.models import RefreshToken, User
from edge.auth.service import user_inactive
from edge.auth.tokens import Principal
from edge.db import read_session

T = TypeVar("T")

#: How long a user's row read for one request also answers the next ones.
TTL_SECONDS = 2.0
#: Kept answers past which a new one first drops every expired answer. Keys are user ids and
#: sign-in ids: a node running for months sees a new sign-in id at every login, and an
#: expired answer is never read again, so without this the memory only grows.
SWEEP_OVER = 256
#: Name of the file, beside the database, that grows by one byte at every sign-out.
SIGNOUTS_FILE = "auth-signouts"


def signouts_path(engine: Engine) -> Path | None:
    """The sign-out file of the node whose database ``engine`` opens (None in memory)."""
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).resolve().parent / SIGNOUTS_FILE


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


@dataclass(frozen=True)
class UserState:
    active: bool
    role: str
    sede_ids: tuple[str, ...]


class LiveUsers:
    """Per-process memory of users' rows, each answer kept ``ttl`` seconds."""

    def __init__(
        self,
        engine: Engine,
        *,
        ttl: float = TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._ttl = ttl
        self._monotonic = monotonic
        self._kept: dict[str, tuple[float, UserState | None]] = {}
        self._sessions: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()
        self._signouts = signouts_path(engine)
        self._seen = _size(self._signouts) if self._signouts else 0

    def _catch_up(self) -> None:
        """Drop the memory when any process signed someone out since the last look."""
        if self._signouts is None:
            return
        size = _size(self._signouts)
        if size != self._seen:
            with self._lock:
                self._kept.clear()
                self._sessions.clear()
                self._seen = size

    def _kept_or_read(self, kept: dict[str, tuple[float, T]], key: str, read: Callable[[], T]) -> T:
        """``kept[key]`` while younger than the TTL, else ``read()`` (then kept)."""
        self._catch_up()
        now = self._monotonic()
        with self._lock:
            hit = kept.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        value = read()
        with self._lock:
            kept[key] = (now, value)
            if len(kept) > SWEEP_OVER:
                for stale in [k for k, (at, _) in kept.items() if now - at >= self._ttl]:
                    del kept[stale]
        return value

    def __len__(self) -> int:
        """Answers kept now (users and sign-ins)."""
        with self._lock:
            return len(self._kept) + len(self._sessions)

    def state(self, user_id: str) -> UserState | None:
        """The user's current state, or None when the node has no such user."""

        def read() -> UserState | None:
            query = select(User.active, User.role, User.sede_ids).where(User.id == user_id)
            with read_session(self._engine) as session:
                row = session.exec(query).first()
            return None if row is None else UserState(bool(row[0]), row[1], tuple(row[2] or ()))

        return self._kept_or_read(self._kept, user_id, read)

    def session_alive(self, session_id: str) -> bool:
        """Whether the sign-in ``session_id`` still has an unrevoked refresh token."""

        def read() -> bool:
            query = (
                select(RefreshToken.id)
                .where(RefreshToken.family_id == session_id)
                .where(RefreshToken.revoked_at == None)  # noqa: E711 - SQL IS NULL
                .limit(1)
            )
            with read_session(self._engine) as session:
                return session.exec(query).first() is not None

        return self._kept_or_read(self._sessions, session_id, read)

    def forget(self) -> None:
        """Forget every kept answer, in this process and (through the sign-out file) in every
        other API process of the node. Call it after the revocation is committed."""
        if self._signouts is not None:
            fd = os.open(self._signouts, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, b".")
            finally:
                os.close(fd)
        with self._lock:
            self._kept.clear()
            self._sessions.clear()


def current(principal: Principal, live: LiveUsers) -> Principal:
    """``principal`` checked against the user's row: 401 when the user is gone or deactivated;
    the row's role and sedes when they changed since the token was issued."""
    state = live.state(principal.user_id)
    if state is None:
        raise Unauthorized(
            "La sesión ya no es válida; inicie sesión de nuevo.", code="token_invalid"
        )
    if not state.active:
        raise user_inactive()
    if principal.session_id and not live.session_alive(principal.session_id):
        raise Unauthorized("La sesión fue cerrada; inicie sesión de nuevo.", code="session_revoked")
    if state.role == principal.role.value and list(state.sede_ids) == list(principal.sede_ids):
        return principal
    return Principal(
        principal.user_id,
        principal.username,
        principal.full_name,
        Role(state.role),
        list(state.sede_ids),
        principal.session_id,
    )


__all__ = ["SIGNOUTS_FILE", "TTL_SECONDS", "LiveUsers", "UserState", "current", "signouts_path"]
