"""Migrations and models agree: autogenerate finds nothing to add on either side."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData

from central.runtime import HubRuntime
from central.schema import target_metadata as hub_metadata
from edge.patients.search import SEARCH_TABLES
from edge.runtime import EdgeRuntime
from edge.schema import target_metadata as edge_metadata


def _not_hand_written(name: str | None, type_: str, parent_names: object) -> bool:
    """Tables of hand-written migrations (FTS5 index and its shadow tables) have no model."""
    return not (type_ == "table" and name in SEARCH_TABLES)


def _diff(engine, metadata: list[MetaData]) -> list:  # type: ignore[no-untyped-def]
    combined = MetaData()
    for md in metadata:
        for table in md.tables.values():
            table.to_metadata(combined)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": _not_hand_written}
        )
        return list(compare_metadata(ctx, combined))


def test_edge_migrations_match_models(edge_runtime: EdgeRuntime) -> None:
    assert _diff(edge_runtime.engine, edge_metadata) == []


def test_hub_migrations_match_models(hub_runtime: HubRuntime) -> None:
    assert _diff(hub_runtime.engine, hub_metadata) == []
