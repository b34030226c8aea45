"""QA of replication over a link cut in the middle of a response (sync notes §2.1, §4.1 "truncate
a body"): a TCP proxy in front of a real hub process passes a request whole and only the first bytes
of the reply. The push the hub committed is resent and applied once; the pull page is not applied.
"""

from __future__ import annotations

import socket
import threading

import httpx

from central.config.models import Setting
from central.db import unit_of_work as hub_uow
from edge.sync import service
from edge.sync.enroll import load_credentials
from sync.client import SyncClient
from tests.sync.test_qa_procs_support import (
    CLOCK,
    QaCluster,
    check_exactly_once,
    cluster,
    sales,
)

__all__ = ["cluster"]  # the fixture, imported for pytest


# ---------------------------------------------------------------------------------- network
class CuttingProxy:
    """A TCP proxy in front of the hub that, when armed, forwards the request whole but passes
    only the first ``keep`` bytes of the response and then closes (a link cut mid-response)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.armed = 0  # responses still to cut
        self.keep = 60
        self.cut = 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            up = socket.create_connection(("127.0.0.1", self.upstream))
        except OSError:  # the hub is down: the client sees its connection closed, as at a router
            conn.close()
            return
        with conn, up:
            conn.settimeout(15)
            up.settimeout(15)
            with self.lock:
                cut = self.armed > 0
                self.armed -= 1 if cut else 0
            done = threading.Event()

            def upstream() -> None:
                try:
                    while chunk := conn.recv(65536):
                        up.sendall(chunk)
                except OSError:
                    pass
                done.set()

            threading.Thread(target=upstream, daemon=True).start()
            sent = 0
            try:
                while chunk := up.recv(65536):
                    if cut:
                        chunk = chunk[: max(0, self.keep - sent)]
                    if chunk:
                        conn.sendall(chunk)
                        sent += len(chunk)
                    if cut and sent >= self.keep:
                        with self.lock:
                            self.cut += 1
                        conn.shutdown(socket.SHUT_RDWR)
                        return
            except OSError:
                return

    def close(self) -> None:
        # close() alone leaves a thread blocked in accept() holding the socket open and listening
        # (Linux): shutdown wakes it, so no connection reaches this proxy after the test
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)


def test_qa_network_cut_mid_response_push_and_pull_apply_exactly_once(cluster: QaCluster) -> None:
    cluster.start_hub()
    edge = cluster.add_edge("S01")
    proxy = CuttingProxy(cluster.port)
    try:
        creds = load_credentials(edge.data) or {}
        client = SyncClient(
            httpx.Client(
                base_url=f"http://127.0.0.1:{proxy.port}",
                timeout=10,
                limits=httpx.Limits(max_keepalive_connections=0),  # a connection per request
            ),
            node_id=creds["node_id"],
            secret=creds["secret"],
            attempts=3,  # the client's own retry does the resend
            sleep=lambda s: None,
        )
        sales(edge, 5)
        proxy.armed = 1
        service.push_pending(edge.engine, client, CLOCK, max_rows=6)
        assert proxy.cut == 1  # the first reply was cut after the hub committed
        check_exactly_once(cluster, edge)

        with hub_uow(cluster.runtime().engine) as session:
            session.add(Setting(key="qa_cut", value="1", updated_at=CLOCK.now()))
        proxy.armed = 1
        service.pull_changes(edge.engine, client, CLOCK)
        assert proxy.cut == 2
        head = int(cluster.hub_scalar("SELECT value FROM sync_feed_counter"))
        assert edge.state()["pull_cursor"] == head
    finally:
        proxy.close()
