"""Rate limiting of the edge API: N requests per user per minute (DESIGN.md section 6).

A sliding log per client: a request is allowed when fewer than ``limit`` requests of the same
client were allowed in the last ``window`` seconds, so no 60-second span ever holds more than
``limit`` (refused requests do not count). The client is the user of the access token (its
signature is checked, so a forged token cannot pick someone else's bucket) or, without a
valid token, the peer IP address. State is in memory: one API process per node, and a restart
forgetting a minute of counts is harmless.

Installed as plain ASGI middleware from ``create_app``; ``/health`` and ``/ready`` are exempt.
A refused request gets 429 ``rate_limited`` with ``Retry-After`` in the one error shape.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from functools import lru_cache
from http.cookies import SimpleCookie
from typing import Any

import jwt
from fastapi import FastAPI
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from edge.auth.tokens import ALGORITHM, AUDIENCE
from edge.deps import ACCESS_COOKIE
from edge.settings import EdgeSettings
from sync.webapp import error_body

EXEMPT_PATHS: frozenset[str] = frozenset({"/health", "/ready"})
# Static assets of the reception pages carry no data; a cold page load fetches ~15 of them.
EXEMPT_PREFIXES: tuple[str, ...] = ("/recepcion/static/",)


class SlidingWindowLimiter:
    """At most ``limit`` hits per key in any ``window`` seconds. Framework-free."""

    def __init__(
        self,
        limit: int,
        *,
        window: float = 60.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._now = now
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = now() + window

    def hit(self, key: str) -> int | None:
        """Count one request of ``key``: None when allowed, else the seconds to wait (>= 1)."""
        now = self._now()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            hits = self._hits.get(key)
            if hits is None:
                hits = self._hits[key] = deque()
            horizon = now - self.window
            while hits and hits[0] <= horizon:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def __len__(self) -> int:
        """Clients currently tracked."""
        return len(self._hits)

    def _sweep(self, now: float) -> None:
        horizon = now - self.window
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= horizon]:
            del self._hits[key]
        self._next_sweep = now + self.window


class RateLimitMiddleware:
    """ASGI middleware applying a :class:`SlidingWindowLimiter` per user (or per IP)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: SlidingWindowLimiter,
        secret: str,
        exempt: Iterable[str] = EXEMPT_PATHS,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.exempt = frozenset(exempt)
        self._subject = _subject_reader(secret)

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
        body = error_body(
            "rate_limited",
            f"Demasiadas solicitudes; espere {wait} s e intente de nuevo.",
        )
        body["detail"][0]["ctx"] = {"retry_after": wait}
        response = JSONResponse(body, status_code=429, headers={"Retry-After": str(wait)})
        await response(scope, receive, send)

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


def _subject_reader(secret: str) -> Callable[[str], str | None]:
    """token -> user id, for tokens signed with ``secret`` (expired ones still identify)."""

    @lru_cache(maxsize=4096)
    def subject(token: str) -> str | None:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"verify_exp": False},
            )
        except jwt.PyJWTError:
            return None
        sub = claims.get("sub")
        return str(sub) if sub else None

    return subject


def install(app: FastAPI, settings: EdgeSettings) -> SlidingWindowLimiter:
    """Add the middleware to ``app``; the limiter is also kept in ``app.state.rate_limiter``."""
    limiter = SlidingWindowLimiter(settings.rate_limit_per_minute)
    app.add_middleware(RateLimitMiddleware, limiter=limiter, secret=settings.jwt_secret)
    app.state.rate_limiter = limiter
    return limiter
