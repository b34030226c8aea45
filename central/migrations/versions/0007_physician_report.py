"""reports: orders per ordering physician (``rpt_physician_day``)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 18:00:00

Edges now record on each order the physician who asked for the tests (médico solicitante: CMP
and name) and whether it is urgent (``domain.physician``); the order rows reach the hub as they
are. The "Médicos solicitantes" report reads ``rpt_physician_day`` (valid orders, urgent ones
and their total per sede, day, CMP and name), a summary kept by the statement triggers on
``sync_record`` like 0002's (SQL in ``central.reports.projections``, revision "0007").

Upgrade: create the table (``IF NOT EXISTS``: a hub whose 0001 was generated after the model
existed already has it), replace the three trigger functions with ones that also keep it, then
summarise the orders already received (orders from older edges carry no physician: they count
under '' / ''). Downgrade: triggers as of 0002 (0003-0006 did not change them), then drop the
table.
"""

from collections.abc import Sequence

from alembic import op

from central.reports import projections

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "rpt_physician_day"
# IF NOT EXISTS: a hub whose 0001 was generated after the model existed already has the table
DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (sede_id VARCHAR(36) NOT NULL, "
    "business_date DATE NOT NULL, physician_cmp VARCHAR NOT NULL, "
    "physician_name VARCHAR NOT NULL, orders BIGINT NOT NULL, urgent_orders BIGINT NOT NULL, "
    "total_cents BIGINT NOT NULL, "
    "PRIMARY KEY (sede_id, business_date, physician_cmp, physician_name))"
)
INDEX = f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_business_date ON {TABLE} (business_date)"


def _triggers(as_of: str) -> None:
    for stmt in projections.drop_sql():
        op.execute(stmt)
    for stmt in projections.create_sql(as_of):
        op.execute(stmt)


def upgrade() -> None:
    op.execute(DDL)
    op.execute(INDEX)
    _triggers(revision)
    op.execute(f"TRUNCATE {TABLE}")
    for stmt in projections.fill_sql(revision):
        op.execute(stmt)


def downgrade() -> None:
    _triggers("0002")
    op.execute(f"DROP TABLE IF EXISTS {TABLE}")
