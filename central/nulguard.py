"""Refuse NUL characters in any request: PostgreSQL text cannot hold them (it would be a 500).

A pure ASGI middleware: the query string and the path are checked as they come; a JSON body is
buffered (FastAPI buffers it anyway), checked for a ``\\u0000`` escape and replayed downstream.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.webapp import error_body

_MSG = "El texto enviado contiene un carácter nulo (\\0), que no está permitido."


def _has_nul(value: Any) -> bool:
    """Whether any string (key or value) in ``value`` holds NUL; iterative, so the depth of
    the JSON costs no Python recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _body_has_nul(body: bytes) -> bool:
    if b"\\u0000" not in body:
        return False
    try:
        return _has_nul(json.loads(body))
    except (ValueError, RecursionError):
        return False  # not JSON, or nested too deep: FastAPI answers it (never with a NUL)


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"").lower() or "\x00" in scope.get("path", ""):
            await JSONResponse(error_body("nul_character", _MSG, ["query"]), 422)(
                scope, receive, send
            )
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if _body_has_nul(body):
            await JSONResponse(error_body("nul_character", _MSG, ["body"]), 422)(
                scope, receive, send
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
