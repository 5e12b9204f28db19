"""invitee answer index: the answers of a date are counted on every RSVP press, from the index alone

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 19:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_meeting_invitee_occurrence_answer", "meeting_invitee", ["occurrence_id", "answer"])


def downgrade() -> None:
    op.drop_index("ix_meeting_invitee_occurrence_answer", table_name="meeting_invitee")
