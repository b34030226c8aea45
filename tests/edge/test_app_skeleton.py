"""The edge app skeleton: health, readiness, one error shape, security headers, schema guard."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edge.app import create_app
from edge.runtime import EdgeRuntime
from edge.settings import EdgeSettings
from sync.migrations import SchemaError


def test_health_and_ready(edge_client: TestClient) -> None:
    assert edge_client.get("/health").json()["status"] == "ok"
    r = edge_client.get("/ready")
    assert r.status_code == 200 and r.json() == {"status": "ready", "service": "edge"}


def test_unknown_path_has_the_one_error_shape(edge_client: TestClient) -> None:
    r = edge_client.get("/no/such/thing")
    assert r.status_code == 404
    assert r.json() == {"detail": [{"type": "not_found", "msg": "No encontrado.", "loc": []}]}


def test_security_headers_and_request_id(edge_client: TestClient) -> None:
    r = edge_client.get("/health")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert len(r.headers["x-request-id"]) >= 8


def test_unmigrated_database_is_refused(tmp_path: Path) -> None:
    settings = EdgeSettings(data_dir=tmp_path, jwt_secret="s" * 40)
    rt = EdgeRuntime.open(settings)
    with pytest.raises(SchemaError, match="run 'labred migrate edge' first"):
        create_app(settings, runtime=rt)
    rt.engine.dispose()


def test_newer_schema_is_refused(edge_runtime: EdgeRuntime) -> None:
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(SchemaError, match="newer than this labred knows"):
        create_app(edge_runtime.settings, runtime=edge_runtime)


def test_ready_reports_503_when_the_schema_changes_under_it(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    r = edge_client.get("/ready")
    assert r.status_code == 503
    assert r.json()["detail"][0]["type"] == "schema_mismatch"


def test_sqlite_durability_pragmas(edge_runtime: EdgeRuntime) -> None:
    with edge_runtime.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_clock_offset_file_shifts_the_node_clock(tmp_path: Path) -> None:
    import datetime as dt

    offset_file = tmp_path / "offset"
    settings = EdgeSettings(data_dir=tmp_path, jwt_secret="s" * 40, clock_offset_file=offset_file)
    rt = EdgeRuntime.open(settings)
    assert abs((rt.clock.now() - dt.datetime.now(dt.UTC)).total_seconds()) < 5
    offset_file.write_text("-172800")
    shifted = dt.datetime.now(dt.UTC) - rt.clock.now()
    assert abs(shifted.total_seconds() - 172800) < 5
    rt.engine.dispose()
