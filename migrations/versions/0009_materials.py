"""campaigns.help_line and campaigns.public_url: what the printed materials say to call, and the
address people reach the campaign's pages at (the portal's link, the workspace's consent
redirects, the QR codes)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("help_line", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("public_url", sa.String(length=500), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("public_url")
        batch_op.drop_column("help_line")
