"""Prometheus metrics of replication: counters in process, per-node gauges read at scrape time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine, text

from domain.clock import Clock, SystemClock

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
    "n.last_seen_at, COALESCE(i.hwm, 0), "
    "(SELECT count(*) FROM sync_parked p WHERE p.node_id = n.id), n.revoked, "
    "n.disk_level, n.disk_free_mb "
    "FROM sync_node n LEFT JOIN sync_inbox i ON i.node_id = n.id AND i.epoch = n.epoch"
)
#: ``labred_sync_node_disk_level``: 0 ok, 1 bajo, 2 lleno (absent while the node never said).
DISK_LEVELS = {"ok": 0, "bajo": 1, "lleno": 2}


def seconds_since(seen: dt.datetime | None, now: dt.datetime) -> float:
    """Seconds from ``seen`` to ``now`` on the app's clock (like ``nodes.push_lag``: every
    instant is the hub's), never negative; -1 for a node never seen."""
    if seen is None:
        return -1.0
    return max(0.0, (now - seen).total_seconds())


class _NodeCollector:
    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.clock: Clock = SystemClock()

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
            "disk": GaugeMetricFamily(
                "labred_sync_node_disk_level",
                "Disk level the node last stated: 0 ok, 1 bajo, 2 lleno",
                labels=["node", "sede"],
            ),
            "disk_free": GaugeMetricFamily(
                "labred_sync_node_disk_free_mb",
                "Free MB of the node's data directory, as last stated",
                labels=["node", "sede"],
            ),
        }
        now = self.clock.now()
        with self.engine.connect() as conn:
            rows = conn.execute(_NODE_SQL).all()
        for nid, sede, backlog, _cur, offset, seen, hwm, parked, revoked, level, free in rows:
            if revoked:
                continue
            labels = [str(nid), str(sede)]
            fams["backlog"].add_metric(labels, float(backlog))
            fams["acked"].add_metric(labels, float(hwm))
            fams["seen"].add_metric(labels, seconds_since(seen, now))
            fams["parked"].add_metric(labels, float(parked))
            fams["offset"].add_metric(labels, float(offset))
            if level in DISK_LEVELS and free is not None:
                fams["disk"].add_metric(labels, float(DISK_LEVELS[level]))
                fams["disk_free"].add_metric(labels, float(free))
        yield from fams.values()


_COLLECTOR = _NodeCollector()
REGISTRY.register(_COLLECTOR)  # type: ignore[arg-type]


def render(engine: Engine, clock: Clock | None = None) -> bytes:
    """The metrics text; per-node ages are measured on ``clock`` (the app's; default: system)."""
    _COLLECTOR.engine = engine
    _COLLECTOR.clock = clock or SystemClock()
    return generate_latest(REGISTRY)
