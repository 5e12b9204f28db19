"""request status message: the requester's status message is kept current

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shortage_request") as batch:
        batch.add_column(sa.Column("status_message_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("status_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shortage_request") as batch:
        batch.drop_column("status_digest")
        batch.drop_column("status_message_id")
