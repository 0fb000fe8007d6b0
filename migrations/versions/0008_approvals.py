"""approvals: campaigns.approval (required | off) and each post's approval (who, when, the comment
of a post sent back)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval", sa.String(length=16), nullable=False, server_default="off"))
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("approved_by", sa.String(length=80), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("approval_comment", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("approval_comment")
        batch_op.drop_column("approved_by")
        batch_op.drop_column("approved_at")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("approval")
