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
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _body_has_nul(body: bytes) -> bool:
    if b"\\u0000" not in body:
        return False
    try:
        return _has_nul(json.loads(body))
    except ValueError:
        return False  # not JSON: FastAPI answers its own 422


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
