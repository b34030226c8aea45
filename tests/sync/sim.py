"""Deterministic simulation of a hub and N edges in one process (tests/sync/test_simulation.py).

Real code everywhere: the hub is the FastAPI app on a fresh PostgreSQL database, each edge a
real SQLite file with the real outbox; the only fakes are the network (an httpx transport that
drops requests, drops responses after the hub committed, duplicates, delays and re-delivers old
requests), the clocks (per node, skewed up to ±10 min; the hub's steps back and forth) and
crashes (hub: at named points inside a push; edge: the in-memory client is discarded and the
database reopened, at the reply or in the middle of a pull page). Everything is drawn from one
``random.Random(seed)``: a failing seed replays exactly.

The parts live in modules named for what they do: ``sim_network`` (time, network, fault rates),
``sim_actors`` (the edges' and the hub's workload), ``sim_checks`` (the invariants); this module
wires them into one :class:`Simulation` (setup, injected crashes, sync rounds, the driver).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import shutil
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

import central.sync.faults as faults
import edge.sync.service as edge_service
import sync.client as sync_client
from central.app import create_app
from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from central.settings import HubSettings
from domain.errors import LabError
from domain.ids import sede_id_for
from edge.db import make_engine
from edge.sync.enroll import enroll
from sync import changefeed, outbox
from sync.client import SyncClient
from tests.sync.sim_actors import Actors, Edge
from tests.sync.sim_checks import Checks, InvariantError
from tests.sync.sim_network import Faults, SimClock, SimNetwork, SimTransport, World

__all__ = ["Edge", "Faults", "InvariantError", "Simulation"]


class Simulation(Actors, Checks):
    """One seeded run. ``run()`` returns a summary or raises ``InvariantError``."""

    def __init__(
        self,
        *,
        seed: int,
        pg_base_url: str,
        hub_template: str,
        edge_template: Path,
        workdir: Path,
        edges: int = 6,
        steps: int = 150,
        faults_: Faults | None = None,
        batch_rows: int = 50,
        page_limit: int = 7,
        hub_write_rate: float = 0.06,
    ) -> None:
        self.seed, self.rng = seed, random.Random(seed)
        self.world = World()
        self.workdir = workdir
        self.steps, self.batch_rows, self.page_limit = steps, batch_rows, page_limit
        self.hub_write_rate = hub_write_rate
        self.faults = faults_ or Faults()
        self.pg_base_url, self.hub_template = pg_base_url, hub_template
        self.edge_template = edge_template
        self.n_edges = edges
        self.docs: list[str] = []
        self.doc_sedes = defaultdict(set)
        self.edges: list[Edge] = []
        self.hub_clock = SimClock(self.world, dt.timedelta(0))
        self.db_name = f"labred_sim_{uuid.uuid4().hex[:10]}"
        self.current: Edge | None = None

    # ------------------------------------------------------------------ setup / teardown
    def _admin(self) -> Engine:
        return create_engine(self.pg_base_url, isolation_level="AUTOCOMMIT")

    def __enter__(self) -> Simulation:
        from sqlalchemy.engine import make_url

        admin = self._admin()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.db_name}" TEMPLATE "{self.hub_template}"'))
        admin.dispose()
        url = (
            make_url(self.pg_base_url)
            .set(database=self.db_name)
            .render_as_string(hide_password=False)
        )
        hub_dir = self.workdir / "hub"
        hub_dir.mkdir(parents=True, exist_ok=True)
        settings = HubSettings(data_dir=hub_dir, database_url=url, jwt_secret="s" * 40)
        self.hub_rt = HubRuntime.open(settings)
        self.hub_rt.clock = self.hub_clock
        changefeed.set_clock(self.hub_clock)
        app = create_app(settings, runtime=self.hub_rt)
        from central.sync.deps import require_sync_manage

        app.dependency_overrides[require_sync_manage] = lambda: "sim-admin"
        self.hub = TestClient(app, raise_server_exceptions=False, base_url="http://hub")
        self.hub.__enter__()
        self.net = SimNetwork(self.hub, self.rng, self.faults)
        logging.getLogger("labred.http").setLevel(logging.CRITICAL)
        self._seed_hub()
        for k in range(1, self.n_edges + 1):
            self._add_edge(k)
        faults.hook = self._hub_fault
        edge_service.hook = self._edge_fault
        return self

    def __exit__(self, *exc: object) -> None:
        faults.hook = None
        faults.planted.clear()
        edge_service.hook = None
        sync_client.PLANTED_SPLIT_TX = False
        from domain.clock import SystemClock

        outbox.set_clock(SystemClock())
        changefeed.set_clock(SystemClock())
        for e in self.edges:
            e.engine.dispose()
        self.hub.__exit__(None, None, None)
        self.hub_rt.close()
        admin = self._admin()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _seed_hub(self) -> None:
        from central.auth.models import HubUser
        from central.catalog.models import CatalogCategory, CatalogService
        from central.config.models import Company, Sede, Setting

        now = self.hub_clock.now()
        with hub_uow(self.hub_rt.engine) as s:
            s.add(Company(ruc="20100070970", razon_social="LABRED SAC", updated_at=now))
            for k in range(1, self.n_edges + 1):
                s.add(
                    Sede(
                        id=sede_id_for(f"S0{k}"),
                        code=f"S0{k}",
                        name=f"Sede {k}",
                        series={"01": f"F00{k}", "03": f"B00{k}"},
                        updated_at=now,
                    )
                )
            cat = CatalogCategory(code="HEM", name="Hematología", updated_at=now)
            s.add(cat)
            s.flush()
            for i in range(4):
                s.add(
                    CatalogService(
                        code=f"T{i}",
                        name=f"Prueba {i}",
                        category_id=cat.id,
                        price_cents=1000 + 500 * i,
                        updated_at=now,
                    )
                )
            s.add(
                HubUser(
                    username="ana",
                    full_name="Ana",
                    role="recepcionista",
                    password_hash="x",
                    sede_ids=[],
                    updated_at=now,
                )
            )
            s.add(Setting(key="igv", value=18, updated_at=now))

    def _add_edge(self, k: int) -> None:
        code = f"S0{k}"
        data = self.workdir / f"edge{k}"
        data.mkdir(parents=True)
        shutil.copy(self.edge_template, data / "edge.sqlite3")
        offset = dt.timedelta(seconds=self.rng.uniform(-600, 600))
        edge = Edge(
            name=code,
            code=code,
            sede_id=sede_id_for(code),
            data_dir=data,
            clock=SimClock(self.world, offset),
            engine=make_engine(data / "edge.sqlite3"),
        )
        outbox.set_clock(edge.clock)
        resp = self.hub.post("/api/sync/nodes", json={"sede_id": edge.sede_id, "name": code})
        assert resp.status_code == 201, resp.text
        direct = SyncClient(self.hub, attempts=1, sleep=lambda s: None)
        enroll(
            edge.engine,
            data,
            hub_url="http://hub",
            code=resp.json()["enrolment_code"],
            clock=edge.clock,
            client=direct,
        )
        self.edges.append(edge)
        self._connect(edge)

    def _connect(self, edge: Edge) -> None:
        from edge.sync.enroll import load_credentials

        creds = load_credentials(edge.data_dir) or {}
        http = httpx.Client(transport=SimTransport(self.net, edge.name), base_url="http://hub")
        edge.client = SyncClient(
            http,
            node_id=creds.get("node_id"),
            secret=creds.get("secret"),
            attempts=1,
            sleep=lambda s: None,
        )

    # ------------------------------------------------------------------ faults
    def _hub_fault(self, point: str) -> None:
        if self.faults.crash_points is not None and point not in self.faults.crash_points:
            return
        if self.faults.hub_crash and self.rng.random() < self.faults.hub_crash:
            self.net.stats[f"crash:{point}"] += 1
            raise faults.InjectedCrash(point)

    def _edge_fault(self, point: str) -> None:
        if point == "edge.after_ack":
            if self.current is not None:
                self.check_push_invariants(self.current)
            return
        if self.faults.edge_crash and self.rng.random() < self.faults.edge_crash:
            self.net.stats[f"crash:{point}"] += 1
            raise faults.InjectedCrash(point)

    def crash_edge(self, edge: Edge) -> None:
        """The edge process dies: memory gone, the database file reopened."""
        edge.engine.dispose()
        edge.engine = make_engine(edge.data_dir / "edge.sqlite3")
        edge.client = None
        self._connect(edge)

    # ------------------------------------------------------------------ sync rounds
    def sync(self, edge: Edge) -> None:
        assert edge.client is not None
        self._use(edge)
        self.current = edge
        try:
            edge_service.push_pending(
                edge.engine, edge.client, edge.clock, max_batches=5, max_rows=self.batch_rows
            )
            edge_service.pull_changes(
                edge.engine, edge.client, edge.clock, page_limit=self.page_limit, max_pages=20
            )
        except (LabError, faults.InjectedCrash) as exc:
            if isinstance(exc, faults.InjectedCrash):
                self.crash_edge(edge)
            elif exc.code not in ("hub_unavailable",):
                raise InvariantError(f"seed {self.seed}: {edge.name} sync error {exc!r}") from None
        self.check_push_invariants(edge)

    def quiesce(self, rounds: int = 40) -> None:
        self.net.faults = Faults.none()
        self.faults.hub_crash = self.faults.edge_crash = 0
        self.net.partitioned.clear()
        while self.net.stash:
            self.net.deliver_stale()
        for _ in range(rounds):
            for e in self.edges:
                self.sync(e)
            if all(self._settled(e) for e in self.edges):
                for e in self.edges:  # one more pull so every edge sees the last merges
                    self.sync(e)
                if all(self._settled(e) for e in self.edges):
                    return
        raise InvariantError(
            f"seed {self.seed}: no quiescence after {rounds} rounds "
            f"(stuck queue): {[self._state(e) for e in self.edges]}"
        )

    # ------------------------------------------------------------------ driver
    def run(self) -> dict[str, Any]:
        actions = [
            (self.sale, 5),
            (self.new_patient, 3),
            (self.edit_patient, 2),
            (self.update_order, 3),
            (self.sync, 6),
        ]
        weights = [w for _, w in actions]
        for _step in range(self.steps):
            self.world.time += dt.timedelta(seconds=self.rng.uniform(0, 400))
            roll = self.rng.random()
            if roll < self.hub_write_rate:
                self.hub_write()
            elif roll < self.hub_write_rate + 0.04:
                self.net.deliver_stale()
            elif roll < self.hub_write_rate + 0.06:
                e = self.rng.choice(self.edges)
                if e.name in self.net.partitioned:
                    self.net.partitioned.discard(e.name)
                else:
                    self.net.partitioned.add(e.name)
            elif roll < self.hub_write_rate + 0.06 + self.faults.edge_crash:
                self.crash_edge(self.rng.choice(self.edges))
            else:
                fn = self.rng.choices([a for a, _ in actions], weights=weights)[0]
                fn(self.rng.choice(self.edges))  # type: ignore[operator]
        self.quiesce()
        return self.check_final()
