"""patient search: apostrophes folded, hyphenated names also joined; index rebuilt

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 22:00:00

0002 indexed names as unicode61 tokenizes them, so "O'CONNOR" became the words "o" and
"connor" and the search "oconnor" found nothing (likewise "dalessandro", "garciaperez"). The
indexed text (``patient_search.name``) now:

* drops apostrophes (' ’ ‘ ` ´ ʼ) inside words: "O'CONNOR" -> "OCONNOR";
* keeps hyphens as separators ("GARCIA-PEREZ" -> "garcia", "perez") and, when the name has
  any, appends it once more with the hyphens removed ("GARCIAPEREZ");
* when the name had apostrophes, appends it once more split at them ("O CONNOR"), so "connor"
  still finds the patient;
* glues the head marker (U+E000) to the first surname folded and joined ("\ue000oconnor",
  "\ue000garciaperez"), so "oconnor", "o connor", "garcia" and "garciaperez" are all
  ``name_prefix`` hits.

The triggers on ``patient`` are recreated with the new text, every ``patient_search`` row is
re-keyed in place (``k`` is kept, so the "newest first" order survives), and the FTS index is
rebuilt from its content table. ``edge/patients/search.py`` (``SEARCH_KEY_SQL``, the query
folding) must match what is written here; a test compares them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APOSTROPHES = ("'", "\u2019", "\u2018", "`", "\u00b4", "\u02bc")


def _each_apostrophe(expr: str, by: str) -> str:
    for mark in APOSTROPHES:
        expr = f"replace({expr}, '{mark.replace(chr(39), chr(39) * 2)}', '{by}')"
    return expr


def key_sql(row: str = "") -> str:
    """The indexed text of a patient row (``row`` = "" or "new.") as an SQLite expression."""
    raw = f"{row}last_names || ' ' || {row}first_names"
    last = _each_apostrophe(f"{row}last_names", "")
    name = _each_apostrophe(f"({raw})", "")
    head = f"substr({last}, 1, instr({last} || ' ', ' ') - 1)"
    return (
        f"char(57344) || replace({head}, '-', '') || ' ' || {name}"
        f" || CASE WHEN instr({name}, '-') > 0 THEN ' ' || replace({name}, '-', '') ELSE '' END"
        f" || CASE WHEN {name} <> ({raw}) THEN ' ' || {_each_apostrophe(f'({raw})', ' ')}"
        " ELSE '' END"
    )


# 0002's indexed text, for the downgrade.
OLD_KEY = (
    "char(57344) || substr(last_names, 1, instr(last_names || ' ', ' ') - 1)"
    " || ' ' || last_names || ' ' || first_names"
)
OLD_NEW_KEY = (
    "char(57344) || substr(new.last_names, 1, instr(new.last_names || ' ', ' ') - 1)"
    " || ' ' || new.last_names || ' ' || new.first_names"
)


def _statements(key: str, new_key: str) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS patient_search_patient_ai",
        "DROP TRIGGER IF EXISTS patient_search_patient_au",
        f"""
        CREATE TRIGGER patient_search_patient_ai AFTER INSERT ON patient
        WHEN new.canonical_id IS NULL BEGIN
            INSERT INTO patient_search(patient_id, name)
            VALUES (new.id, {new_key});
        END
        """,
        f"""
        CREATE TRIGGER patient_search_patient_au
        AFTER UPDATE OF first_names, last_names, canonical_id ON patient
        WHEN old.first_names IS NOT new.first_names
          OR old.last_names IS NOT new.last_names
          OR old.canonical_id IS NOT new.canonical_id BEGIN
            DELETE FROM patient_search WHERE patient_id = old.id;
            INSERT INTO patient_search(patient_id, name)
            SELECT new.id, {new_key}
            WHERE new.canonical_id IS NULL;
        END
        """,
        # Re-key in place (patient_search has no UPDATE trigger), then rebuild the whole FTS
        # index from its content table: 'rebuild' drops every old term first.
        f"""
        UPDATE patient_search SET name = (
            SELECT {key} FROM patient WHERE patient.id = patient_search.patient_id
        )
        """,
        "DELETE FROM patient_search WHERE name IS NULL",
        "INSERT INTO patient_fts(patient_fts) VALUES ('rebuild')",
    ]


def upgrade() -> None:
    for statement in _statements(key_sql(), key_sql("new.")):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(OLD_KEY, OLD_NEW_KEY):
        op.execute(statement)
