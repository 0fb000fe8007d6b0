"""deliveries.claimed_from: the state a claim took a delivery from, so that a claim given back
untouched returns it there (a retry the officer asked for stays a retry, never "missed")

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_from", sa.Enum(
            "scheduled", "publishing", "processing", "retry_wait", "published", "failed", "unknown",
            "needs_attention", "missed", "cancelled", name="delivery_state", native_enum=False,
            create_constraint=False, length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("claimed_from")
