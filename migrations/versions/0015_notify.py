"""campaigns.notify and campaigns.notified: the officer's e-mail notices (SMTP settings) and what
was last told per kind, so that one kind is sent at most once an hour

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 00:05:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("notified", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("notified")
        batch_op.drop_column("notify")
