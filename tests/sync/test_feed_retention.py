"""The change feed's retention: rows older than it are compacted (superseded images dropped); a
node whose cursor is older than the horizon gets a full snapshot, a recent one a delta."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from central.catalog.models import CatalogService
from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from central.sync.pull import FEED_RETENTION, compact_expired
from domain.clock import FixedClock, SystemClock
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync.enroll import enroll, load_credentials
from sync.client import SyncClient
from sync.protocol import PullPage
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code, node_client

CLOCK = SystemClock()


class RecordingClient(SyncClient):
    pages: list[PullPage]

    def pull(self, cursor: int, *, limit: int = 1000, digests: bool = True) -> PullPage:
        page = super().pull(cursor, limit=limit, digests=digests)
        self.pages.append(page)
        return page


def _reprice(rt: HubRuntime, cents: int) -> None:
    with hub_uow(rt.engine) as s:
        svc = s.exec(select(CatalogService)).one()
        svc.price_cents = cents
        s.add(svc)


def _edge_price(rt: EdgeRuntime) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(text("SELECT price_cents FROM catalog_service")).scalar_one())


def test_old_cursor_gets_a_snapshot_after_compaction_recent_one_a_delta(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    with hub_uow(hub_runtime.engine) as s:
        s.add(
            CatalogService(code="HEMO", name="Hemograma", price_cents=3000, updated_at=CLOCK.now())
        )
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    creds = load_credentials(edge_runtime.settings.data_dir) or {}
    client = RecordingClient(
        hub_client, node_id=creds["node_id"], secret=creds["secret"], attempts=1
    )
    client.pages = []
    for cents in (3100, 3200, 3300):  # three images of one record while the node is away
        _reprice(hub_runtime, cents)
    with hub_uow(hub_runtime.engine) as s:
        assert compact_expired(session=s, clock=CLOCK) == 0  # nothing older than the retention
    later = FixedClock(CLOCK.now() + FEED_RETENTION + dt.timedelta(days=1))
    with hub_uow(hub_runtime.engine) as s:
        removed = compact_expired(session=s, clock=later)
    assert removed >= 3  # the service's older images (and the first one pulled)
    with hub_runtime.engine.connect() as conn:
        kept = conn.execute(
            text("SELECT count(*) FROM sync_change_feed WHERE record_type = 'catalog_service'")
        ).scalar()
    assert kept == 1
    service.pull_changes(edge_runtime.engine, client, CLOCK)
    assert [p.reset for p in client.pages] == [True]  # older than the horizon: full snapshot
    assert _edge_price(edge_runtime) == 3300
    _reprice(hub_runtime, 3400)
    service.pull_changes(edge_runtime.engine, client, CLOCK)
    assert [p.reset for p in client.pages] == [True, False]  # at the horizon: a delta
    assert _edge_price(edge_runtime) == 3400
    with edge_runtime.engine.connect() as conn:
        repairs = conn.execute(text("SELECT digest_repairs FROM sync_status")).scalar()
    assert repairs == 0
