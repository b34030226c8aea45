"""Process-wide runtime of an edge: settings, engine and schema checks, built once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from edge.db import make_engine
from edge.settings import EdgeSettings
from sync import migrations

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class EdgeRuntime:
    settings: EdgeSettings
    engine: Engine

    @classmethod
    def open(cls, settings: EdgeSettings) -> EdgeRuntime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(settings=settings, engine=make_engine(settings.db_path))

    def migrate(self) -> None:
        migrations.upgrade(MIGRATIONS, self.engine)

    def check_schema(self) -> None:
        migrations.check(MIGRATIONS, self.engine, side="edge")

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
