"""scheduler: next attempt index, preflight warnings, channel cool-down, workers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 15:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preflight", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index("ix_deliveries_state_next", ["state", "next_attempt_at"], unique=False)
    # Every waiting delivery becomes eligible at its due time.
    op.execute("UPDATE deliveries SET next_attempt_at = due_at WHERE next_attempt_at IS NULL")
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cooldown_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )


def downgrade() -> None:
    op.drop_table("workers")
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("cooldown_until")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_state_next")
        batch_op.drop_column("preflight")
