"""The fuzzing client (tests/fuzzing.py) changes how requests travel, not what the app sees."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI, Request, Response

from tests.fuzzing import fuzzing_client


def _app(events: list[str]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.post("/login")
    async def login(response: Response) -> dict[str, str]:
        response.set_cookie("session", "abc")
        return {"ok": "yes"}

    @app.get("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        return {"cookies": dict(request.cookies), "thread": threading.get_ident()}

    @app.get("/sync")
    def sync_handler() -> dict[str, int]:
        return {"thread": threading.get_ident()}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    return app


def test_requests_stay_independent_and_the_app_runs_here() -> None:
    events: list[str] = []
    app = _app(events)
    with fuzzing_client(app) as client:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        assert events == ["startup"]
        assert client.post("http://testserver/login").cookies["session"] == "abc"
        echo = schema["/echo"]["GET"].Case().call(session=client).json()
        # No cookie carried over from the sign-in, as with a new session per request.
        assert echo == {"cookies": {}, "thread": threading.get_ident()}
        sync_threads = {client.get("http://testserver/sync").json()["thread"] for _ in range(3)}
        # Sync handlers run in one reused worker thread, not on the test's thread.
        assert len(sync_threads) == 1 and threading.get_ident() not in sync_threads
        # An exception escaping the app reaches the test, as with Schemathesis' own client.
        with pytest.raises(RuntimeError, match="boom"):
            client.get("http://testserver/boom")
    assert events == ["startup", "shutdown"]
