"""bot runs: each start of the bot records a run id, and outbox claims name the run that made them, so that a
claim of a run known to have ended (a restart of the same worker) is free at once instead of after the timeout

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_run",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("started_at", db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", db.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_run")),
    )
    op.create_index(op.f("ix_bot_run_worker"), "bot_run", ["worker"])
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
    op.drop_index(op.f("ix_bot_run_worker"), table_name="bot_run")
    op.drop_table("bot_run")
