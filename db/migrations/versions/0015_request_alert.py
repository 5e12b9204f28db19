"""request alert: a coordinator's alert about a request still open after the last round follows the request

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("rendered_digest", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_request_alert_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["shortage_request.id"],
            name=op.f("fk_request_alert_request_id_shortage_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_alert")),
    )
    op.create_index(op.f("ix_request_alert_member_id"), "request_alert", ["member_id"])
    op.create_index(op.f("ix_request_alert_request_id"), "request_alert", ["request_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_request_alert_request_id"), table_name="request_alert")
    op.drop_index(op.f("ix_request_alert_member_id"), table_name="request_alert")
    op.drop_table("request_alert")
