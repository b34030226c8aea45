"""Upgrading an existing node across real processes: a node whose patient index was built by
migration 0002 (O'CONNOR indexed as "o" + "connor") runs ``labred edge migrate``, then
``labred edge serve`` finds the patient by "oconnor" over HTTP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from domain.ids import new_id
from edge.db import make_engine
from edge.patients.models import Patient
from edge.runtime import MIGRATIONS
from sync import migrations
from tests.procs import bearer, init_edge, run_labred, serving_edge

pytestmark = pytest.mark.slow
PASSWORD = "clave-de-migracion-2026"


def _downgrade_and_register(db: Path) -> None:
    """Take the node back to 0002 and register patients as it indexed them then."""
    engine = make_engine(db)
    try:
        migrations.command.downgrade(migrations.alembic_config(MIGRATIONS, engine), "0002")
        with engine.connect() as conn:
            sede_id = str(
                conn.execute(text("SELECT sede_id FROM sync_state WHERE id = 1")).scalar_one()
            )
        now = dt.datetime.now(dt.UTC)
        # A plain Session: today's EdgeSession's outbox capture reads columns of later migrations.
        with Session(engine) as session, session.begin():
            for doc, last, first in [
                ("41111111", "O'CONNOR QUISPE", "MARY"),
                ("41111112", "GARCIA-PEREZ", "ANA"),
            ]:
                session.add(
                    Patient(id=new_id(), doc_type="1", doc_number=doc, first_names=first,
                            last_names=last, home_sede_id=sede_id, created_at=now,
                            updated_at=now)
                )  # fmt: skip
        with engine.connect() as conn:
            assert migrations.current_revision(engine) == "0002"
            hits = conn.execute(
                text("SELECT count(*) FROM patient_fts WHERE patient_fts MATCH 'oconnor*'")
            ).scalar_one()
        assert hits == 0  # the old index: the defect this upgrade fixes
    finally:
        engine.dispose()


def test_migrate_rebuilds_the_index_of_an_existing_node(tmp_path: Path) -> None:
    data = init_edge(tmp_path / "edge", PASSWORD, demo_catalog=False)
    _downgrade_and_register(data / "edge.sqlite3")

    migrate = run_labred("edge", "migrate", "--data-dir", str(data))
    assert migrate.returncode == 0, migrate.stderr

    with (
        serving_edge(data, log=tmp_path / "edge.log") as edge,
        httpx.Client(base_url=edge.url, timeout=30) as http,
    ):
        http.headers.update(bearer(http, "admin", PASSWORD))
        for q, name in [
            ("oconnor", "O'CONNOR QUISPE, MARY"),
            ("O’Connor", "O'CONNOR QUISPE, MARY"),
            ("garciaperez", "GARCIA-PEREZ, ANA"),
            ("garcia perez", "GARCIA-PEREZ, ANA"),
        ]:
            r = http.get("/api/patients/search", params={"q": q})
            assert r.status_code == 200, r.text
            assert [i["full_name"] for i in r.json()["items"]] == [name], q
