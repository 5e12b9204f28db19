"""invite codes kept as SHA-256 hashes: a code is a bearer secret, and a copy of the database must not hold one

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 11:40:00
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

invite = sa.table(
    "invite", sa.column("id", sa.Integer), sa.column("code", sa.String), sa.column("code_hash", sa.String)
)


def upgrade() -> None:
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code_hash", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    # Links already handed out keep working: each stored code is replaced by its hash.
    for row_id, code in connection.execute(sa.select(invite.c.id, invite.c.code)).all():
        digest = hashlib.sha256(code.encode()).hexdigest()
        connection.execute(sa.update(invite).where(invite.c.id == row_id).values(code_hash=digest))
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.alter_column("code_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_invite_code_hash", ["code_hash"])
        batch_op.drop_constraint("uq_invite_code", type_="unique")
        batch_op.drop_column("code")


def downgrade() -> None:
    # The codes cannot be got back from their hashes: old links stop working after a downgrade.
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    connection.execute(sa.update(invite).values(code=invite.c.code_hash))
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.alter_column("code", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_invite_code", ["code"])
        batch_op.drop_constraint("uq_invite_code_hash", type_="unique")
        batch_op.drop_column("code_hash")
