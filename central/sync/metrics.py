"""Prometheus metrics of replication: counters in process, per-node gauges read at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine, text

REGISTRY = CollectorRegistry(auto_describe=True)

ROWS = Counter("labred_sync_rows_total", "Pushed rows by outcome", ["outcome"], registry=REGISTRY)
PUSHES = Counter(
    "labred_sync_push_requests_total", "Push requests by result", ["result"], registry=REGISTRY
)
PULLS = Counter(
    "labred_sync_pull_requests_total", "Pull requests by kind", ["kind"], registry=REGISTRY
)
PUSH_SECONDS = Histogram(
    "labred_sync_push_seconds", "Time to apply a push batch", registry=REGISTRY
)

_NODE_SQL = text(
    "SELECT n.id, n.sede_id, n.reported_backlog, n.pull_cursor, n.clock_offset_ms, "
    "COALESCE(EXTRACT(EPOCH FROM now() - n.last_seen_at), -1), COALESCE(i.hwm, 0), "
    "(SELECT count(*) FROM sync_parked p WHERE p.node_id = n.id), n.revoked "
    "FROM sync_node n LEFT JOIN sync_inbox i ON i.node_id = n.id AND i.epoch = n.epoch"
)


class _NodeCollector:
    def __init__(self) -> None:
        self.engine: Engine | None = None

    def collect(self) -> Iterator[Any]:
        if self.engine is None:
            return
        fams = {
            "backlog": GaugeMetricFamily(
                "labred_sync_node_backlog", "Rows the node reports waiting", labels=["node", "sede"]
            ),
            "acked": GaugeMetricFamily(
                "labred_sync_node_acked_seq", "Inbox high-water mark", labels=["node", "sede"]
            ),
            "seen": GaugeMetricFamily(
                "labred_sync_node_last_seen_seconds",
                "Seconds since the node was last seen",
                labels=["node", "sede"],
            ),
            "parked": GaugeMetricFamily(
                "labred_sync_node_parked_rows", "Parked rows", labels=["node", "sede"]
            ),
            "offset": GaugeMetricFamily(
                "labred_sync_node_clock_offset_ms",
                "Node clock minus hub clock",
                labels=["node", "sede"],
            ),
        }
        with self.engine.connect() as conn:
            for nid, sede, backlog, _cur, offset, seen, hwm, parked, revoked in conn.execute(
                _NODE_SQL
            ):
                if revoked:
                    continue
                labels = [str(nid), str(sede)]
                fams["backlog"].add_metric(labels, float(backlog))
                fams["acked"].add_metric(labels, float(hwm))
                fams["seen"].add_metric(labels, float(seen))
                fams["parked"].add_metric(labels, float(parked))
                fams["offset"].add_metric(labels, float(offset))
        yield from fams.values()


_COLLECTOR = _NodeCollector()
REGISTRY.register(_COLLECTOR)  # type: ignore[arg-type]


def render(engine: Engine) -> bytes:
    _COLLECTOR.engine = engine
    return generate_latest(REGISTRY)
