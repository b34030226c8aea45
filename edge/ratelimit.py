"""Rate limiting of the edge API: N requests per user per minute (DESIGN.md section 6).

A sliding log per client: a request is allowed when fewer than ``limit`` requests of the same
client were allowed in the last ``window`` seconds, so no 60-second span ever holds more than
``limit`` (refused requests do not count). The client is the user of the access token (its
signature is checked, so a forged token cannot pick someone else's bucket) or, without a
valid token, the peer IP address. With one API process the state is in memory (a restart
forgetting a minute of counts is harmless); with several (``serve --workers N``) it is the
file-backed :class:`edge.ratelimit_shared.SharedWindowLimiter`, so the limit holds per node,
not per process.

Installed as plain ASGI middleware from ``create_app``; ``/health`` and ``/ready`` are exempt.
A refused request gets 429 ``rate_limited`` with ``Retry-After`` in the one error shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Protocol

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from edge.auth.tokens import ALGORITHM, AUDIENCE
from edge.deps import ACCESS_COOKIE
from edge.ratelimit_shared import SharedWindowLimiter
from edge.settings import EdgeSettings
from sync.ratelimit import SlidingWindowLimiter, subject_reader, too_many_requests

EXEMPT_PATHS: frozenset[str] = frozenset({"/health", "/ready"})
# Static assets of the reception pages carry no data; a cold page load fetches ~15 of them.
EXEMPT_PREFIXES: tuple[str, ...] = ("/recepcion/static/",)


# The shared limiter's file, in the data directory (tiny; never needs a backup).
SHARED_FILE = "ratelimit.shm"


class Limiter(Protocol):
    limit: int
    window: float

    def hit(self, key: str) -> int | None: ...

    def reset(self) -> None: ...


class RateLimitMiddleware:
    """ASGI middleware applying a :class:`Limiter` per user (or per IP)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: Limiter,
        secret: str,
        exempt: Iterable[str] = EXEMPT_PATHS,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.exempt = frozenset(exempt)
        self._subject = subject_reader(secret, algorithm=ALGORITHM, audience=AUDIENCE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in self.exempt
            or scope["path"].startswith(EXEMPT_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        wait = self.limiter.hit(self.client_key(scope))
        if wait is None:
            await self.app(scope, receive, send)
            return
        await too_many_requests(wait)(scope, receive, send)

    def client_key(self, scope: Scope) -> str:
        token = _token_of(scope)
        if token:
            subject = self._subject(token)
            if subject:
                return f"user:{subject}"
        client = scope.get("client")
        return f"ip:{client[0] if client else 'unknown'}"


def _token_of(scope: Scope) -> str | None:
    cookie_header = None
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token:
                return token.strip()
        elif name == b"cookie":
            cookie_header = value.decode("latin-1")
    if cookie_header and ACCESS_COOKIE in cookie_header:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookie_header)
        except Exception:  # noqa: BLE001 - a malformed cookie just means "anonymous"
            return None
        morsel = jar.get(ACCESS_COOKIE)
        return morsel.value if morsel else None
    return None


def install(app: FastAPI, settings: EdgeSettings) -> Limiter:
    """Add the middleware to ``app``; the limiter is also kept in ``app.state.rate_limiter``.

    In memory for one API process; shared through ``DATA_DIR/ratelimit.shm`` when the node
    runs several (``settings.workers > 1``)."""
    limiter: Limiter
    if settings.workers > 1:
        limiter = SharedWindowLimiter(
            settings.data_dir / SHARED_FILE, settings.rate_limit_per_minute
        )
    else:
        limiter = SlidingWindowLimiter(settings.rate_limit_per_minute)
    app.add_middleware(RateLimitMiddleware, limiter=limiter, secret=settings.jwt_secret)
    app.state.rate_limiter = limiter
    return limiter
