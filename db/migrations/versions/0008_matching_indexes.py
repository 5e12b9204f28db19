"""matching indexes: the ladder selects a round's people by role and reach with indexes, not by reading the region

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 08:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member_role", schema=None) as batch_op:
        batch_op.create_index("ix_member_role_role_member_id", ["role", "member_id"], unique=False)
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index("ix_member_region_id_reach", ["region_id", "reach"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index("ix_member_region_id_reach")
    with op.batch_alter_table("member_role", schema=None) as batch_op:
        batch_op.drop_index("ix_member_role_role_member_id")
