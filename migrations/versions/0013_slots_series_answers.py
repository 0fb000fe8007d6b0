"""slots, series and answers: each channel's posting slots (the queue), series (chuyên mục) with
their rhythm and entries, and a quiz's answer linked to its quiz

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 23:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slots", sa.String(length=500), nullable=False),
        sa.Column("targets", sa.String(length=500), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("campaign_id", "name", name="uq_series_campaign_name"),
    )
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slots", sa.String(length=500), nullable=False, server_default=""))
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queued", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("series_number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answer_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answer_after_seconds", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_posts_series_id_series", "series", ["series_id"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key("fk_posts_answer_of_id_posts", "posts", ["answer_of_id"], ["id"],
                                    ondelete="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_constraint("fk_posts_answer_of_id_posts", type_="foreignkey")
        batch_op.drop_constraint("fk_posts_series_id_series", type_="foreignkey")
        for name in ("answer_after_seconds", "answer_of_id", "series_number", "series_id", "queued"):
            batch_op.drop_column(name)
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("slots")
    op.drop_table("series")
