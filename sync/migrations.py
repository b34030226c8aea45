"""Alembic, driven from code, for both databases (``labred migrate edge|hub``).

Each side keeps its scripts in ``<package>/migrations``; this module applies them, reports the
current and head revisions, and refuses to start an app on an unmigrated or newer schema with a
clear sentence.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


class SchemaError(Exception):
    """The database schema does not match this version of labred."""


def alembic_config(script_location: Path, engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision(script_location: Path) -> str | None:
    script = ScriptDirectory(str(script_location))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(script_location: Path, engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, engine), revision)


def check(script_location: Path, engine: Engine, *, side: str) -> None:
    """Raise :class:`SchemaError` unless the database is exactly at head."""
    script = ScriptDirectory(str(script_location))
    head = script.get_current_head()
    current = current_revision(engine)
    if current == head:
        return
    if current is None:
        raise SchemaError(
            f"the {side} database has no schema yet: run 'labred migrate {side}' first"
        )
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise SchemaError(
            f"the {side} database schema ({current}) is newer than this labred knows "
            f"({head}): upgrade labred before starting it"
        )
    raise SchemaError(
        f"the {side} database schema is at {current}, this labred needs {head}: "
        f"run 'labred migrate {side}' first"
    )
