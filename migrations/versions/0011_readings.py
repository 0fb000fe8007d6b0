"""readings: the numbers of each published delivery (views, reach, reactions, comments, shares,
plays, average watch time) as the platform gave them, dated, each with its value or the reason
it is unavailable

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delivery_id", sa.Integer(), sa.ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False, server_default=""),
        sa.Column("source", sa.String(length=64), nullable=False, server_default=""),
    )
    op.create_index("ix_readings_delivery", "readings", ["delivery_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_readings_delivery", table_name="readings")
    op.drop_table("readings")
