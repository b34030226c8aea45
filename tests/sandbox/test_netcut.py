"""The cut-able proxy really forwards, really cuts and really comes back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from sandbox.netcut import CutProxy
from tests.procs import free_port


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hola"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_forwards_cuts_and_restores(upstream: int) -> None:
    port = free_port()
    proxy = CutProxy(port, "127.0.0.1", upstream).start()
    url = f"http://127.0.0.1:{port}/"
    try:
        assert httpx.get(url, timeout=2).text == "hola"
        proxy.cut()
        assert proxy.is_cut
        with pytest.raises(httpx.TransportError):
            httpx.get(url, timeout=2)
        proxy.restore()
        assert httpx.get(url, timeout=2).text == "hola"
        assert proxy.connections == 2
    finally:
        proxy.stop()
