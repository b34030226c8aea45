"""Helpers for the poison-record tests: a change-feed row written at the hub by plain SQL
(bypassing the models, as a bug or a hand edit would), and pulled-change builders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, text

from domain.ids import new_id
from sync import changefeed
from sync.protocol import FeedChange


def publish_raw(
    engine: Engine,
    record_type: str,
    payload: dict[str, Any],
    *,
    schema_version: int = 1,
    op: str = "upsert",
) -> int:
    """Append one feed row for ``payload`` at the hub, as it is; returns its cursor."""
    with engine.begin() as conn:
        cursor = changefeed.append(conn, [(record_type, str(payload["id"]), op, payload, None)])
        conn.execute(
            text("UPDATE sync_change_feed SET schema_version = :v WHERE cursor = :c"),
            {"v": schema_version, "c": cursor},
        )
    return cursor


def setting(
    key: str, value: str, *, record_id: str | None = None, when: Any = None
) -> dict[str, Any]:
    """The wire image of a hub ``setting`` (``when`` may be anything, e.g. a bad date)."""
    stamp = when if when is not None else dt.datetime.now(dt.UTC).isoformat()
    return {"id": record_id or new_id(), "key": key, "value": value, "updated_at": stamp}


def change(
    cursor: int, record_type: str, payload: dict[str, Any], *, schema: int = 1
) -> FeedChange:
    return FeedChange(
        cursor=cursor,
        tx_id=f"tx{cursor}",
        record_type=record_type,
        record_id=str(payload["id"]),
        op="upsert",
        payload=payload,
        schema_version=schema,
    )
