"""received update claims: several workers take updates from the inbox, one chat's one after another

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("received_update", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_key", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", db.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_received_update_chat_key_update_id", ["chat_key", "update_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("received_update", schema=None) as batch_op:
        batch_op.drop_index("ix_received_update_chat_key_update_id")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("chat_key")
