"""Shared fixtures: real SQLite files for the edge, a session-wide embedded PostgreSQL for the hub.

- Edge: the schema is migrated once per session into a template file; each test gets a copy.
- Hub: one embedded PostgreSQL per test process (pgserver, or ``TEST_DATABASE_URL``); the schema
  is migrated once into a template database, and each test gets its own database cloned from it
  (``CREATE DATABASE ... TEMPLATE``), so tests are isolated even across HTTP connections.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from central.db import to_sqlalchemy_url
from central.runtime import HubRuntime
from central.settings import HubSettings
from edge.runtime import EdgeRuntime
from edge.settings import EdgeSettings
from labred import gctune
from tests.passwords import production_hashing, use_cheap_hashing

SHARED = Path(__file__).resolve().parents[2] / "shared"
ADMIN_PASSWORD = "admin-clave-segura"

use_cheap_hashing()  # see tests/passwords.py
gctune.for_startup()  # as labred's processes: collecting and importing ~14 s -> ~10 s
__all__ = ["production_hashing"]  # a fixture every test may take

# pgserver logs from atexit hooks, after pytest has closed its capture streams.
logging.getLogger("pgserver").addHandler(logging.NullHandler())
logging.getLogger("pgserver").propagate = False


def pytest_collection_finish(session: pytest.Session) -> None:
    """The collected modules and test items stay to the end: out of every later collection
    (each test's garbage is then scanned alone; in-process tests run ~5-8 % faster)."""
    gctune.freeze_startup_heap()


# ---------------------------------------------------------------------------------- edge
@pytest.fixture(scope="session")
def edge_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated edge database file, built once per test session."""
    base = tmp_path_factory.mktemp("edge-template")
    settings = EdgeSettings(data_dir=base, jwt_secret="test-secret-" + "x" * 32)
    rt = EdgeRuntime.open(settings)
    rt.migrate()
    from domain.clock import SystemClock
    from edge.config.service import initialize
    from edge.db import unit_of_work

    with unit_of_work(rt.engine) as session:
        initialize(
            session,
            sede_code="S01",
            sede_name="Sede Miraflores",
            admin_username="admin",
            admin_password=ADMIN_PASSWORD,
            clock=SystemClock(),
        )
    rt.engine.dispose()
    return settings.db_path


@pytest.fixture
def edge_settings(tmp_path: Path, edge_template: Path) -> EdgeSettings:
    data = tmp_path / "edge"
    data.mkdir()
    shutil.copy(edge_template, data / "edge.sqlite3")
    return EdgeSettings(data_dir=data, jwt_secret="test-secret-" + "x" * 32)


@pytest.fixture
def edge_runtime(edge_settings: EdgeSettings) -> Iterator[EdgeRuntime]:
    rt = EdgeRuntime.open(edge_settings)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def edge_client(edge_runtime: EdgeRuntime) -> Iterator[TestClient]:
    from edge.app import create_app

    app = create_app(edge_runtime.settings, runtime=edge_runtime)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


# ---------------------------------------------------------------------------------- hub
@pytest.fixture(scope="session")
def pg_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a PostgreSQL server for this test process (embedded unless TEST_DATABASE_URL)."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield to_sqlalchemy_url(external)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="stop")
    yield to_sqlalchemy_url(server.get_uri())
    server.cleanup()


def _admin(url: str) -> Any:
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def hub_template(pg_base_url: str) -> str:
    """Name of a migrated template database, built once per test process."""
    name = f"labred_tpl_{uuid.uuid4().hex[:8]}"
    admin = _admin(pg_base_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = _database_url(pg_base_url, name)
    rt = HubRuntime.open(
        HubSettings(data_dir=Path("/tmp"), database_url=url, jwt_secret="test-secret-" + "y" * 32)
    )
    rt.migrate()
    rt.close()
    return name


def _database_url(base: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(base).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def hub_database_url(pg_base_url: str, hub_template: str) -> Iterator[str]:
    """A fresh database cloned from the template, dropped after the test."""
    name = f"labred_t_{uuid.uuid4().hex[:10]}"
    admin = _admin(pg_base_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{hub_template}"'))
    yield _database_url(pg_base_url, name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def hub_settings(tmp_path: Path, hub_database_url: str) -> HubSettings:
    data = tmp_path / "hub"
    data.mkdir()
    return HubSettings(
        data_dir=data, database_url=hub_database_url, jwt_secret="test-secret-" + "y" * 32
    )


@pytest.fixture
def hub_runtime(hub_settings: HubSettings) -> Iterator[HubRuntime]:
    rt = HubRuntime.open(hub_settings)
    yield rt
    rt.close()


@pytest.fixture
def hub_client(hub_runtime: HubRuntime) -> Iterator[TestClient]:
    from central.app import create_app

    app = create_app(hub_runtime.settings, runtime=hub_runtime)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def sunat_data() -> Path:
    """SUNAT's validation data (../shared/sunat); tests that need it skip when it is absent."""
    path = Path(os.environ.get("SUNAT_DATA", SHARED / "sunat"))
    if not (path / "validate.py").exists():
        pytest.skip(reason=f"SUNAT validation data not found at {path} (../shared/sunat)")
    return path
