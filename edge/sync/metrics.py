"""Prometheus metrics of the edge's replication, read from the database at scrape time (the
worker and the API are separate processes: in-process counters would only see one of them)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import Engine

from domain.clock import Clock
from edge.sync import service

_GAUGES: tuple[tuple[str, str, str], ...] = (
    ("backlog", "labred_edge_sync_backlog", "Outbox rows not yet acknowledged by the hub"),
    ("lag_seconds", "labred_edge_sync_lag_seconds", "Age of the oldest unacknowledged row"),
    ("last_seq", "labred_edge_sync_last_seq", "Last outbox seq written"),
    ("acked_seq", "labred_edge_sync_acked_seq", "Last seq the hub acknowledged"),
    ("pull_cursor", "labred_edge_sync_pull_cursor", "Change-feed cursor applied"),
    ("hub_offset_ms", "labred_edge_sync_hub_offset_ms", "Hub clock minus this node's clock"),
    ("consecutive_failures", "labred_edge_sync_consecutive_failures", "Failed rounds in a row"),
    ("deferred", "labred_edge_sync_deferred", "Pulled patients waiting for a local edit's ack"),
    ("epoch", "labred_edge_sync_epoch", "Epoch issued by the hub"),
    ("parked", "labred_edge_sync_parked", "Pulled records this node could not apply"),
    ("rejected", "labred_edge_sync_rejected", "Pushed rows the hub refused (parked there)"),
)
_COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("pushed_rows", "labred_edge_sync_pushed_rows", "Rows the hub acknowledged"),
    ("pulled_changes", "labred_edge_sync_pulled_changes", "Hub changes applied"),
    ("digest_repairs", "labred_edge_sync_digest_repairs", "Tables re-snapshotted after drift"),
    ("snapshots", "labred_edge_sync_snapshots", "Full snapshots applied"),
)


class _Collector:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine, self.clock = engine, clock

    def collect(self) -> Any:
        st = service.status(self.engine, self.clock)
        extra = service.counters(self.engine)
        now = self.clock.now()
        for key, name, doc in _GAUGES:
            yield GaugeMetricFamily(name, doc, value=float(st.get(key) or 0))
        for key, name, doc in _COUNTERS:
            yield CounterMetricFamily(name, doc, value=float(extra.get(key) or 0))
        ages = (
            ("last_push_at", "push", "the last successful push"),
            ("last_pull_at", "pull", "the last successful pull"),
            ("last_digest_at", "digest", "the mirror digests were last compared with the hub's"),
        )
        for key, name, what in ages:
            at = st.get(key)
            age = (now - at).total_seconds() if at is not None else -1.0
            yield GaugeMetricFamily(
                f"labred_edge_sync_last_{name}_age_seconds",
                f"Seconds since {what} (-1: never)",
                value=age,
            )
        yield GaugeMetricFamily(
            "labred_edge_sync_last_digest_repaired_tables",
            "Tables re-snapshotted at the last digest comparison (0: all agreed)",
            value=float(len(st.get("last_digest_repaired") or [])),
        )
        blocked = GaugeMetricFamily(
            "labred_edge_sync_blocked", "1 while sync waits for a human", labels=["reason"]
        )
        blocked.add_metric([str(st.get("blocked") or "")], 1.0 if st.get("blocked") else 0.0)
        yield blocked


def render(engine: Engine, clock: Clock) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(engine, clock))  # type: ignore[arg-type]
    return generate_latest(registry)
