"""calendars: the installation's id for globally unique calendar UIDs, and personal calendar feeds

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 17:40:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A series planned from now on is one calendar entry (one invitation, one file with the rule); those already
    # sent date by date stay so until they end, or calendars would hold each date twice.
    # A plain ADD COLUMN, not a batch: on SQLite a batch would copy the table, and dropping the old copy deletes
    # every date of every meeting through ON DELETE CASCADE (foreign keys are on in the migration's connection).
    op.add_column("meeting", sa.Column("series_entry", sa.Boolean(), server_default=sa.false(), nullable=False))
    installation = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid_id", sa.String(length=32), nullable=False),
        sa.Column("legacy_uid_below", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    # Dates that exist now were sent as "occurrence-N@wijkhulp": they keep that UID (calendars hold it).
    below = op.get_bind().scalar(sa.text("SELECT COALESCE(MAX(id), 0) + 1 FROM meeting_occurrence"))
    op.bulk_insert(installation, [{"id": 1, "uid_id": uuid.uuid4().hex, "legacy_uid_below": int(below or 1)}])
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_calendar_feed_member_id_member"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("member_id", name=op.f("uq_calendar_feed_member_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
    )


def downgrade() -> None:
    op.drop_column("meeting", "series_entry")
    op.drop_table("calendar_feed")
    op.drop_table("installation")
