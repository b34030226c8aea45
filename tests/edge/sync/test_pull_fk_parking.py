"""Pull-side foreign keys: a pulled record that leaves a reference without its parent (deferred
during the page, so SQLite would only refuse it at COMMIT, failing the whole page forever) is
parked with ``fk_missing_parent`` naming the missing parent, the rest of the page applies and
the cursor moves on; the parked record applies once its parent arrives.

The mirrors of the shipped schema hold no foreign key yet, so the generic cases use a mirror
made for the test (a real table with a real ``REFERENCES catalog_category``, in the real edge
database); the shipped case is a merge that re-points local orders to a patient this node lacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, MetaData, String, Table, text
from sqlalchemy.exc import OperationalError

from central.runtime import HubRuntime
from domain.clock import SystemClock
from domain.ids import new_id
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from edge.sync import apply, fk_check, mirrors, parking, service
from edge.sync.enroll import enroll, load_credentials
from sync import changefeed
from sync.client import SyncClient
from sync.protocol import FeedChange
from tests.edge.factories import auth_headers
from tests.sync.poison_helpers import change, publish_raw, setting
from tests.sync.replication_helpers import (
    add_patient,
    add_sale,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)

CLOCK = SystemClock()
ITEM = "test_panel_item"


def _rows(rt: EdgeRuntime, sql: str) -> list[tuple[Any, ...]]:
    with rt.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _apply(rt: EdgeRuntime, changes: list[FeedChange]) -> int:
    with unit_of_work(rt.engine) as session:
        return apply.apply_changes(session.connection(), changes, now=CLOCK.now())


def _retry(rt: EdgeRuntime) -> tuple[int, int]:
    with unit_of_work(rt.engine) as session:
        return apply.retry_parked(session.connection(), now=CLOCK.now())


def _parked(rt: EdgeRuntime) -> list[tuple[Any, ...]]:
    return _rows(
        rt, "SELECT record_type, record_id, cursor, error_code, error FROM sync_pull_parked"
    )


def _category(name: str, cid: str | None = None) -> dict[str, Any]:
    rid = cid or new_id()
    return {"id": rid, "code": rid[-8:], "name": name, "updated_at": CLOCK.now().isoformat()}


def _item(name: str, category_id: str | None) -> dict[str, Any]:
    return {"id": new_id(), "name": name, "category_id": category_id}


@pytest.fixture
def fk_mirror(edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Table]:
    """A mirror ``panel_item`` whose rows reference ``catalog_category`` (a real FK)."""
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {ITEM} (id VARCHAR(64) PRIMARY KEY, name VARCHAR(80) NOT NULL, "
            "category_id VARCHAR(64) REFERENCES catalog_category(id))"
        )
    table = Table(
        ITEM,
        MetaData(),
        Column("id", String, primary_key=True),
        Column("name", String),
        Column("category_id", String),
    )
    monkeypatch.setitem(mirrors.mirrors(), "panel_item", table)
    yield table


# ---------------------------------------------------------------------------- generic FK
def test_a_record_with_a_dangling_reference_is_parked_and_the_rest_applies(
    edge_runtime: EdgeRuntime, fk_mirror: Table
) -> None:
    cat = _category("Hematología")
    missing = new_id()
    orphan = _item("Hemoglobina", missing)
    page = [
        change(1, "setting", setting("fk_one", "1")),
        change(2, "panel_item", orphan),
        change(3, "catalog_category", cat),  # the parent after its child: deferred FKs allow it
        change(4, "panel_item", _item("Hematocrito", cat["id"])),
        change(5, "panel_item", _item("Sin categoría", None)),  # NULL references nothing
    ]
    assert _apply(edge_runtime, page) == 4
    assert _rows(edge_runtime, f"SELECT name FROM {ITEM} ORDER BY name") == [
        ("Hematocrito",),
        ("Sin categoría",),
    ]
    assert _rows(edge_runtime, "SELECT value FROM setting WHERE key = 'fk_one'") == [('"1"',)]
    [(rtype, rid, cursor, code, error)] = _parked(edge_runtime)
    assert (rtype, rid, cursor, code) == ("panel_item", orphan["id"], 2, "fk_missing_parent")
    assert f"catalog_category {missing}" in error and "Falta el registro padre" in error
    # the parked record stays parked while its parent is missing, attempts counted
    assert _retry(edge_runtime) == (0, 1)
    assert _rows(edge_runtime, "SELECT attempts FROM sync_pull_parked") == [(2,)]
    # the parent arrives in a later page: the parked record applies at the next retry
    assert _apply(edge_runtime, [change(9, "catalog_category", _category("Bioq", missing))]) == 1
    assert _retry(edge_runtime) == (1, 0)
    assert _parked(edge_runtime) == []
    assert _rows(edge_runtime, f"SELECT category_id FROM {ITEM} WHERE id = '{orphan['id']}'") == [
        (missing,)
    ]


def test_a_page_whose_children_all_find_their_parents_parks_nothing(
    edge_runtime: EdgeRuntime, fk_mirror: Table
) -> None:
    cats = [_category(f"C{i}") for i in range(3)]
    page = [change(i + 1, "panel_item", _item(f"I{i}", c["id"])) for i, c in enumerate(cats)]
    page += [change(10 + i, "catalog_category", c) for i, c in enumerate(cats)]
    assert _apply(edge_runtime, page) == 6
    assert _parked(edge_runtime) == []


def test_chains_and_content_faults_park_each_record_once(
    edge_runtime: EdgeRuntime, fk_mirror: Table
) -> None:
    """A parent refused for its content leaves its child without a parent: the parent is parked
    with its fault, the child with ``fk_missing_parent``, a third bad record with its own; the
    rest of the page applies."""
    cat = {**_category("Mala"), "updated_at": "31/02/2026"}
    child = _item("Hijo", cat["id"])
    bad = setting("fk_bad", "x", when="no-es-fecha")
    page = [
        change(1, "catalog_category", cat),
        change(2, "panel_item", child),
        change(3, "setting", bad),
        change(4, "setting", setting("fk_ok", "ok")),
    ]
    assert _apply(edge_runtime, page) == 1
    codes = {r[1]: r[3] for r in _parked(edge_runtime)}
    assert codes == {
        cat["id"]: "ValueError",
        child["id"]: "fk_missing_parent",
        bad["id"]: "ValueError",
    }
    assert _rows(edge_runtime, f"SELECT count(*) FROM {ITEM}") == [(0,)]
    assert _rows(edge_runtime, "SELECT value FROM setting WHERE key = 'fk_ok'") == [('"ok"',)]
    # the hub corrects the parent: the page applies it, the retry then applies the child
    fixed = {**cat, "updated_at": CLOCK.now().isoformat()}
    assert _apply(edge_runtime, [change(8, "catalog_category", fixed)]) == 1
    assert _retry(edge_runtime) == (1, 1)  # the child; the bad setting stays parked
    assert {r[1] for r in _parked(edge_runtime)} == {bad["id"]}


def test_deleting_a_parent_local_rows_still_use_is_parked(
    edge_runtime: EdgeRuntime, fk_mirror: Table
) -> None:
    cat = _category("Orina")
    _apply(edge_runtime, [change(1, "catalog_category", cat)])
    with edge_runtime.engine.begin() as conn:  # a local row uses the category
        conn.exec_driver_sql(
            f"INSERT INTO {ITEM} (id, name, category_id) VALUES ('local-1', 'Local', ?)",
            (cat["id"],),
        )
    gone = FeedChange(
        cursor=2,
        tx_id="t2",
        record_type="catalog_category",
        record_id=cat["id"],
        op="delete",
        payload={"id": cat["id"]},
        schema_version=1,
    )
    assert _apply(edge_runtime, [gone, change(3, "setting", setting("fk_next", "n"))]) == 1
    assert _rows(edge_runtime, f"SELECT count(*) FROM catalog_category WHERE id = '{cat['id']}'")
    [(_t, rid, _c, code, error)] = _parked(edge_runtime)
    assert (rid, code) == (cat["id"], "fk_parent_referenced") and ITEM in error
    # a snapshot without the category keeps the row local records use (and says so)
    with unit_of_work(edge_runtime.engine) as session:
        apply.replace_table(session.connection(), "catalog_category", [], now=CLOCK.now())
    assert _rows(edge_runtime, f"SELECT id FROM catalog_category WHERE id = '{cat['id']}'")


def test_a_database_failure_in_the_check_fails_the_page_whole(
    edge_runtime: EdgeRuntime, fk_mirror: Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: object, **_k: object) -> list[fk_check.Violation]:
        raise OperationalError("SELECT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(fk_check, "violations", broken)
    with pytest.raises(OperationalError), unit_of_work(edge_runtime.engine) as session:
        apply.apply_changes(
            session.connection(),
            [change(1, "panel_item", _item("X", "no-existe"))],
            now=CLOCK.now(),
        )
    assert _parked(edge_runtime) == []
    assert _rows(edge_runtime, f"SELECT count(*) FROM {ITEM}") == [(0,)]


def test_the_check_costs_nothing_when_the_page_touched_no_foreign_key(
    edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries: list[str] = []
    real = fk_check._dangling

    def spy(conn: Any, fk: fk_check.ForeignKey, ids: list[str]) -> Any:
        queries.append(fk.child)
        return real(conn, fk, ids)

    monkeypatch.setattr(fk_check, "_dangling", spy)
    page = [change(i, "setting", setting(f"fk_s{i}", str(i))) for i in range(1, 30)]
    assert _apply(edge_runtime, page) == 29
    assert queries == []  # setting has no foreign key: no query at all


# ---------------------------------------------------------------------------- a shipped case
def _enrolled(hub_client: TestClient, hub_rt: HubRuntime, edge_rt: EdgeRuntime) -> SyncClient:
    admin_override(hub_client)
    sede = make_hub_sede(hub_rt, "S01")
    enroll(
        edge_rt.engine,
        edge_rt.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    return node_client(hub_client, load_credentials(edge_rt.settings.data_dir))


def patient_image(pid: str, doc: str) -> dict[str, Any]:
    now = CLOCK.now().isoformat()
    return {
        "id": pid,
        "doc_type": "1",
        "doc_number": doc,
        "first_names": "Rosa",
        "last_names": "Quispe",
        "home_sede_id": "x",
        "created_at": now,
        "updated_at": now,
    }


def test_a_merge_into_a_patient_this_node_lacks_does_not_stall_the_pull(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    edge_client: TestClient,
) -> None:
    client = _enrolled(hub_client, hub_runtime, edge_runtime)
    sede = edge_runtime.sede_id
    assert sede is not None
    alias = add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="45551111")
    oid, _ = add_sale(
        edge_runtime.engine,
        CLOCK,
        sede_id=sede,
        patient_id=alias,
        number="S01-20261129-0042",
        amount=Decimal("20.00"),
    )
    canonical = new_id()
    hub = hub_runtime.engine
    merge = {"id": new_id(), "alias_id": alias, "canonical_id": canonical}
    publish_raw(hub, "setting", setting("fk_before", "1"))
    publish_raw(hub, "patient_alias", merge)
    publish_raw(hub, "setting", setting("fk_after", "2"))
    service.pull_changes(edge_runtime.engine, client, CLOCK)
    with hub.connect() as conn:
        head = changefeed.head(conn)
    keys = {r[0] for r in _rows(edge_runtime, "SELECT key FROM setting WHERE key LIKE 'fk_%'")}
    assert keys == {"fk_before", "fk_after"}
    assert _rows(edge_runtime, f"SELECT patient_id FROM lab_order WHERE id = '{oid}'") == [(alias,)]
    headers = auth_headers(edge_runtime, "admin")
    body = edge_client.get("/api/sync/status", headers=headers).json()
    assert body["pull_cursor"] == head and body["consecutive_failures"] == 0, body
    assert body["parked"] == 1 and body["blocked"] is None
    recent = body["parked_recent"][0]
    assert (recent["record_type"], recent["error_code"]) == ("patient_alias", "fk_missing_parent")
    assert f"patient {canonical}" in recent["error"] and "lab_order" in recent["error"]
    metrics = edge_client.get("/api/sync/metrics", headers=headers)
    assert "labred_edge_sync_parked 1.0" in metrics.text
    # the canonical patient reaches the hub's feed: the next pull applies the parked merge
    publish_raw(hub, "patient", patient_image(canonical, "45552222"))
    service.pull_changes(edge_runtime.engine, client, CLOCK)
    assert _rows(edge_runtime, f"SELECT patient_id FROM lab_order WHERE id = '{oid}'") == [
        (canonical,)
    ]
    assert _rows(edge_runtime, f"SELECT canonical_id FROM patient WHERE id = '{alias}'") == [
        (canonical,)
    ]
    body = edge_client.get("/api/sync/status", headers=headers).json()
    assert body["parked"] == 0 and body["warnings"] == []


def test_a_violation_is_described_by_a_stable_code_and_a_spanish_message() -> None:
    fk = fk_check.ForeignKey("lab_order", ("patient_id",), "patient", ("id",))
    message = fk_check._missing_parent(fk, "p-1")
    violation = fk_check.Violation(
        change(1, "patient_alias", {"id": "a"}), "fk_missing_parent", message
    )
    code, text_ = parking.describe(violation.error())
    assert code == "fk_missing_parent"
    assert text_.startswith("Falta el registro padre patient p-1 (lo referencia lab_order")
