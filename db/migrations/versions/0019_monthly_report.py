"""monthly report: one per region and month, recorded before it is sent; the requests of a region by posting time,
for the figures of a period

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 18:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_report_sent",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_monthly_report_sent_region_id_region"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("region_id", "month", name=op.f("pk_monthly_report_sent")),
    )
    with op.batch_alter_table("shortage_request") as batch_op:
        batch_op.create_index("ix_shortage_request_region_id_created_at", ["region_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shortage_request") as batch_op:
        batch_op.drop_index("ix_shortage_request_region_id_created_at")
    op.drop_table("monthly_report_sent")
