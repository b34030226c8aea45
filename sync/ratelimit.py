"""A sliding-window rate limiter and its 429 answer, framework-free (the middlewares of both
apps use them: ``edge.ratelimit`` and ``central.ratelimit``).

At most ``limit`` requests per key in any ``window`` seconds: a request is allowed when fewer
than ``limit`` requests of the same key were allowed in the last ``window`` seconds (refused
requests do not count), so no span of ``window`` seconds ever holds more than ``limit``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import jwt
from starlette.responses import JSONResponse

from sync.webapp import error_body


class SlidingWindowLimiter:
    """At most ``limit`` hits per key in any ``window`` seconds; thread-safe, in memory."""

    def __init__(
        self, limit: int, *, window: float = 60.0, now: Callable[[], float] = time.monotonic
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
            hits = self._hits.setdefault(key, deque())
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
        """Keys currently tracked."""
        return len(self._hits)

    def _sweep(self, now: float) -> None:
        horizon = now - self.window
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= horizon]:
            del self._hits[key]
        self._next_sweep = now + self.window


def subject_reader(secret: str, *, algorithm: str, audience: str) -> Callable[[str], str | None]:
    """token -> user id, for tokens signed with ``secret`` for ``audience`` (expired ones still
    identify: the limit follows the user, not the token's freshness); answers are cached."""

    @lru_cache(maxsize=4096)
    def subject(token: str) -> str | None:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                secret,
                algorithms=[algorithm],
                audience=audience,
                options={"verify_exp": False},
            )
        except jwt.PyJWTError:
            return None
        sub = claims.get("sub")
        return str(sub) if sub else None

    return subject


def too_many_requests(wait: int) -> JSONResponse:
    """429 ``rate_limited`` in the one error shape, with ``Retry-After``."""
    body: dict[str, Any] = error_body(
        "rate_limited", f"Demasiadas solicitudes; espere {wait} s e intente de nuevo."
    )
    body["detail"][0]["ctx"] = {"retry_after": wait}
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(wait)})


__all__ = ["SlidingWindowLimiter", "subject_reader", "too_many_requests"]
