"""public pages: the pledge wall (pledges, and the campaign's pledge text, auto-approval and word
list), a participant's own withdrawal code (its hash on the clip; the code itself on the upload
until shown once), how long what people sent is kept after the campaign, the frame's download count

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pledge_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("pledge_auto", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("pledge_words", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("keep_days", sa.Integer(), nullable=False, server_default="90"))
        batch_op.add_column(sa.Column("frame_downloads", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("clips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdraw_hash", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_clips_withdraw_hash", ["withdraw_hash"])
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=40), nullable=False, server_default=""))
    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("organisation", sa.String(length=160), nullable=False),
        sa.Column("age_band", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("flagged", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("pledges")
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_column("code")
    with op.batch_alter_table("clips", schema=None) as batch_op:
        batch_op.drop_index("ix_clips_withdraw_hash")
        batch_op.drop_column("withdraw_hash")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        for name in ("frame_downloads", "keep_days", "pledge_words", "pledge_auto", "pledge_text"):
            batch_op.drop_column(name)
