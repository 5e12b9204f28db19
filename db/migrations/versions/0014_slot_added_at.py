"""slot added at: a helper who offered before days were added may offer for the added days

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("request_slot") as batch:
        batch.add_column(sa.Column("added_at", db.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("request_slot") as batch:
        batch.drop_column("added_at")
