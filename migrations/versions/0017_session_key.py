"""users.session_key replaces users.sessions_from: a session carries its user's key and ends when
the key is changed (signing out, a new password), so that a copied cookie stops working; and users'
ids are never reused on SQLite (AUTOINCREMENT), so that a removed user's session cannot open the
next user's (PostgreSQL's sequence never reuses one)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 16:40:00
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("users", schema=None, recreate="always" if bind.dialect.name == "sqlite" else "auto",
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("session_key", sa.String(length=64), nullable=False, server_default=""))
        batch_op.drop_column("sessions_from")
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_key", sa.String))
    for (uid,) in bind.execute(sa.select(users.c.id)).all():  # every session signed in before ends here
        bind.execute(users.update().where(users.c.id == uid).values(session_key=secrets.token_urlsafe(32)))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None, recreate="always") as batch_op:
        batch_op.add_column(sa.Column("sessions_from", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("session_key")
