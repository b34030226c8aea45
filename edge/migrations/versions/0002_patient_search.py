"""patient search: FTS5 index over patient names, kept in step by triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00

``patient_search`` maps a stable integer key (INTEGER PRIMARY KEY, so VACUUM never renumbers
it) to a patient id and holds the indexed text (see ``KEY`` below) of every non-merged
patient. ``patient_fts`` is an FTS5 index with ``patient_search`` as its external
content: unicode61 tokenizer with ``remove_diacritics 2`` (so "nunez" finds "NÚÑEZ"), prefix
indexes for 2- to 5-letter prefixes, no column sizes (no bm25 is used).

Triggers on ``patient`` maintain ``patient_search``; triggers on ``patient_search`` maintain
``patient_fts``. A renamed patient gets a new key, so the newest/most recently renamed come
first in name order. The existing rows are indexed at upgrade time.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The indexed text: a marker token (U+E000, a private-use character that unicode61 keeps as
# part of a token) glued to the first word of the surnames, then "APELLIDOS NOMBRES". The
# marker makes "the name starts with X" a lookup of the few terms "\ue000x*" instead of a walk
# over every position of "x*" (the name_prefix tier of edge/patients/search.py).
KEY = (
    "char(57344) || substr(last_names, 1, instr(last_names || ' ', ' ') - 1)"
    " || ' ' || last_names || ' ' || first_names"
)
NEW_KEY = (
    "char(57344) || substr(new.last_names, 1, instr(new.last_names || ' ', ' ') - 1)"
    " || ' ' || new.last_names || ' ' || new.first_names"
)

UPGRADE = [
    """
    CREATE TABLE patient_search (
        k INTEGER PRIMARY KEY,
        patient_id VARCHAR(36) NOT NULL UNIQUE,
        name TEXT NOT NULL
    )
    """,
    """
    CREATE VIRTUAL TABLE patient_fts USING fts5(
        name,
        content='patient_search',
        content_rowid='k',
        tokenize='unicode61 remove_diacritics 2',
        prefix='2 3 4 5',
        columnsize=0
    )
    """,
    # patient_search -> patient_fts (the external-content pattern of the FTS5 docs)
    """
    CREATE TRIGGER patient_search_ai AFTER INSERT ON patient_search BEGIN
        INSERT INTO patient_fts(rowid, name) VALUES (new.k, new.name);
    END
    """,
    """
    CREATE TRIGGER patient_search_ad AFTER DELETE ON patient_search BEGIN
        INSERT INTO patient_fts(patient_fts, rowid, name) VALUES ('delete', old.k, old.name);
    END
    """,
    # patient -> patient_search
    """
    CREATE TRIGGER patient_search_patient_ai AFTER INSERT ON patient
    WHEN new.canonical_id IS NULL BEGIN
        INSERT INTO patient_search(patient_id, name)
        VALUES (new.id, {NEW_KEY});
    END
    """,
    """
    CREATE TRIGGER patient_search_patient_au
    AFTER UPDATE OF first_names, last_names, canonical_id ON patient
    WHEN old.first_names IS NOT new.first_names
      OR old.last_names IS NOT new.last_names
      OR old.canonical_id IS NOT new.canonical_id BEGIN
        DELETE FROM patient_search WHERE patient_id = old.id;
        INSERT INTO patient_search(patient_id, name)
        SELECT new.id, {NEW_KEY}
        WHERE new.canonical_id IS NULL;
    END
    """,
    """
    CREATE TRIGGER patient_search_patient_ad AFTER DELETE ON patient BEGIN
        DELETE FROM patient_search WHERE patient_id = old.id;
    END
    """,
    """
    INSERT INTO patient_search(patient_id, name)
    SELECT id, {KEY} FROM patient
    WHERE canonical_id IS NULL ORDER BY created_at, id
    """,
]

DOWNGRADE = [
    "DROP TRIGGER IF EXISTS patient_search_patient_ad",
    "DROP TRIGGER IF EXISTS patient_search_patient_au",
    "DROP TRIGGER IF EXISTS patient_search_patient_ai",
    "DROP TRIGGER IF EXISTS patient_search_ad",
    "DROP TRIGGER IF EXISTS patient_search_ai",
    "DROP TABLE IF EXISTS patient_fts",
    "DROP TABLE IF EXISTS patient_search",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement.replace("{NEW_KEY}", NEW_KEY).replace("{KEY}", KEY))


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
