"""patient search: the name key folds apostrophes, hyphens and spaces; index rebuilt

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 23:00:00

0001 indexed ``upper(translate(last_names || ' ' || first_names, accents))``, so "oconnor" did
not find "O'CONNOR" and "garciaperez" or "garcia perez" did not find "GARCIA-PEREZ". The name
key (``central.patients.indexes.NAME_KEY_SQL``, which the search repeats and
``central.patients.indexes.name_key`` mirrors for the query) is now a single ``translate``:
accented letters to plain capitals, ASCII letters to capitals, apostrophes (' ’ ‘ ` ´ ʼ),
hyphens and spaces removed, so it no longer depends on the server locale's ``upper()``.

``ix_hub_patient_name_key`` is dropped and built again with the new expression (one pass over
``hub_patient``; writes to it wait meanwhile). The expression is frozen here as it was at this
revision; ``tests/central/patients/test_name_key.py`` checks it equals ``NAME_KEY_SQL``.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_hub_patient_name_key"
NAME_KEY = (
    "translate((last_names || ' ') || first_names, "
    "'ÁÉÍÓÚÜÑÀÈÌÒÙÄËÏÖÂÊÎÔÛÃÕÇÝáéíóúüñàèìòùäëïöâêîôûãõçýabcdefghijklmnopqrstuvwxyz''’‘`´ʼ- ', "
    "'AEIOUUNAEIOUAEIOAEIOUAOCYAEIOUUNAEIOUAEIOAEIOUAOCYABCDEFGHIJKLMNOPQRSTUVWXYZ')"
)
OLD_NAME_KEY = (
    "upper(translate((last_names || ' ') || first_names, "
    "'ÁÉÍÓÚÜÑÀÈÌÒÙáéíóúüñàèìòù', 'AEIOUUNAEIOUaeiouunaeiou'))"
)


def _rebuild(key: str) -> None:
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    op.execute(f"CREATE INDEX {INDEX} ON hub_patient (({key}) text_pattern_ops)")
    op.execute("ANALYZE hub_patient")


def upgrade() -> None:
    _rebuild(NAME_KEY)


def downgrade() -> None:
    _rebuild(OLD_NAME_KEY)
