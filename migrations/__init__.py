"""Alembic migrations for loa's database. Run by ``content_queue.store.migrate``."""
