"""meeting answers: one reminder to those who have not answered (automatic, and the organiser's once a day), and
meeting dates posted in linked wijk groups with the counts

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting_occurrence") as batch:
        batch.add_column(sa.Column("nudged_at", db.models.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("nudged_on", sa.Date(), nullable=True))
    op.create_table(
        "meeting_group_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("rendered_digest", sa.String(length=64), nullable=True),
        sa.Column("edit_row_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["meeting_occurrence.id"],
            name=op.f("fk_meeting_group_post_occurrence_id_meeting_occurrence"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_group_post")),
        sa.UniqueConstraint("occurrence_id", "chat_id", name=op.f("uq_meeting_group_post_occurrence_id")),
    )
    op.create_index(op.f("ix_meeting_group_post_occurrence_id"), "meeting_group_post", ["occurrence_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_meeting_group_post_occurrence_id"), table_name="meeting_group_post")
    op.drop_table("meeting_group_post")
    with op.batch_alter_table("meeting_occurrence") as batch:
        batch.drop_column("nudged_on")
        batch.drop_column("nudged_at")
