"""challenge clips and recaps

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('clips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=500), nullable=False),
    sa.Column('participant_name', sa.String(length=300), nullable=False),
    sa.Column('school', sa.String(length=300), nullable=False),
    sa.Column('class_name', sa.String(length=100), nullable=False),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('consent', sa.Enum('self', 'guardian', 'none', name='consent', native_enum=False, length=32), nullable=False),
    sa.Column('guardian_name', sa.String(length=300), nullable=False),
    sa.Column('display', sa.Enum('full', 'first', 'anonymous', name='name_display', native_enum=False, length=32), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', 'withdrawn', name='clip_status', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('probe', sa.JSON(), nullable=False),
    sa.Column('poster_relpath', sa.String(length=500), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_clips_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['clips.id'], name=op.f('fk_clips_duplicate_of_id_clips')),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_clips_media_id_media')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clips'))
    )
    with op.batch_alter_table('clips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clips_sha256'), ['sha256'], unique=False)
    op.create_table('recaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('clip_ids', sa.JSON(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_recaps_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_recaps_media_id_media')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_recaps_post_id_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recaps'))
    )


def downgrade() -> None:
    op.drop_table("recaps")
    with op.batch_alter_table("clips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clips_sha256"))
    op.drop_table("clips")
