"""Process-wide runtime of the hub: settings, database (embedded or external), schema checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from central import db
from central.settings import HubSettings
from domain.clock import Clock, OffsetClock, SystemClock
from sync import migrations
from sync.config import file_offset

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class HubRuntime:
    settings: HubSettings
    engine: Engine
    url: str
    embedded: Any = field(default=None, repr=False)
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def open(cls, settings: HubSettings) -> HubRuntime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        embedded = None
        if settings.database_url:
            url = db.to_sqlalchemy_url(settings.database_url)
        else:
            embedded = db.start_embedded(settings.data_dir / "pg")
            url = db.embedded_url(embedded)
        clock: Clock = SystemClock()
        if settings.clock_offset_file is not None:
            clock = OffsetClock(SystemClock(), file_offset(settings.clock_offset_file))
        return cls(
            settings=settings, engine=db.make_engine(url), url=url, embedded=embedded, clock=clock
        )

    def migrate(self) -> None:
        migrations.upgrade(MIGRATIONS, self.engine)

    def check_schema(self) -> None:
        migrations.check(MIGRATIONS, self.engine, side="hub")

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        """Release connections and, when embedded, stop PostgreSQL if no other process uses it."""
        self.engine.dispose()
        if self.embedded is not None:
            self.embedded.cleanup()
            self.embedded = None
