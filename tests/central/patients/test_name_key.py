"""The hub's patient name key: one definition (``central.patients.indexes``) for the index
expression and the typed query, so "oconnor" finds "O'CONNOR" and "garcia perez" /
"garciaperez" find "GARCIA-PEREZ", accent and case blind, through the index."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from central.patients.indexes import NAME_KEY_SQL, name_key
from central.runtime import HubRuntime
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.patients.test_consolidated import _P, patient, search

MIGRATION = Path(__file__).parents[3] / "central/migrations/versions/0003_patient_name_key.py"
NAMES = [
    ("O'CONNOR", "PATRICK"),
    ("O\u2019BRIEN SMITH", "ANA"),
    ("D\u00b4ALESSANDRO", "LUCÍA"),
    ("GARCIA-PEREZ", "JOSÉ"),
    ("NÚÑEZ DEL ARCO", "MARÍA"),
    ("Müller", "jürgen"),
    ("CONCEIÇÃO", "JOÃO"),
    ("DE LA CRUZ", "ROSA"),
]


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("oconnor", "OCONNOR"),
        ("O'Connor", "OCONNOR"),
        ("o\u2019connor", "OCONNOR"),
        ("o\u02bcconnor", "OCONNOR"),
        ("o`connor", "OCONNOR"),
        ("o connor", "OCONNOR"),
        ("garcia perez", "GARCIAPEREZ"),
        ("garciaperez", "GARCIAPEREZ"),
        ("García-Pérez", "GARCIAPEREZ"),
        ("  núñez\tdel  arco ", "NUNEZDELARCO"),
        ("N\u0303un\u0303ez", "NUNEZ"),  # decomposed tildes are composed first
        ("conceição", "CONCEICAO"),
        ("'-\u2019", ""),
    ],
)
def test_the_query_key(typed: str, key: str) -> None:
    assert name_key(typed) == key


def test_postgres_and_python_fold_names_alike(hub_runtime: HubRuntime) -> None:
    """``NAME_KEY_SQL`` in PostgreSQL and ``name_key`` in Python give the same key."""
    with hub_runtime.engine.connect() as conn:
        for last, first in NAMES:
            row = conn.execute(
                text(f"SELECT {NAME_KEY_SQL} FROM (SELECT :l AS last_names, :f AS first_names) t"),
                {"l": last, "f": first},
            ).scalar_one()
            assert row == name_key(f"{last} {first}"), (last, first)


def test_migration_0003_builds_the_index_with_this_key() -> None:
    spec = importlib.util.spec_from_file_location("m0003", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.NAME_KEY == NAME_KEY_SQL
    assert module.OLD_NAME_KEY.startswith("upper(translate(")


@pytest.fixture
def people(hub_runtime: HubRuntime) -> dict[str, dict[str, Any]]:
    make_sede(hub_runtime, "S01")
    rows = {last: patient(f"5{i:07d}", last, first) for i, (last, first) in enumerate(NAMES)}
    rows["garcia"] = patient("60000001", "GARCIA", "PEDRO")
    filler = [patient(f"7{i:07d}", f"APELLIDO{i:05d}", "RELLENO") for i in range(2000)]
    with hub_runtime.engine.begin() as conn:
        conn.execute(insert(_P), [*rows.values(), *filler])
    return rows


def test_apostrophes_hyphens_and_spaces_over_http(
    hub_client: TestClient, hub_runtime: HubRuntime, people: dict[str, dict[str, Any]]
) -> None:
    headers = auth_headers(hub_runtime, Role.RECEPCIONISTA)

    def found(q: str) -> list[str]:
        body = search(hub_client, headers, q)
        assert {p["match"] for p in body["items"]} <= {"name_prefix"}, body
        return [p["last_names"] for p in body["items"]]

    for q in ("oconnor", "O'CONNOR", "o\u2019connor", "o connor", "OCONNOR PAT"):
        assert found(q) == ["O'CONNOR"], q
    assert found("obrien") == ["O\u2019BRIEN SMITH"]
    assert found("obrien smith an") == ["O\u2019BRIEN SMITH"]
    assert found("dalessandro lucia") == ["D\u00b4ALESSANDRO"]
    for q in ("garciaperez", "garcia perez", "García-Pérez", "GARCIA-PEREZ JOSE"):
        assert found(q) == ["GARCIA-PEREZ"], q
    assert found("garcia") == ["GARCIA", "GARCIA-PEREZ"]  # both, in key order
    assert found("delacruz") == ["DE LA CRUZ"]
    assert found("muller jurgen") == ["Müller"]
    assert found("conceicao joao") == ["CONCEIÇÃO"]
    assert found("nunez del arco maria") == ["NÚÑEZ DEL ARCO"]
    assert found("oconnorx") == []
    for q in ("'", "-", "' - ’"):  # nothing left to look for: no name matches everything
        assert found(q) == [], q


def test_the_new_key_walks_its_index(
    hub_runtime: HubRuntime, people: dict[str, dict[str, Any]]
) -> None:
    sql = (
        f"SELECT id FROM hub_patient WHERE canonical_id IS NULL AND {NAME_KEY_SQL} "
        f"~>=~ 'GARCIAPEREZ' AND {NAME_KEY_SQL} ~<~ 'GARCIAPEREZ\U0010ffff' "
        f"ORDER BY {NAME_KEY_SQL} USING ~<~, id LIMIT 21"
    )
    with hub_runtime.engine.begin() as conn:
        conn.execute(text("ANALYZE hub_patient"))  # no planner switches: it picks the index
        plan = "\n".join(conn.execute(text("EXPLAIN " + sql)).scalars())
    assert "Index Scan using ix_hub_patient_name_key" in plan, plan


def test_the_declared_index_and_the_migrated_one_use_this_key(hub_runtime: HubRuntime) -> None:
    from sqlalchemy.dialects import postgresql

    from central.patients.indexes import NAME_KEY

    declared = NAME_KEY.compile(
        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"literal_binds": True},
    )
    assert str(declared).replace("hub_patient.", "") == NAME_KEY_SQL  # what a regenerated 0001 has
    with hub_runtime.engine.connect() as conn:
        indexdef = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_hub_patient_name_key'")
        ).scalar_one()
    assert indexdef.startswith("CREATE INDEX ix_hub_patient_name_key ON public.hub_patient")
    assert "upper(" not in indexdef and "translate(" in indexdef and "text_pattern_ops" in indexdef
