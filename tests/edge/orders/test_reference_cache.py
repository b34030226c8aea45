"""edge.refcache: reference rows kept across transactions, never once their table changed.

The token is renewed by triggers (edge migration 0008) on every write to a cached table, from
whatever path the write comes; the session's own unflushed changes and its identity map win."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import text
from sqlmodel import select

from domain.ids import new_id
from edge import refcache
from edge.catalog import service as catalog
from edge.catalog.models import CatalogService
from edge.config.models import Sede
from edge.db import read_session, unit_of_work
from edge.labsync import queue
from edge.labsync.models import LabSystem
from edge.orders.service import load_sede
from edge.runtime import EdgeRuntime
from edge.settings import EdgeSettings
from tests.edge.factories import SEDE_S01
from tests.edge.labsync.helpers import add_lab, service_id
from tests.edge.orders.helpers import sid
from tests.edge.sql_capture import executed


def reads(seen: list[str]) -> list[str]:
    """The SELECTs among ``seen`` (the token's own read left out)."""
    return [q for q in seen if q.startswith("SELECT") and "ref_generation" not in q]


def token(rt: EdgeRuntime) -> str | None:
    with read_session(rt.engine) as session:
        return refcache.token(session)


def test_every_cached_table_renews_the_token_on_insert_update_and_delete(
    edge_runtime: EdgeRuntime,
) -> None:
    with read_session(edge_runtime.engine) as session:
        triggers = set(
            session.connection()
            .execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            .scalars()
        )
    for table in refcache.CACHED_TABLES:
        for op in ("insert", "update", "delete"):
            assert f"ref_generation_{table}_{op}" in triggers
    seen = [token(edge_runtime)]
    statements = (
        "INSERT INTO setting (id, key, value) VALUES ('s-1', 'k', '1')",  # as the pull writes
        "UPDATE setting SET value = '2' WHERE id = 's-1'",
        "DELETE FROM setting WHERE id = 's-1'",
        "UPDATE catalog_service SET price_cents = price_cents + 100",  # every row
    )
    for sql in statements:
        with unit_of_work(edge_runtime.engine) as session:
            session.connection().exec_driver_sql(sql)
        seen.append(token(edge_runtime))
    with unit_of_work(edge_runtime.engine) as session:  # and through the ORM
        sede = session.get(Sede, SEDE_S01)
        assert sede is not None
        sede.name = "Sede renombrada"
    seen.append(token(edge_runtime))
    assert len(set(seen)) == len(statements) + 2 and None not in seen, seen


def test_a_known_row_is_not_read_again_until_its_table_changes(edge_runtime: EdgeRuntime) -> None:
    ids = [sid("HEM-001"), sid("PAN-LIP")]
    with read_session(edge_runtime.engine) as session:
        first = {
            k: v.price_cents for k, v in catalog.services_by_id(session=session, ids=ids).items()
        }
        load_sede(session, sede_id=SEDE_S01)
    with read_session(edge_runtime.engine) as session, executed(edge_runtime.engine) as seen:
        again = {
            k: v.price_cents for k, v in catalog.services_by_id(session=session, ids=ids).items()
        }
        sede_id = load_sede(session, sede_id=SEDE_S01).id
    assert reads(seen) == []  # neither the services nor the sede were read
    assert len(first) == 2 and again == first and sede_id == SEDE_S01
    with unit_of_work(edge_runtime.engine) as session:  # a price arrives from the hub (Core)
        session.connection().execute(
            text("UPDATE catalog_service SET price_cents = 4321 WHERE id = :id"), {"id": ids[0]}
        )
    with read_session(edge_runtime.engine) as session, executed(edge_runtime.engine) as seen:
        fresh = {
            k: v.price_cents for k, v in catalog.services_by_id(session=session, ids=ids).items()
        }
    assert fresh[ids[0]] == 4321
    assert len(reads(seen)) == 1  # one query for both, again


def test_copies_belong_to_the_session_and_changes_to_them_stay_there(
    edge_runtime: EdgeRuntime,
) -> None:
    with read_session(edge_runtime.engine) as session:
        load_sede(session, sede_id=SEDE_S01)  # cached
    with read_session(edge_runtime.engine) as session:
        sede = load_sede(session, sede_id=SEDE_S01)
        assert sede in session and session.get(Sede, SEDE_S01) is sede
        sede.name = "Cambio que se descarta"
        series = dict(sede.series)
        sede.series["03"] = "B999"  # changed in place: the kept copy has its own dict
        assert load_sede(session, sede_id=SEDE_S01) is sede  # the session's own instance wins
        session.rollback()
    with read_session(edge_runtime.engine) as session:
        again = load_sede(session, sede_id=SEDE_S01)
        assert again.name != "Cambio que se descarta" and again.series == series


def test_unflushed_changes_to_a_cached_model_are_seen(edge_runtime: EdgeRuntime) -> None:
    lab = add_lab(edge_runtime, codes=("HEM002",))
    with read_session(edge_runtime.engine) as session:
        assert queue.lab_system_for(session, SEDE_S01) is not None  # cached
    with unit_of_work(edge_runtime.engine) as session:
        row = session.exec(select(LabSystem).where(LabSystem.id == lab.id)).one()
        row.active = False  # pending: the triggers have not seen it
        assert queue.lab_system_for(session, SEDE_S01) is None
        session.rollback()
    with read_session(edge_runtime.engine) as session:
        assert queue.lab_system_for(session, SEDE_S01) is not None


def test_a_write_in_the_same_transaction_is_seen_by_the_next_lookup(
    edge_runtime: EdgeRuntime,
) -> None:
    """A pull writes the mirror with Core statements and runs the change hooks (which look the
    laboratory up) in the same transaction: the lookup after the write sees it."""
    lab = add_lab(edge_runtime, codes=("HEM002",))
    with unit_of_work(edge_runtime.engine) as session:
        assert queue.lab_system_for(session, SEDE_S01) is not None
        assert set(queue.code_maps(session, lab.id, [service_id("HEM002")]))
        session.connection().execute(text("UPDATE lab_code_map SET code = '', loinc = ''"))
        assert queue.code_maps(session, lab.id, [service_id("HEM002")]) == {}
        session.connection().execute(text("UPDATE lab_system SET active = 0"))
        assert queue.lab_system_for(session, SEDE_S01) is None


def test_databases_in_one_process_never_see_each_others_rows(
    edge_runtime: EdgeRuntime, tmp_path: Path
) -> None:
    """Two nodes made from the same template (the same token at first) diverge."""
    data = tmp_path / "other"
    data.mkdir()
    shutil.copy(edge_runtime.settings.db_path, data / "edge.sqlite3")
    other = EdgeRuntime.open(EdgeSettings(data_dir=data, jwt_secret="x" * 40))
    try:
        for rt in (edge_runtime, other):
            with read_session(rt.engine) as session:
                load_sede(session, sede_id=SEDE_S01)
        with unit_of_work(other.engine) as session:
            session.connection().execute(text("UPDATE sede SET name = 'Solo en el otro nodo'"))
        with read_session(edge_runtime.engine) as session:
            assert load_sede(session, sede_id=SEDE_S01).name != "Solo en el otro nodo"
        with read_session(other.engine) as session:
            assert load_sede(session, sede_id=SEDE_S01).name == "Solo en el otro nodo"
    finally:
        other.engine.dispose()


def test_a_missing_row_is_remembered_as_missing_until_it_arrives(
    edge_runtime: EdgeRuntime,
) -> None:
    absent = new_id()
    for _ in range(2):
        with read_session(edge_runtime.engine) as session:
            assert refcache.get(session, CatalogService, absent) is None
            assert catalog.services_by_id(session=session, ids=[absent]) == {}
    with unit_of_work(edge_runtime.engine) as session:
        template = session.exec(select(CatalogService)).first()
        assert template is not None
        session.add(CatalogService(**{**template.model_dump(), "id": absent, "code": "NUEVO-1"}))
    with read_session(edge_runtime.engine) as session:
        found = refcache.get(session, CatalogService, absent)
        assert found is not None and found.code == "NUEVO-1"


def test_a_database_without_a_token_is_read_directly(edge_runtime: EdgeRuntime) -> None:
    with unit_of_work(edge_runtime.engine) as session:
        session.connection().exec_driver_sql("DELETE FROM ref_generation")
    with read_session(edge_runtime.engine) as session, executed(edge_runtime.engine) as seen:
        assert refcache.token(session) is None
        assert load_sede(session, sede_id=SEDE_S01).id == SEDE_S01
    assert len(reads(seen)) == 1  # read from the database, nothing kept
