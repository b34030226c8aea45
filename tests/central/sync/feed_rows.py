"""Raw rows of the hub's change feed for the digest tests: ``INSERT_ROWS`` takes
``c, tx, t, i, op, p (JSON text), scope, at``; ``SET_HEAD`` (``c``) moves the committed head."""

from __future__ import annotations

from sqlalchemy import text

INSERT_ROWS = text(
    "INSERT INTO sync_change_feed (cursor, tx_id, record_type, record_id, op, payload, "
    "scope_sede_id, schema_version, created_at) "
    "VALUES (:c, :tx, :t, :i, :op, CAST(:p AS json), :scope, 1, :at)"
)
SET_HEAD = text(
    "INSERT INTO sync_feed_counter (id, value) VALUES (1, :c) "
    "ON CONFLICT (id) DO UPDATE SET value = excluded.value"
)
