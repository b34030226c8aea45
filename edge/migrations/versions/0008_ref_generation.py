"""reference cache: ``ref_generation`` and the triggers that renew its token

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 20:10:00

``edge.refcache`` keeps the reference rows every sale reads (sede, company, settings, catalog,
convenios, laboratory systems and code maps) in memory while ``ref_generation.token`` stays the
same. Every insert, update or delete of those tables — whoever makes it, ORM, Core or plain
SQL, in any process — gives the token a new random value, so a cached row is never used after
its table changed. The table list is written out here (a migration never follows the code).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = (
    "company",
    "sede",
    "setting",
    "catalog_service",
    "convenio",
    "lab_system",
    "lab_code_map",
)
_EVENTS = ("insert", "update", "delete")
_RENEW = "UPDATE ref_generation SET token = lower(hex(randomblob(16))) WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "ref_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.CheckConstraint("id = 1"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO ref_generation (id, token) VALUES (1, lower(hex(randomblob(16))))")
    for table in _TABLES:
        for event in _EVENTS:
            op.execute(
                f"CREATE TRIGGER ref_generation_{table}_{event} AFTER {event.upper()} ON {table}"
                f" BEGIN {_RENEW}; END"
            )


def downgrade() -> None:
    for table in _TABLES:
        for event in _EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS ref_generation_{table}_{event}")
    op.drop_table("ref_generation")
