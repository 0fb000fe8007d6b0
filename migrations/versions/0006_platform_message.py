"""deliveries.platform_message: the platform's own words when it refused a post, kept beside loa's
explanation (last_error, in the officer's language) for support

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_message", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("platform_message")
