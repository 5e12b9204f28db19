"""offer card message: the requester's card of an offer follows the offer; a person's waiting copy is found by
its recipient (a fresh copy replaces it)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 15:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("offer") as batch:
        batch.add_column(sa.Column("card_message_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_outbox_message_recipient_id"), "outbox_message", ["recipient_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_message_recipient_id"), table_name="outbox_message")
    with op.batch_alter_table("offer") as batch:
        batch.drop_column("card_message_id")
