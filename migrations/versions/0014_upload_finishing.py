"""uploads.finishing_by and finishing_at: a complete upload is checked (probed, its poster made) off
the request by a worker that claims it atomically, so that the last chunk returns at once and a
second process could take the work

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 23:55:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finishing_by", sa.String(length=120), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("finishing_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_column("finishing_at")
        batch_op.drop_column("finishing_by")
