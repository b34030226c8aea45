"""Schemathesis over an ASGI app, for less than its default client costs per request.

By default Schemathesis calls an ASGI app through a new ``requests`` session for every request
(which scans the environment for proxies and looks for a ``~/.netrc`` each time) and runs the
app on an event loop in another thread, reached through an anyio blocking portal: two portal
calls per request, each a round trip between two threads. The fuzzing tests send thousands of
requests, so :func:`fuzzing_client` keeps everything Schemathesis does to build, send and check
each case and changes only where the app runs and which session carries the requests:

- the app, its lifespan included, runs on an event loop driven by the test's own thread (sync
  handlers still run in anyio's worker threads, as under a real server);
- one session for the whole test, with ``trust_env`` off (nothing here leaves the process) and
  a cookie policy that keeps no cookie, so each request is as independent of the ones before it
  as with a new session per request.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from schemathesis.python import asgi

_Job = tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any]]


class _ThisThreadPortal:
    """What Schemathesis uses of an anyio ``BlockingPortal``, on a loop run by its caller.

    Every call runs inside one long-lived task: anyio keeps the worker threads of sync handlers
    per root task, so a task per call would start a new thread for every sync request.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._jobs: asyncio.Queue[_Job] = asyncio.Queue()
        self._root = self.loop.create_task(self._serve())

    async def _serve(self) -> None:
        while True:
            func, args, done = await self._jobs.get()
            try:
                result = func(*args)
                if inspect.isawaitable(result):
                    result = await result
            except BaseException as exc:  # raised again in the caller, as by anyio's portal
                done.set_exception(exc)
            else:
                done.set_result(result)

    def call(self, func: Callable[..., Any], *args: Any) -> Any:
        done: asyncio.Future[Any] = self.loop.create_future()
        self._jobs.put_nowait((func, args, done))
        return self.loop.run_until_complete(done)

    def start_task_soon(self, func: Callable[..., Any], *args: Any) -> asyncio.Task[Any]:
        # Advances whenever the loop runs, i.e. during every call: enough for a lifespan task.
        return self.loop.create_task(func(*args))

    def close(self) -> None:
        self._root.cancel()
        self.loop.run_until_complete(asyncio.gather(self._root, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


@contextmanager
def fuzzing_client(app: Any) -> Iterator[asgi.ASGIClient]:
    """A Schemathesis session for ``app`` on this thread: pass it to ``call_and_validate``.

    Load the schema inside the block (``schemathesis.openapi.from_asgi`` starts the app's
    lifespan, which must run on the same loop as the requests). On exit the lifespans
    Schemathesis started are shut down.
    """
    portal = _ThisThreadPortal()
    client = asgi.get_client(app)
    client.trust_env = False
    client.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    try:
        # A private name in Schemathesis 4: patch.object fails loudly if a new version drops it.
        with mock.patch.object(asgi, "_get_portal", lambda: portal), client:
            try:
                yield client
            finally:
                asgi.shutdown_lifespans()
    finally:
        portal.close()
