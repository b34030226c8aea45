"""Deterministic simulation of a hub and N edges in one process (tests/sync/test_simulation.py).

Real code everywhere: the hub is the FastAPI app on a fresh PostgreSQL database, each edge a
real SQLite file with the real outbox; the only fakes are the network (an httpx transport that
drops requests, drops responses after the hub committed, duplicates, delays and re-delivers old
requests), the clocks (per node, skewed up to ±10 min; the hub's steps back and forth) and
crashes (hub: at named points inside a push; edge: the in-memory client is discarded and the
database reopened, at the reply or in the middle of a pull page). Everything is drawn from one
``random.Random(seed)``: a failing seed replays exactly.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import shutil
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlmodel import col, select

import central.sync.faults as faults
import edge.sync.service as edge_service
import sync.client as sync_client
from central.app import create_app
from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from central.settings import HubSettings
from domain.clock import business_date
from domain.errors import LabError
from domain.ids import new_id, sede_id_for
from edge.db import make_engine, unit_of_work
from edge.orders.models import Order, OrderItem, Payment
from edge.patients.models import Patient
from edge.sync import apply as edge_apply
from edge.sync.enroll import enroll
from sync import changefeed, outbox
from sync.client import SyncClient

BASE_TIME = dt.datetime(2026, 11, 29, 13, 0, tzinfo=dt.UTC)
MAX_SKEW = dt.timedelta(minutes=10)


class SimClock:
    def __init__(self, world: World, offset: dt.timedelta) -> None:
        self.world, self.offset = world, offset

    def now(self) -> dt.datetime:
        return self.world.time + self.offset


class World:
    def __init__(self) -> None:
        self.time = BASE_TIME


class InvariantError(AssertionError):
    pass


@dataclass
class Faults:
    drop_request: float = 0.08
    drop_response: float = 0.08
    duplicate: float = 0.05
    stash: float = 0.10
    hub_crash: float = 0.05
    edge_crash: float = 0.04
    crash_points: tuple[str, ...] | None = None  # None: every named point may crash

    @classmethod
    def none(cls) -> Faults:
        return cls(0, 0, 0, 0, 0, 0)


class SimTransport(httpx.BaseTransport):
    """Routes an edge's requests to the hub app through the faulty network."""

    def __init__(self, net: SimNetwork, name: str) -> None:
        self.net, self.name = net, name

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.net.send(self.name, request)


class SimNetwork:
    def __init__(self, hub: TestClient, rng: random.Random, faults_: Faults) -> None:
        self.hub, self.rng, self.faults = hub, rng, faults_
        self.inner: httpx.BaseTransport = hub._transport
        self.stash: list[tuple[str, httpx.Request]] = []
        self.partitioned: set[str] = set()
        self.stats: Counter[str] = Counter()

    def _deliver(self, request: httpx.Request) -> httpx.Response:
        copy = httpx.Request(
            request.method, request.url, headers=request.headers, content=request.content
        )
        resp = self.inner.handle_request(copy)
        resp.read()
        return resp

    def send(self, name: str, request: httpx.Request) -> httpx.Response:
        request.read()
        f, r = self.faults, self.rng.random
        if name in self.partitioned:
            self.stats["partitioned"] += 1
            raise httpx.ConnectError("partitioned", request=request)
        if r() < f.stash:
            self.stash.append((name, request))
            self.stats["stashed"] += 1
            if r() < 0.5:
                raise httpx.ReadTimeout("delayed", request=request)
        if r() < f.drop_request:
            self.stats["drop_request"] += 1
            raise httpx.ConnectError("dropped", request=request)
        resp = self._deliver(request)
        if r() < f.duplicate:
            self.stats["duplicate"] += 1
            self._deliver(request)
        if r() < f.drop_response:
            self.stats["drop_response"] += 1
            raise httpx.ReadTimeout("response lost", request=request)
        return resp

    def deliver_stale(self) -> None:
        if not self.stash:
            return
        _, request = self.stash.pop(self.rng.randrange(len(self.stash)))
        self.stats["stale_delivered"] += 1
        self._deliver(request)


@dataclass
class Edge:
    name: str
    code: str
    sede_id: str
    data_dir: Path
    clock: SimClock
    engine: Engine
    client: SyncClient | None = None
    committed: set[tuple[str, str]] = field(default_factory=set)
    patients: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    series_next: dict[str, int] = field(default_factory=dict)
    order_seq: int = 0


class Simulation:
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
        self.doc_sedes: dict[str, set[str]] = defaultdict(set)
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

    # ------------------------------------------------------------------ workload
    def _use(self, edge: Edge) -> None:
        outbox.set_clock(edge.clock)

    def new_patient(self, edge: Edge) -> None:
        self._use(edge)
        shared = [d for d in self.docs if edge.sede_id not in self.doc_sedes[d]]
        doc = (
            self.rng.choice(shared)
            if shared and self.rng.random() < 0.3
            else f"{self.rng.randrange(10**7, 10**8)}"
        )
        with unit_of_work(edge.engine) as s:
            held = s.exec(
                select(Patient).where(
                    Patient.doc_number == doc, col(Patient.canonical_id).is_(None)
                )
            ).first()
            if held is not None:
                return
            now = edge.clock.now()
            p = Patient(
                doc_type="1",
                doc_number=doc,
                first_names=self.rng.choice(["Ana", "Luis", "Rosa"]),
                last_names="Quispe",
                home_sede_id=edge.sede_id,
                phone=str(self.rng.randrange(900000000, 999999999)),
                created_at=now,
                updated_at=now,
            )
            s.add(p)
        edge.committed.add(("patient", p.id))
        edge.patients.append(p.id)
        if doc not in self.doc_sedes:
            self.docs.append(doc)
        self.doc_sedes[doc].add(edge.sede_id)

    def edit_patient(self, edge: Edge) -> None:
        self._use(edge)
        with unit_of_work(edge.engine) as s:
            rows = s.exec(select(Patient).where(col(Patient.canonical_id).is_(None))).all()
            if not rows:
                return
            p = self.rng.choice(sorted(rows, key=lambda x: x.id))
            p.phone = str(self.rng.randrange(900000000, 999999999))
            p.updated_at = edge.clock.now()
            s.add(p)
        edge.committed.add(("patient", p.id))

    def sale(self, edge: Edge) -> None:
        self._use(edge)
        with unit_of_work(edge.engine) as s:
            rows = s.exec(select(Patient.id).where(col(Patient.canonical_id).is_(None))).all()
            if not rows:
                return
            pid = self.rng.choice(sorted(rows))
            now = edge.clock.now()
            day = business_date(now)
            edge.order_seq = (
                s.exec(select(Order.id).where(Order.sede_id == edge.sede_id)).all().__len__()
            ) + 1
            n_items = self.rng.randint(1, 3)
            prices = [Decimal(self.rng.randrange(1000, 9000)) / 100 for _ in range(n_items)]
            total = sum(prices, Decimal("0"))
            order = Order(
                sede_id=edge.sede_id,
                number=f"{edge.code}-{uuid.uuid4().hex[:12]}",
                patient_id=pid,
                subtotal=total,
                total=total,
                paid_total=total,
                balance=Decimal("0"),
                cashier_id="c",
                business_date=day,
                created_at=now,
                updated_at=now,
            )
            s.add(order)
            s.flush()
            recs = [("order", order.id)]
            for price in prices:
                item = OrderItem(
                    order_id=order.id,
                    sede_id=edge.sede_id,
                    service_id="svc",
                    service_code="T0",
                    service_name="Prueba",
                    unit_price=price,
                    list_price=price,
                    line_total=price,
                    catalog_version=1,
                    business_date=day,
                    created_at=now,
                )
                s.add(item)
                recs.append(("order_item", item.id))
            pay = Payment(
                order_id=order.id,
                sede_id=edge.sede_id,
                method="efectivo",
                amount=total,
                cashier_id="c",
                business_date=day,
                created_at=now,
            )
            s.add(pay)
            recs.append(("payment", pay.id))
            series = f"B00{edge.code[-1]}"
            last = (
                s.connection()
                .execute(
                    text(
                        "SELECT max(CAST(json_extract(payload, '$.number') AS INTEGER)) "
                        "FROM sync_outbox WHERE record_type = 'invoice' "
                        "AND json_extract(payload, '$.series') = :s"
                    ),
                    {"s": series},
                )
                .scalar()
            )
            inv_id = new_id()
            outbox.record_change(
                s,
                record_type="invoice",
                record_id=inv_id,
                payload={
                    "id": inv_id,
                    "sede_id": edge.sede_id,
                    "series": series,
                    "number": int(last or 0) + 1,
                    "order_id": order.id,
                    "total_cents": int(total * 100),
                    "business_date": day.isoformat(),
                },
                business_date=day.isoformat(),
            )
            recs.append(("invoice", inv_id))
        edge.committed.update(recs)
        edge.orders.append(order.id)

    def update_order(self, edge: Edge) -> None:
        if not edge.orders:
            return
        self._use(edge)
        oid = self.rng.choice(edge.orders)
        with unit_of_work(edge.engine) as s:
            order = s.get(Order, oid)
            assert order is not None
            order.status = self.rng.choice(["en_proceso", "resultados", "entregada"])
            order.updated_at = edge.clock.now()
            s.add(order)

    def hub_write(self) -> None:
        from central.auth.models import HubUser
        from central.catalog.models import CatalogService

        if self.rng.random() < 0.6:  # the hub's clock is stepped by NTP
            self.hub_clock.offset = dt.timedelta(seconds=self.rng.uniform(-600, 600))
        with hub_uow(self.hub_rt.engine) as s:
            now = self.hub_clock.now()
            services = s.exec(select(CatalogService).order_by(CatalogService.code)).all()
            for svc in self.rng.sample(list(services), k=min(2, len(services))):
                svc.price_cents += self.rng.choice([-100, 100, 250])
                svc.updated_at = now
                s.add(svc)
            if self.rng.random() < 0.5:
                s.add(
                    HubUser(
                        username=f"u{uuid.uuid4().hex[:8]}",
                        full_name="Nuevo",
                        role="laboratorista",
                        password_hash="x",
                        sede_ids=[],
                        updated_at=now,
                    )
                )
            if self.rng.random() < 0.3:
                s.add(
                    CatalogService(
                        code=f"N{uuid.uuid4().hex[:6]}",
                        name="Nueva",
                        price_cents=2000,
                        updated_at=now,
                    )
                )

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

    # ------------------------------------------------------------------ invariants
    def _hub_hwm(self, edge: Edge) -> int:
        state = self._state(edge)
        with self.hub_rt.engine.connect() as conn:
            v = conn.execute(
                text("SELECT hwm FROM sync_inbox WHERE node_id = :n AND epoch = :e"),
                {"n": state["node_id"], "e": state["epoch"]},
            ).scalar()
        return int(v or 0)

    def _state(self, edge: Edge) -> dict[str, Any]:
        with edge.engine.connect() as conn:
            return dict(conn.execute(outbox.sync_state.select()).mappings().one())

    def check_push_invariants(self, edge: Edge) -> None:
        state, hwm = self._state(edge), self._hub_hwm(edge)
        if state["acked_seq"] > hwm:
            raise InvariantError(
                f"seed {self.seed}: {edge.name} acked {state['acked_seq']} "
                f"beyond the hub's mark {hwm}"
            )
        with edge.engine.connect() as conn:
            txs: dict[Any, Any] = dict(
                conn.execute(
                    text("SELECT seq, tx_id FROM sync_outbox WHERE seq IN (:a, :b)"),
                    {"a": hwm, "b": hwm + 1},
                ).all()
            )
        if hwm in txs and hwm + 1 in txs and txs[hwm] == txs[hwm + 1]:
            raise InvariantError(
                f"seed {self.seed}: {edge.name} hub mark {hwm} splits transaction {txs[hwm]}"
            )

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

    def _settled(self, edge: Edge) -> bool:
        state = self._state(edge)
        with self.hub_rt.engine.connect() as conn:
            head = changefeed.head(conn)
        with edge.engine.connect() as conn:
            deferred = conn.execute(text("SELECT count(*) FROM sync_deferred")).scalar()
        return (
            state["acked_seq"] == state["last_seq"]
            and state["pull_cursor"] == head
            and not deferred
        )

    def check_final(self) -> dict[str, Any]:
        s = self.seed
        with self.hub_rt.engine.connect() as conn:
            hub_records = {
                (r.record_type, r.id): r.payload
                for r in conn.execute(text("SELECT record_type, id, payload FROM sync_record"))
            }
            dup = conn.execute(
                text(
                    "SELECT payload->>'series', payload->>'number', count(*) FROM sync_record "
                    "WHERE record_type = 'invoice' GROUP BY 1, 2 HAVING count(*) > 1"
                )
            ).all()
            parked = conn.execute(text("SELECT count(*) FROM sync_parked")).scalar()
            hub_patients = conn.execute(text("SELECT doc_number, id FROM hub_patient")).all()
            aliases: dict[Any, Any] = dict(
                conn.execute(text("SELECT alias_id, canonical_id FROM hub_patient_alias")).all()
            )
            dup_conflicts = conn.execute(
                text("SELECT count(*) FROM sync_conflict WHERE kind = 'duplicate_identity'")
            ).scalar()
            head = changefeed.head(conn)
        if dup:
            raise InvariantError(f"seed {s}: (series, number) twice at the hub: {dup}")
        if parked:
            raise InvariantError(f"seed {s}: {parked} rows parked without an injected bad row")
        from central.sync.models import Node
        from central.sync.pull import digests

        seen: set[tuple[str, str]] = set()
        for e in self.edges:
            with e.engine.connect() as conn:
                images: dict[tuple[str, str], dict[str, Any]] = {}
                for r in conn.execute(
                    text("SELECT record_type, record_id, payload FROM sync_outbox ORDER BY seq")
                ):
                    images[(r.record_type, r.record_id)] = json.loads(r.payload)
                for key in e.committed:
                    if key not in images:
                        raise InvariantError(f"seed {s}: {e.name} lost outbox row {key}")
                mine = {k: v for k, v in images.items() if k[0] != "patient"}
                for key, image in mine.items():
                    if key not in hub_records:
                        raise InvariantError(f"seed {s}: {e.name} record {key} missing at hub")
                    if hub_records[key] != image:
                        raise InvariantError(
                            f"seed {s}: {e.name} record {key} differs at hub:"
                            f" {hub_records[key]} != {image}"
                        )
                seen |= set(mine)
                edge_sums = conn.execute(
                    text("SELECT business_date, count(*), sum(amount) FROM payment GROUP BY 1")
                ).all()
                local_dig = edge_apply.local_digests(conn)
                repairs = conn.execute(
                    text("SELECT digest_repairs FROM sync_status WHERE id = 1")
                ).scalar()
                canon: dict[Any, Any] = dict(
                    conn.execute(
                        text("SELECT doc_number, id FROM patient WHERE canonical_id IS NULL")
                    ).all()
                )
            hub_sums: defaultdict[Any, list[int]] = defaultdict(lambda: [0, 0])
            for (rtype, _), p in hub_records.items():
                if rtype == "payment" and p["sede_id"] == e.sede_id:
                    hub_sums[p["business_date"]][0] += 1
                    hub_sums[p["business_date"]][1] += p["amount"]
            edge_map = {str(d): [n, int(a)] for d, n, a in edge_sums}
            if edge_map != dict(hub_sums.items()):
                raise InvariantError(
                    f"seed {s}: {e.name} payments per day differ: {edge_map} != {dict(hub_sums)}"
                )
            with hub_uow(self.hub_rt.engine) as hs:
                hub_dig = digests(hs, sede_id=e.sede_id, upto=head)
                node = hs.exec(select(Node).where(Node.sede_id == e.sede_id)).first()
                assert node is not None
            for rtype, digest in local_dig.items():
                if hub_dig.get(rtype) != digest:
                    raise InvariantError(f"seed {s}: {e.name} table {rtype} differs from hub")
            if repairs:
                raise InvariantError(
                    f"seed {s}: {e.name} needed {repairs} digest repairs "
                    "(a change was skipped by the pull)"
                )
            hub_canon: dict[Any, Any] = dict(hub_patients)
            for doc, pid in canon.items():
                if hub_canon.get(doc) != pid:
                    raise InvariantError(
                        f"seed {s}: {e.name} doc {doc} -> {pid}, hub {hub_canon.get(doc)}"
                    )
        if len({d for d, _ in hub_patients}) != len(hub_patients):
            raise InvariantError(f"seed {s}: a document has two canonical patients at the hub")
        if set(hub_records) - seen:
            raise InvariantError(f"seed {s}: hub has records no edge wrote")
        shared = sum(len(v) - 1 for v in self.doc_sedes.values())
        if len(aliases) != shared or (dup_conflicts or 0) < shared:
            raise InvariantError(
                f"seed {s}: {shared} duplicate registrations but "
                f"{len(aliases)} aliases, {dup_conflicts} conflicts"
            )
        return {
            "records": len(hub_records),
            "patients": len(hub_patients),
            "aliases": len(aliases),
            "net": dict(self.net.stats),
        }

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
