"""Process-wide runtime of an edge: settings, engine and schema checks, built once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text

from domain.clock import Clock, OffsetClock, SystemClock
from edge.db import make_engine
from edge.settings import EdgeSettings
from sync import migrations
from sync.config import file_offset

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class EdgeRuntime:
    settings: EdgeSettings
    engine: Engine
    clock: Clock = field(default_factory=SystemClock)
    _sede_id: str | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: EdgeSettings) -> EdgeRuntime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        clock: Clock = SystemClock()
        if settings.clock_offset_file is not None:
            clock = OffsetClock(SystemClock(), file_offset(settings.clock_offset_file))
        return cls(settings=settings, engine=make_engine(settings.db_path), clock=clock)

    def migrate(self) -> None:
        migrations.upgrade(MIGRATIONS, self.engine)

    def check_schema(self) -> None:
        migrations.check(MIGRATIONS, self.engine, side="edge")

    @property
    def sede_id(self) -> str | None:
        """This node's sede (from ``sync_state``), once initialised or enrolled."""
        if self._sede_id is None:
            with self.engine.connect() as conn:
                row = conn.execute(text("SELECT sede_id FROM sync_state WHERE id = 1")).first()
            self._sede_id = row[0] if row else None
        return self._sede_id

    def forget_identity(self) -> None:
        """Re-read the sede id next time (after enrolment or a restore)."""
        self._sede_id = None

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
