"""A TCP proxy whose link can be cut and restored: the demo and the tests use one between a
sede's edge and the hub to play "the internet went down at this sede".

Runs an asyncio server in a background thread. While cut, new connections are closed at once and
open ones are dropped, which is what an edge sees when its link fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class CutProxy:
    def __init__(
        self,
        listen_port: int,
        target_host: str,
        target_port: int,
        *,
        listen_host: str = "127.0.0.1",
    ) -> None:
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.target = (target_host, target_port)
        self._cut = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=f"netcut-{listen_port}", daemon=True)
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    # -- control --------------------------------------------------------------------------
    def start(self) -> CutProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"proxy on port {self.listen_port} did not start")
        return self

    @property
    def is_cut(self) -> bool:
        return self._cut.is_set()

    def cut(self) -> None:
        self._cut.set()
        self._loop.call_soon_threadsafe(self._drop_all)

    def restore(self) -> None:
        self._cut.clear()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return

        async def _close() -> None:
            self._drop_all()
            if self._server is not None:
                self._server.close()
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(_close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    # -- internals ------------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, self.listen_host, self.listen_port)
        )
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut.is_set():
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.connections += 1
        self._writers.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while not self._cut.is_set():
                    data = await src.read(65536)
                    if not data:
                        break
                    dst.write(data)
                    await dst.drain()
            dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        except asyncio.CancelledError:  # stop(): end quietly
            pass
        self._writers.discard(writer)
        self._writers.discard(up_writer)
