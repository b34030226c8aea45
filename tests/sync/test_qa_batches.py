"""QA of the push protocol's limits and of replay (sync notes §3.3, §3.7, §4.2 invariant 10).

- One local transaction is never split across batches, so it travels whole however large it is:
  a convenio's monthly factura writes a line and a link per order of the month. The hub must take
  it; a refusal would block the node's queue for good (every retry is the same batch).
- Re-sending every push request a node ever made, in random order, leaves the hub unchanged.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import random
from decimal import Decimal

import httpx
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.clock import SystemClock, business_date
from edge.db import unit_of_work
from edge.orders.models import Order, Payment
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync.enroll import enroll, load_credentials
from sync.client import SyncClient
from tests.sync.replication_helpers import (
    add_patient,
    add_sale,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)

CLOCK = SystemClock()


def _enrolled(hub_client: TestClient, hub_runtime: HubRuntime, edge: EdgeRuntime) -> str:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    enroll(
        edge.engine,
        edge.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    return sede


def test_qa_one_transaction_larger_than_any_batch_limit_is_taken_whole(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    sede = _enrolled(hub_client, hub_runtime, edge_runtime)
    client = node_client(hub_client, load_credentials(edge_runtime.settings.data_dir))
    now = dt.datetime.now(dt.UTC)
    day, amount, n = business_date(now), Decimal("10.00"), 2_100
    patients = [
        Patient(
            doc_type="1",
            doc_number=f"9{k:07d}",
            first_names="Ana",
            last_names="Quispe",
            home_sede_id=sede,
            created_at=now,
            updated_at=now,
        )
        for k in range(n)
    ]
    orders = [
        Order(
            sede_id=sede,
            number=f"S01-G-{k:05d}",
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
            sede_id=sede,
            method="efectivo",
            amount=amount,
            cashier_id="cajero",
            business_date=day,
            created_at=now,
        )
        for o in orders
    ]
    with unit_of_work(edge_runtime.engine) as session:  # 6,300 rows, one transaction
        for rows in (patients, orders, payments):
            session.add_all(rows)
            session.flush()
    pid = add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="41111111")
    add_sale(  # a sale after it: must not wait behind the big one forever
        edge_runtime.engine, CLOCK, sede_id=sede, patient_id=pid, number="S01-A", amount=amount
    )
    last = service.backlog(edge_runtime.engine)
    assert last > 6_000
    assert service.push_pending(edge_runtime.engine, client, CLOCK) == last
    with hub_runtime.engine.connect() as conn:
        held = conn.execute(text("SELECT count(*) FROM sync_record")).scalar()
    assert held == 2 * n + 2


class _Recording(httpx.BaseTransport):
    """Passes requests to the hub app and keeps a copy of every push."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.pushes: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if request.url.path == "/api/sync/push":
            self.pushes.append(
                httpx.Request(
                    request.method, request.url, headers=request.headers, content=request.content
                )
            )
        resp = self.inner.handle_request(request)
        resp.read()
        return resp


def _hub_digest(rt: HubRuntime) -> str:
    queries = (
        "SELECT record_type, id, payload::text, hlc, seq, op, late FROM sync_record ORDER BY 1, 2",
        "SELECT id, doc_type, doc_number, phone, first_names, row_hlc, canonical_id, "
        "updated_at::text FROM hub_patient ORDER BY 1",
        "SELECT alias_id, canonical_id FROM hub_patient_alias ORDER BY 1",
        "SELECT kind, record_id, field, other_value::text FROM sync_conflict ORDER BY 1, 2, 3, 4",
        "SELECT node_id, epoch, hwm FROM sync_inbox ORDER BY 1, 2",
        "SELECT count(*) FROM sync_parked",
        "SELECT cursor, record_type, record_id FROM sync_change_feed ORDER BY 1",
    )
    with rt.engine.connect() as conn:
        rows = [[list(map(str, r)) for r in conn.execute(text(q))] for q in queries]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def test_qa_replaying_every_push_in_random_order_changes_nothing(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    sede = _enrolled(hub_client, hub_runtime, edge_runtime)
    creds = load_credentials(edge_runtime.settings.data_dir) or {}
    recording = _Recording(hub_client._transport)
    client = SyncClient(
        httpx.Client(transport=recording, base_url="http://hub"),
        node_id=creds["node_id"],
        secret=creds["secret"],
        attempts=1,
        sleep=lambda s: None,
    )
    engine, rng = edge_runtime.engine, random.Random(20261129)
    patients: list[str] = []
    for i in range(40):
        roll = rng.random()
        if roll < 0.3 or not patients:
            doc = f"4{rng.randrange(10**6, 10**7)}"
            patients.append(add_patient(engine, CLOCK, sede_id=sede, doc=doc, phone="900000000"))
        elif roll < 0.5:
            with unit_of_work(engine) as session:
                p = session.get(Patient, rng.choice(patients))
                assert p is not None
                p.phone = str(rng.randrange(900000000, 999999999))
                p.updated_at = CLOCK.now()
        else:
            add_sale(
                engine,
                CLOCK,
                sede_id=sede,
                patient_id=rng.choice(patients),
                number=f"S01-R-{i:04d}",
                amount=Decimal(rng.randrange(100, 9000)) / 100,
            )
        if rng.random() < 0.4:
            service.push_pending(engine, client, CLOCK, max_rows=rng.randint(1, 6))
    service.push_pending(engine, client, CLOCK, max_rows=5)
    assert service.backlog(engine) == 0 and len(recording.pushes) >= 5
    before = _hub_digest(hub_runtime)
    replay = list(recording.pushes) * 2
    rng.shuffle(replay)
    for request in replay:
        resp = recording.inner.handle_request(request)
        resp.read()
        assert resp.status_code == 200, resp.text
        assert resp.json()["parked"] == []
    assert _hub_digest(hub_runtime) == before


_TYPES = ["order", "payment", "patient", "sede", "no_such_type", "x" * 80, "invoice_line"]
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=30),
    st.sampled_from(["2026-11-29", "2026-02-31", "31/02/1990", "12.50", "\u0000", "-1"]),
)


@st.composite
def _rows(draw: st.DrawFn, sede: str) -> list[dict[str, object]]:
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        rtype = draw(st.sampled_from(_TYPES))
        rid = draw(st.sampled_from(["", "a" * 100, "0193a1b2-0000-7000-8000-0000000000bb"]))
        payload: dict[str, object] = {
            k: draw(_VALUES)
            for k in draw(
                st.lists(
                    st.sampled_from(
                        ["total", "amount", "business_date", "status", "birth_date", "doc_type",
                         "doc_number", "first_names", "order_id", "line_total", "quantity"]
                    ),
                    max_size=6,
                    unique=True,
                )
            )
        }  # fmt: skip
        if draw(st.booleans()):
            payload["id"] = rid
        if draw(st.booleans()):
            payload["sede_id"] = sede
        rows.append(
            {
                "tx_id": "t",
                "record_type": rtype,
                "record_id": rid,
                "op": draw(st.sampled_from(["upsert", "delete", "merge"])),
                "payload": payload,
                "hlc": draw(st.sampled_from(["0192f0a1b2c3-0000-edge01", "nope", ""])),
                "schema_version": draw(st.sampled_from([1, 2])),
                "business_date": draw(st.sampled_from([None, "2026-11-29", "not-a-date-at-all"])),
            }
        )
    return rows


def test_qa_fuzzed_batches_never_get_a_5xx_and_never_block_the_mark(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    """The hub's own fuzzing reaches the node endpoints only as 401 (it signs in as an admin):
    here pushes with node credentials carry rows of every shape. Each answer is 200 and moves
    the mark past every row (bad rows parked, none refusing the batch) — never a 5xx."""
    sede = _enrolled(hub_client, hub_runtime, edge_runtime)
    creds = load_credentials(edge_runtime.settings.data_dir) or {}
    auth = (creds["node_id"], creds["secret"])
    mark = {"hwm": 0}

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(rows=_rows(sede))
    def push(rows: list[dict[str, object]]) -> None:
        first = mark["hwm"] + 1
        for i, row in enumerate(rows):
            row["seq"] = first + i
        body = {
            "node_id": creds["node_id"],
            "epoch": 1,
            "from_seq": first,
            "to_seq": first + len(rows) - 1,
            "rows": rows,
        }
        resp = hub_client.post(  # gzip, as the edge sends it
            "/api/sync/push",
            content=gzip.compress(json.dumps(body).encode()),
            headers={"Content-Encoding": "gzip"},
            auth=auth,
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["acked_to"] == first + len(rows) - 1
        mark["hwm"] = first + len(rows) - 1

    push()
    with hub_runtime.engine.connect() as conn:
        parked = conn.execute(text("SELECT count(*) FROM sync_parked")).scalar()
    assert parked  # the generator does produce bad rows
