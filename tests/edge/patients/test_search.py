"""Patient search: accents, case, document prefix, ranking, pagination, the index in step."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from edge.db import read_session, unit_of_work
from edge.patients.search import fts_queries, parse_query, rebuild_index
from edge.runtime import EdgeRuntime
from tests.edge.factories import auth_headers
from tests.edge.patients.helpers import register


@pytest.fixture
def reception(edge_runtime: EdgeRuntime) -> dict[str, str]:
    return auth_headers(edge_runtime, "recepcionista")


def _search(client: TestClient, headers: dict[str, str], q: str, **params: object) -> dict:  # type: ignore[type-arg]
    r = client.get("/api/patients/search", params={"q": q, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _names(result: dict) -> list[str]:  # type: ignore[type-arg]
    return [i["full_name"] for i in result["items"]]


@pytest.mark.parametrize("q", ["nunez", "NUNEZ", "Núñez", "núñ", "NUÑ"])
def test_accent_and_case_insensitive(
    edge_client: TestClient, reception: dict[str, str], q: str
) -> None:
    register(edge_client, reception, last_names="Núñez Quispe", first_names="Ana")
    register(edge_client, reception, last_names="Pérez Rojas", first_names="Luis")
    assert _names(_search(edge_client, reception, q)) == ["NÚÑEZ QUISPE, ANA"]


def test_any_part_of_the_name(edge_client: TestClient, reception: dict[str, str]) -> None:
    register(edge_client, reception, last_names="Huamán Ccahuana", first_names="José Ángel")
    for q in ("angel", "ccahu", "jose huaman", "HUAMÁN ÁNGEL"):
        assert _names(_search(edge_client, reception, q)) == ["HUAMÁN CCAHUANA, JOSÉ ÁNGEL"], q
    assert _search(edge_client, reception, "angela")["items"] == []


def test_document_exact_then_prefix(edge_client: TestClient, reception: dict[str, str]) -> None:
    register(edge_client, reception, doc_number="45871299", last_names="B")
    register(edge_client, reception, doc_number="45871236", last_names="A")
    register(edge_client, reception, doc_number="4587123", doc_type="7", last_names="C")
    register(edge_client, reception, doc_number="11111111", last_names="D")
    result = _search(edge_client, reception, "4587123")
    assert [(i["doc_number"], i["match"]) for i in result["items"]] == [
        ("4587123", "document"),
        ("45871236", "document_prefix"),
    ]
    result = _search(edge_client, reception, "4587")
    assert [i["doc_number"] for i in result["items"]] == ["4587123", "45871236", "45871299"]
    assert {i["match"] for i in result["items"]} == {"document_prefix"}
    assert _search(edge_client, reception, " 4587-1236 ")["items"][0]["match"] == "document"


def test_name_prefix_ranks_before_other_name_matches(
    edge_client: TestClient, reception: dict[str, str]
) -> None:
    prefix = register(edge_client, reception, last_names="García Pérez", first_names="Ana")
    register(edge_client, reception, last_names="Rojas García", first_names="Luis")
    register(edge_client, reception, last_names="Quispe Flores", first_names="Rosa")
    result = _search(edge_client, reception, "garcia")
    assert [(i["full_name"], i["match"]) for i in result["items"]] == [
        ("GARCÍA PÉREZ, ANA", "name_prefix"),
        ("ROJAS GARCÍA, LUIS", "name"),
    ]
    assert result["items"][0]["id"] == prefix["id"]
    two_words = _search(edge_client, reception, "garcia luis")
    assert [(i["full_name"], i["match"]) for i in two_words["items"]] == [
        ("ROJAS GARCÍA, LUIS", "name")
    ]


def test_pagination_has_more_and_stable_order(
    edge_client: TestClient, reception: dict[str, str]
) -> None:
    for i in range(7):
        register(edge_client, reception, last_names=f"Quispe {chr(65 + i)}", first_names="Rosa")
    register(edge_client, reception, last_names="Mamani Quispe", first_names="Rosa")
    pages = [_search(edge_client, reception, "quispe", limit=3, offset=o) for o in (0, 3, 6)]
    assert [p["has_more"] for p in pages] == [True, True, False]
    names = [n for p in pages for n in _names(p)]
    assert len(names) == len(set(names)) == 8
    # newest first within a tier, and the name_prefix tier before the rest
    assert names[:7] == [f"QUISPE {chr(65 + i)}, ROSA" for i in reversed(range(7))]
    assert names[7] == "MAMANI QUISPE, ROSA"


def test_index_follows_edits_and_merges(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    pid = register(edge_client, reception, last_names="Vargas Llosa", first_names="Mario")["id"]
    r = edge_client.put(
        f"/api/patients/{pid}", json={"last_names": "Vargas Ríos"}, headers=reception
    )
    assert r.status_code == 200
    assert _search(edge_client, reception, "llosa")["items"] == []
    assert _names(_search(edge_client, reception, "rios")) == ["VARGAS RÍOS, MARIO"]
    with unit_of_work(edge_runtime.engine) as session:  # the hub merged it into another
        session.execute(
            text("UPDATE patient SET canonical_id = 'other' WHERE id = :id"), {"id": pid}
        )
    assert _search(edge_client, reception, "vargas")["items"] == []
    with unit_of_work(edge_runtime.engine) as session:
        assert rebuild_index(session=session) == 0
        session.execute(text("UPDATE patient SET canonical_id = NULL WHERE id = :id"), {"id": pid})
    assert _names(_search(edge_client, reception, "vargas")) == ["VARGAS RÍOS, MARIO"]
    with read_session(edge_runtime.engine) as session:
        session.execute(text("INSERT INTO patient_fts(patient_fts) VALUES ('integrity-check')"))


def test_search_is_logged_without_the_query_text(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    register(edge_client, reception, last_names="Ticona Mamani", first_names="Julia")
    _search(edge_client, reception, "ticona julia")
    with edge_runtime.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT patient_id, details FROM access_log WHERE action = 'search'")
        ).all()
    assert len(rows) == 1 and rows[0][0] is None
    assert "ticona" not in rows[0][1].lower()
    assert '"results": 1' in rows[0][1] or '"results":1' in rows[0][1]


@pytest.mark.parametrize(
    ("q", "code"), [("   ", "search_query_empty"), ("!!!", "search_query_invalid")]
)
def test_bad_queries(edge_client: TestClient, reception: dict[str, str], q: str, code: str) -> None:
    r = edge_client.get("/api/patients/search", params={"q": q}, headers=reception)
    assert r.status_code == 422
    assert r.json()["detail"] == [{"type": code, "msg": r.json()["detail"][0]["msg"], "loc": ["q"]}]


def test_query_parsing_never_builds_fts_syntax_from_input() -> None:
    parsed = parse_query('ana" OR "x* NEAR(')
    assert parsed.words == ["ana", "or", "x", "near"]
    prefix, anywhere = fts_queries(parsed.words)
    assert prefix == '"\ue000ana" * "or" * "x" * "near" *'
    assert anywhere.endswith('NOT ("\ue000ana" *)')
    assert parse_query("45.871.236").document == "45871236"
    assert parse_query("quispe").document is None


def test_search_log_commit_is_relaxed_only_for_itself(edge_runtime: EdgeRuntime) -> None:
    from edge.patients.search import search_log_unit_of_work

    with search_log_unit_of_work(edge_runtime.engine) as session:
        raw = session.connection().connection.driver_connection
        assert raw is not None
        session.execute(text("INSERT INTO patient_search(patient_id, name) VALUES ('p', 'x')"))
    assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again
    with edge_runtime.engine.connect() as conn:  # committed
        assert conn.execute(text("SELECT count(*) FROM patient_search")).scalar_one() == 1
    with pytest.raises(RuntimeError), search_log_unit_of_work(edge_runtime.engine) as session:
        session.execute(text("INSERT INTO patient_search(patient_id, name) VALUES ('q', 'y')"))
        raise RuntimeError("boom")
    with edge_runtime.engine.connect() as conn:  # rolled back
        assert conn.execute(text("SELECT count(*) FROM patient_search")).scalar_one() == 1
