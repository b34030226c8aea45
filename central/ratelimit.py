"""Rate limiting of the hub API (DESIGN.md section 6): per user, and per node on sync.

- A request with a valid access token of the hub counts for its user: ``rate_limit_per_minute``
  (100 by default). The token's signature is checked (expired tokens still identify), so a
  forged token cannot pick someone else's bucket.
- A request with node credentials (HTTP Basic, the sync endpoints) counts for that node id from
  that address: ``node_rate_limit_per_minute``, higher, since a node catching up after days
  offline pushes many batches a minute. The secret is not checked here (that costs a hash);
  keying by node *and* address keeps anyone else from spending a node's allowance.
- Anything else counts for the peer address, with the per-user limit.

``/health``, ``/ready`` and the dashboard's pages and static assets are exempt. A refused
request gets 429 ``rate_limited`` with ``Retry-After``. State is in memory: one API process per
hub, and a restart forgetting a minute of counts is harmless.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from central.auth.tokens import ALGORITHM, AUDIENCE
from central.settings import HubSettings
from sync.ratelimit import SlidingWindowLimiter, subject_reader, too_many_requests

EXEMPT_PATHS: frozenset[str] = frozenset({"/health", "/ready"})
# The dashboard's page shells and assets carry no data (their scripts call the API, which is
# limited); a sede's staff behind one public address would otherwise share an allowance there.
EXEMPT_PREFIXES: tuple[str, ...] = ("/panel",)


class HubRateLimitMiddleware:
    """Plain ASGI middleware: one limiter for users (and addresses), one for nodes."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        users: SlidingWindowLimiter,
        nodes: SlidingWindowLimiter,
        secret: str,
    ) -> None:
        self.app = app
        self.users = users
        self.nodes = nodes
        self._subject = subject_reader(secret, algorithm=ALGORITHM, audience=AUDIENCE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        limiter, key = self.bucket(scope)
        wait = limiter.hit(key)
        if wait is None:
            await self.app(scope, receive, send)
            return
        await too_many_requests(wait)(scope, receive, send)

    def bucket(self, scope: Scope) -> tuple[SlidingWindowLimiter, str]:
        client = scope.get("client")
        ip = client[0] if client else "desconocida"
        for name, value in scope.get("headers", ()):
            if name != b"authorization":
                continue
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                subject = self._subject(credentials.strip())
                if subject:
                    return self.users, f"user:{subject}"
            elif scheme.lower() == "basic":
                node = _basic_user(credentials.strip())
                if node:
                    return self.nodes, f"node:{node}@{ip}"
            break
        return self.users, f"ip:{ip}"


def _basic_user(credentials: str) -> str | None:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, _ = decoded.partition(":")
    return user[:64] if sep and user else None


def install(app: FastAPI, settings: HubSettings) -> None:
    """Add the middleware (``settings`` as the runtime resolved them, with the JWT secret);
    the limiters are kept in ``app.state.rate_limiters``."""
    users = SlidingWindowLimiter(settings.rate_limit_per_minute)
    nodes = SlidingWindowLimiter(settings.node_rate_limit_per_minute)
    app.add_middleware(HubRateLimitMiddleware, users=users, nodes=nodes, secret=settings.jwt_secret)
    app.state.rate_limiters = {"users": users, "nodes": nodes}
