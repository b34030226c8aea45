"""sync nodes: the disk each node states with its pushes and pulls

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:45:00

Every push (``PushBatch.disk``) and pull (``disk_level`` / ``disk_free_mb``) of a node running
this version states the free space of its data directory (``edge.diskspace``): ``ok``, ``bajo``
or ``lleno`` and the free MB. The hub keeps the last values and when it heard them on the node's
row (``central.sync.models.Node``), for the sync health page, the alarms and ``/metrics``.

Three nullable columns, so existing nodes read "unknown" until they next call (an older node
never states it and stays unknown). ``IF NOT EXISTS``: a hub whose 0001 was generated after the
columns existed already has them. Downgrading drops them (the values come back at the next call).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("disk_level", "VARCHAR(10)"),
    ("disk_free_mb", "BIGINT"),
    ("disk_reported_at", "TIMESTAMP WITH TIME ZONE"),
)


def upgrade() -> None:
    for name, sql_type in COLUMNS:
        op.execute(f"ALTER TABLE sync_node ADD COLUMN IF NOT EXISTS {name} {sql_type}")


def downgrade() -> None:
    for name, _ in COLUMNS:
        op.execute(f"ALTER TABLE sync_node DROP COLUMN IF EXISTS {name}")
