"""Apostrophes and hyphens in names: "oconnor", "o'connor" and "O’CONNOR" find O'CONNOR,
"garciaperez" and "garcia perez" find GARCIA-PEREZ; the FTS text of migration 0003 and the
query folding of edge/patients/search.py agree; an existing node's index is rebuilt on upgrade.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from domain.errors import InvalidInput
from domain.ids import new_id
from edge.db import read_session
from edge.patients.models import Patient
from edge.patients.search import SEARCH_KEY_SQL, parse_query, search
from edge.runtime import MIGRATIONS, EdgeRuntime
from edge.settings import load_edge_settings
from sync import migrations
from tests.edge.factories import auth_headers
from tests.edge.patients.helpers import register

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)


def _migration_0003() -> ModuleType:
    path = MIGRATIONS / "versions" / "0003_patient_search_fold.py"
    spec = importlib.util.spec_from_file_location("edge_migration_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def reception(edge_runtime: EdgeRuntime) -> dict[str, str]:
    return auth_headers(edge_runtime, "recepcionista")


def _found(client: TestClient, headers: dict[str, str], q: str) -> list[tuple[str, str]]:
    r = client.get("/api/patients/search", params={"q": q}, headers=headers)
    assert r.status_code == 200, r.text
    return [(i["full_name"], i["match"]) for i in r.json()["items"]]


def test_query_folds_apostrophes_and_splits_hyphens() -> None:
    for q in ("oconnor", "o'connor", "O’CONNOR", "O‘Connor", "o`connor", "o´connor", "oʼconnor"):
        assert parse_query(q).words == ["oconnor"], q
    assert parse_query("garcia-perez").words == ["garcia", "perez"]
    assert parse_query("d'alessandro luca").words == ["dalessandro", "luca"]
    with pytest.raises(InvalidInput) as caught:  # nothing left to search for
        parse_query("'’")
    assert caught.value.code == "search_query_invalid"


def test_search_key_matches_migration_0003() -> None:
    assert _migration_0003().key_sql() == SEARCH_KEY_SQL


@pytest.mark.parametrize(
    ("q", "match"),
    [
        ("oconnor", "name_prefix"),
        ("o'connor", "name_prefix"),
        ("O’CONNOR", "name_prefix"),
        ("o connor", "name_prefix"),
        ("oconnor maria", "name_prefix"),
        ("connor", "name"),
        ("maria oconnor", "name"),
    ],
)
def test_apostrophe_names(
    edge_client: TestClient, reception: dict[str, str], q: str, match: str
) -> None:
    register(edge_client, reception, last_names="O'Connor Núñez", first_names="María")
    register(edge_client, reception, last_names="Connors", first_names="Kim")
    found = _found(edge_client, reception, q)
    assert ("O'CONNOR NÚÑEZ, MARÍA", match) in found, found
    assert ("CONNORS, KIM", "name_prefix") not in found or q == "connor"


@pytest.mark.parametrize("q", ["dalessandro", "d'alessandro", "D’ALESSANDRO", "alessandro"])
def test_apostrophe_inside_italian_surnames(
    edge_client: TestClient, reception: dict[str, str], q: str
) -> None:
    register(edge_client, reception, last_names="D'Alessandro Rojas", first_names="Luca")
    assert [n for n, _ in _found(edge_client, reception, q)] == ["D'ALESSANDRO ROJAS, LUCA"]


@pytest.mark.parametrize(
    ("q", "match"),
    [
        ("garciaperez", "name_prefix"),
        ("garcia perez", "name_prefix"),
        ("garcia-perez", "name_prefix"),
        ("GARCÍA-PÉREZ", "name_prefix"),
        ("garcia", "name_prefix"),
        ("perez", "name"),
        ("anamaria", "name"),
        ("ana maria", "name"),
    ],
)
def test_hyphenated_names(
    edge_client: TestClient, reception: dict[str, str], q: str, match: str
) -> None:
    register(edge_client, reception, last_names="García-Pérez Lopez", first_names="Ana-María")
    assert _found(edge_client, reception, q) == [("GARCÍA-PÉREZ LOPEZ, ANA-MARÍA", match)]


def test_rename_reindexes_with_the_folding(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    pid = register(edge_client, reception, last_names="Quispe", first_names="Rosa")["id"]
    r = edge_client.put(
        f"/api/patients/{pid}", json={"last_names": "O'Brien-Quispe"}, headers=reception
    )
    assert r.status_code == 200, r.text
    for q in ("obrienquispe", "obrien", "brien", "quispe", "o'brien quispe"):
        assert [n for n, _ in _found(edge_client, reception, q)] == ["O'BRIEN-QUISPE, ROSA"], q
    with read_session(edge_runtime.engine) as session:
        session.execute(text("INSERT INTO patient_fts(patient_fts) VALUES ('integrity-check')"))


# --- an existing node: index built by 0002, upgraded to 0003 ---------------------------------


def _add(engine: Engine, last: str, first: str, doc: str) -> str:
    """Register a patient whatever the schema's revision: a plain Session (the outbox capture of
    today's EdgeSession reads columns that later migrations add)."""
    pid = new_id()
    with Session(engine) as session, session.begin():
        session.add(
            Patient(
                id=pid,
                doc_type="1",
                doc_number=doc,
                first_names=first,
                last_names=last,
                home_sede_id="sede-s01",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    return pid


def _names(engine: Engine, q: str) -> list[str]:
    with read_session(engine) as session:
        page = search(session=session, q=q, limit=10, offset=0)
        return [f"{h.patient.last_names}, {h.patient.first_names}" for h in page.hits]


def _keys(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            str(p): int(k)
            for k, p in conn.execute(text("SELECT k, patient_id FROM patient_search"))
        }


def test_upgrade_rebuilds_an_existing_index(tmp_path: Path) -> None:
    rt = EdgeRuntime.open(load_edge_settings(tmp_path))
    try:
        migrations.upgrade(MIGRATIONS, rt.engine, "0002")
        oconnor = _add(rt.engine, "O'CONNOR", "MARY", "40000001")
        _add(rt.engine, "GARCIA-PEREZ", "ANA", "40000002")
        _add(rt.engine, "QUISPE MAMANI", "ROSA", "40000003")
        assert _names(rt.engine, "oconnor") == []  # the defect, as 0002 indexed it
        assert _names(rt.engine, "garciaperez") == []
        before = _keys(rt.engine)

        migrations.upgrade(MIGRATIONS, rt.engine)  # what `labred migrate edge` runs
        assert migrations.current_revision(rt.engine) == migrations.head_revision(MIGRATIONS)
        assert _names(rt.engine, "oconnor") == ["O'CONNOR, MARY"]
        assert _names(rt.engine, "o’connor") == ["O'CONNOR, MARY"]
        assert _names(rt.engine, "garciaperez") == ["GARCIA-PEREZ, ANA"]
        assert _names(rt.engine, "quispe ma") == ["QUISPE MAMANI, ROSA"]
        assert _keys(rt.engine) == before  # re-keyed in place: the order of the tiers holds
        with read_session(rt.engine) as session:
            session.execute(text("INSERT INTO patient_fts(patient_fts) VALUES ('integrity-check')"))
        # New patients after the upgrade go through the new triggers.
        _add(rt.engine, "D'ALESSANDRO", "LUCA", "40000004")
        assert _names(rt.engine, "dalessandro") == ["D'ALESSANDRO, LUCA"]

        migrations.command.downgrade(  # and back: 0002's text again, still consistent
            migrations.alembic_config(MIGRATIONS, rt.engine), "0002"
        )
        assert _names(rt.engine, "oconnor") == []
        assert _names(rt.engine, "connor") == ["O'CONNOR, MARY"]  # 0002's words "o", "connor"
        with rt.engine.connect() as conn:
            name = conn.execute(
                text("SELECT name FROM patient_search WHERE patient_id = :p"), {"p": oconnor}
            ).scalar_one()
        assert name == "\ue000O'CONNOR O'CONNOR MARY"
    finally:
        rt.engine.dispose()
