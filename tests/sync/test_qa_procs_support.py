"""Support for the QA replication tests across real processes (no tests here).

A light cluster: the hub is a real ``labred hub serve`` process on the test's own PostgreSQL
database (the ``hub_database_url`` fixture, so no embedded server has to start), edges are real
SQLite files copied from the migrated template and enrolled in-process over HTTP; an edge's sync
loop runs either in the test process (``push``/``pull`` below, with the real HTTP client) or as a
real ``labred edge worker`` process. A hub started with ``pause`` stops at a named point
(``sync.faultenv``) and drops a marker file, so ``kill -9`` lands on that exact step.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from central.settings import HubSettings
from central.sync import nodes
from domain.clock import SystemClock, business_date
from domain.ids import sede_id_for
from edge.db import make_engine, unit_of_work
from edge.orders.models import Order, Payment
from edge.patients.models import Patient
from edge.settings import job_intervals_toml
from edge.sync.enroll import enroll, load_credentials
from sync.client import SyncClient
from sync.faultenv import ENV_MARKERS, ENV_PAUSE
from tests.procs import free_port, kill9, labred, terminate, wait_ready
from tests.sync.replication_helpers import add_patient, add_sale, make_hub_sede

CLOCK = SystemClock()
JWT = "qa-secret-" + "q" * 40


def wait_until(what: str, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@dataclass
class QaEdge:
    code: str
    data: Path
    engine: Engine
    worker: subprocess.Popen[bytes] | None = None
    client: SyncClient | None = None

    @property
    def sede_id(self) -> str:
        return sede_id_for(self.code)

    def state(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM sync_state WHERE id = 1")).mappings().one()
            return dict(row)


@dataclass
class QaCluster:
    root: Path
    database_url: str
    edge_template: Path
    port: int = field(default_factory=free_port)
    hub: subprocess.Popen[bytes] | None = None
    starts: int = 0
    edges: list[QaEdge] = field(default_factory=list)
    rt: HubRuntime | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self, name: str) -> Path:
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        return self.root / "logs" / f"{name}.log"

    def marker(self, name: str, point: str) -> Path:
        return self.root / "marks" / name / point

    # ------------------------------------------------------------------ hub
    def runtime(self) -> HubRuntime:
        """The test's own connection to the hub's database (seeding and checks)."""
        if self.rt is None:
            data = self.root / "hub-rt"
            data.mkdir(parents=True, exist_ok=True)
            settings = HubSettings(data_dir=data, database_url=self.database_url, jwt_secret=JWT)
            self.rt = HubRuntime.open(settings)
        return self.rt

    def start_hub(self, pause: str | None = None, *, min_pull_schema: int | None = None) -> str:
        """Start the hub process; returns its name (for markers). ``min_pull_schema`` plays an
        upgraded hub that refuses pulls from the schema the edges run (set before it serves)."""
        self.starts += 1
        name = f"hub{self.starts}"
        env = {"LABRED_HUB_DATABASE_URL": self.database_url, "LABRED_HUB_JWT_SECRET": JWT}
        env["LABRED_HUB_RATE_LIMIT_PER_MINUTE"] = "1000000"
        if pause:
            env[ENV_PAUSE] = pause
            env[ENV_MARKERS] = str(self.root / "marks" / name)
        data = self.root / "hub"
        data.mkdir(parents=True, exist_ok=True)
        args = ("hub", "serve", "--data-dir", str(data), "--port", str(self.port))
        if min_pull_schema is None:
            self.hub = labred(*args, log=self.log(name), env=env)
        else:
            prelude = (
                "import sys, central.sync.router as r; "
                f"r.MIN_PULL_SCHEMA = {min_pull_schema}; "
                "from labred.cli import main; sys.exit(main(sys.argv[1:]))"
            )
            with self.log(name).open("ab") as fh:
                self.hub = subprocess.Popen(
                    [sys.executable, "-c", prelude, *args],
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    env={**os.environ, **env},
                )
        wait_ready(f"{self.url}/ready", self.hub, self.log(name))
        return name

    def kill_hub(self) -> None:
        assert self.hub is not None
        kill9(self.hub)

    def stop_hub(self) -> None:
        if self.hub is not None and self.hub.poll() is None:
            terminate(self.hub)

    def quiet_hub(self) -> None:
        """Stop the hub and the test's own connections: no connection may use the database
        while it is copied (``CREATE DATABASE ... TEMPLATE``)."""
        self.stop_hub()
        if self.rt is not None:
            self.rt.close()
            self.rt = None

    def dump_hub(self, admin: Engine, name: str) -> None:
        """A copy of the (quiet) hub database as ``name``: the nightly backup."""
        live = make_url(self.database_url).database
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{live}"'))

    def restore_hub(self, admin: Engine, name: str) -> None:
        """The (quiet) hub database replaced by the copy ``name``: the disk died."""
        live = make_url(self.database_url).database
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{live}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{live}" TEMPLATE "{name}"'))

    # ------------------------------------------------------------------ edges
    def add_edge(self, code: str) -> QaEdge:
        """A real edge database for sede ``code``, enrolled at the running hub."""
        rt = self.runtime()
        sede = sede_id_for(code)
        with rt.engine.connect() as conn:
            known = conn.execute(text("SELECT 1 FROM sede WHERE id = :i"), {"i": sede}).first()
        if known is None:
            make_hub_sede(rt, code)
        with hub_uow(rt.engine) as session:
            _, code_ = nodes.create_node(session=session, sede_id=sede, name=code, clock=CLOCK)
        data = self.root / f"edge-{code}"
        data.mkdir(parents=True)
        shutil.copy(self.edge_template, data / "edge.sqlite3")
        engine = make_engine(data / "edge.sqlite3")
        http = httpx.Client(base_url=self.url, timeout=10)
        enroll(
            engine,
            data,
            hub_url=self.url,
            code=code_,
            clock=CLOCK,
            client=SyncClient(http, attempts=1, sleep=lambda s: None),
        )
        edge = QaEdge(code=code, data=data, engine=engine)
        edge.client = self.client_for(edge)
        self.edges.append(edge)
        return edge

    def client_for(self, edge: QaEdge, *, timeout: float = 10.0) -> SyncClient:
        creds = load_credentials(edge.data) or {}
        http = httpx.Client(base_url=self.url, timeout=timeout)
        return SyncClient(
            http,
            node_id=creds.get("node_id"),
            secret=creds.get("secret"),
            attempts=1,
            sleep=lambda s: None,
        )

    def start_worker(
        self,
        edge: QaEdge,
        tag: str = "w",
        *,
        digest_interval_s: float = 0,
        job_intervals: dict[str, float] | None = None,
    ) -> None:
        """A real ``labred edge worker``; it compares the digests every ``digest_interval_s``
        (0: at every pull, so these tests see a drift at once); ``job_intervals`` goes in its
        edge.toml (else the short ones of :func:`tests.procs.short_job_intervals`)."""
        lines = [f"sync_digest_interval_s = {digest_interval_s}"]
        if job_intervals is not None:
            lines.append(job_intervals_toml(job_intervals))
        (edge.data / "edge.toml").write_text("\n".join(lines) + "\n")
        name = f"{edge.code}-{tag}"
        args = ("edge", "worker", "--data-dir", str(edge.data))
        edge.worker = labred(*args, log=self.log(name))

    # ------------------------------------------------------------------ reads
    def hub_scalar(self, sql: str, **params: Any) -> Any:
        with self.runtime().engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def hub_rows(self, sql: str, **params: Any) -> list[Any]:
        with self.runtime().engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())

    def hwm(self, edge: QaEdge) -> int:
        st = edge.state()
        return int(
            self.hub_scalar(
                "SELECT hwm FROM sync_inbox WHERE node_id = :n AND epoch = :e",
                n=st["node_id"],
                e=st["epoch"],
            )
            or 0
        )

    def close(self) -> None:
        for edge in self.edges:
            if edge.worker is not None and edge.worker.poll() is None:
                terminate(edge.worker)
            edge.engine.dispose()
        self.stop_hub()
        if self.rt is not None:
            self.rt.close()


def edge_outbox_images(edge: QaEdge) -> dict[tuple[str, str], str]:
    """(record_type, id) -> the last payload (JSON text) of the edge's outbox."""
    engine = create_engine(f"sqlite:///{edge.data / 'edge.sqlite3'}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT record_type, record_id, payload FROM sync_outbox ORDER BY seq")
            ).all()
    finally:
        engine.dispose()
    return {(r[0], r[1]): r[2] for r in rows}


@pytest.fixture
def cluster(tmp_path: Path, hub_database_url: str, edge_template: Path) -> Iterator[QaCluster]:
    c = QaCluster(root=tmp_path, database_url=hub_database_url, edge_template=edge_template)
    try:
        yield c
    finally:
        c.close()


def sales(edge: QaEdge, n: int, *, first: int = 1) -> None:
    for i in range(first, first + n):
        pid = add_patient(edge.engine, CLOCK, sede_id=edge.sede_id, doc=f"7{i:07d}")
        add_sale(
            edge.engine,
            CLOCK,
            sede_id=edge.sede_id,
            patient_id=pid,
            number=f"{edge.code}-20261129-{i:04d}",
            amount=Decimal("12.50"),
        )


def bulk_sales(edge: QaEdge, transactions: int, per_tx: int) -> None:
    """``transactions`` local transactions of ``per_tx`` sales each (patient, order, payment)."""
    amount = Decimal("12.50")
    for t in range(transactions):
        now = dt.datetime.now(dt.UTC)
        day = business_date(now)
        patients = [
            Patient(
                doc_type="1",
                doc_number=f"8{t:03d}{k:04d}",
                first_names="Ana",
                last_names="Quispe",
                home_sede_id=edge.sede_id,
                created_at=now,
                updated_at=now,
            )
            for k in range(per_tx)
        ]
        orders = [
            Order(
                sede_id=edge.sede_id,
                number=f"{edge.code}-B{t:03d}-{k:04d}",
                patient_id=p.id,
                subtotal=amount,
                total=amount,
                balance=Decimal("0.00"),
                paid_total=amount,
                cashier_id="cajero",
                business_date=day,
                created_at=now,
                updated_at=now,
            )
            for k, p in enumerate(patients)
        ]
        payments = [
            Payment(
                order_id=o.id,
                sede_id=edge.sede_id,
                method="efectivo",
                amount=amount,
                cashier_id="cajero",
                business_date=day,
                created_at=now,
            )
            for o in orders
        ]
        with unit_of_work(edge.engine) as session:
            for rows in (patients, orders, payments):  # parents first (no ORM relationships)
                session.add_all(rows)
                session.flush()


def check_exactly_once(c: QaCluster, edge: QaEdge) -> None:
    """The hub holds every record of the edge's outbox once, with its last image; the mark is
    the edge's last seq and the edge acked exactly that."""
    st = edge.state()
    assert st["acked_seq"] == st["last_seq"] == c.hwm(edge)
    images = edge_outbox_images(edge)
    mine = {k: json.loads(v) for k, v in images.items() if k[0] != "patient"}
    hub = {
        (r[0], r[1]): r[2]
        for r in c.hub_rows(
            "SELECT record_type, id, payload FROM sync_record WHERE sede_id = :s", s=edge.sede_id
        )
    }
    assert set(hub) == set(mine)
    assert all(hub[k] == v for k, v in mine.items())
    patients = {k[1] for k in images if k[0] == "patient"}
    held = {r[0] for r in c.hub_rows("SELECT id FROM hub_patient")}
    assert patients <= held
    assert c.hub_scalar("SELECT count(*) FROM sync_parked") == 0
