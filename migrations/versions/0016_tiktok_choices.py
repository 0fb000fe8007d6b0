"""TikTok channels lose their privacy and interaction defaults (privacy_level, disable_comment,
disable_duet, disable_stitch): TikTok's posting rules have the person choose them for each post
(Post.variants["tiktok"]), so a channel no longer holds one for them

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 08:40:00
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

RETIRED = ("privacy_level", "disable_comment", "disable_duet", "disable_stitch")


def upgrade() -> None:
    bind = op.get_bind()
    channels = sa.table("channels", sa.column("id", sa.Integer), sa.column("platform", sa.String),
                        sa.column("settings", sa.JSON))
    for row in bind.execute(sa.select(channels.c.id, channels.c.settings).where(channels.c.platform == "tiktok")):
        settings = row.settings if isinstance(row.settings, dict) else json.loads(row.settings or "{}")
        if any(k in settings for k in RETIRED):
            kept = {k: v for k, v in settings.items() if k not in RETIRED}
            bind.execute(channels.update().where(channels.c.id == row.id).values(settings=kept))


def downgrade() -> None:
    pass  # the defaults are not brought back: a post's choices stay the person's
