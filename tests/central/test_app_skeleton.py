"""The hub app skeleton on a real PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from central.app import create_app
from central.runtime import HubRuntime
from sync.migrations import SchemaError


def test_health_and_ready(hub_client: TestClient) -> None:
    assert hub_client.get("/health").json()["service"] == "hub"
    r = hub_client.get("/ready")
    assert r.status_code == 200 and r.json()["status"] == "ready"


def test_error_shape(hub_client: TestClient) -> None:
    r = hub_client.get("/nothing-here")
    assert r.status_code == 404
    assert r.json()["detail"][0]["type"] == "not_found"


def test_hub_is_postgres_and_migrated(hub_runtime: HubRuntime) -> None:
    with hub_runtime.engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
        tables = set(
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
    assert version is not None and int(str(version).split(".")[0]) >= 14
    assert {"alembic_version", "hub_info"} <= tables


def test_newer_schema_refused(hub_runtime: HubRuntime) -> None:
    with hub_runtime.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zzzz'"))
    with pytest.raises(SchemaError, match="newer than this labred knows"):
        create_app(hub_runtime.settings, runtime=hub_runtime)
