"""The store: engine, sessions and migrations for SQLite (default) or PostgreSQL.

SQLite runs in WAL mode with ``synchronous=FULL`` (an office computer can lose power at any
moment; a committed state must survive it), foreign keys on, and a busy timeout so that a
second process waits instead of failing.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def normalise_url(url: str) -> str:
    """Let ``postgresql://`` mean the psycopg 3 driver that loa installs."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def _touch_private(path: Path) -> None:
    """Create the SQLite file readable by its owner only (it holds the channels' tokens)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def make_engine(url: str, *, create_file: bool = False) -> Engine:
    url = normalise_url(url)
    if is_sqlite(url):
        db = make_url(url).database
        if db and db != ":memory:":
            path = Path(db)
            if create_file:
                _touch_private(path)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest), keeping all data.

    On SQLite, altering a table means rebuilding it (Alembic's batch mode): with foreign keys on,
    dropping the old table would cascade-delete every row that refers to it. Foreign keys are off
    for the migration (a PRAGMA that only works outside a transaction) and checked after it."""
    from alembic import command

    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()  # end SQLAlchemy's autobegun transaction; the PRAGMA itself took effect
        try:
            with conn.begin():
                command.upgrade(alembic_config(conn), revision)
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            conn.commit()
            if broken:
                raise RuntimeError(f"migration left {len(broken)} broken reference(s): {broken[:3]}")
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# The newest migration, written here so that every command checks the schema with one query
# instead of loading Alembic (tests/test_store.py holds it to Alembic's own head).
HEAD = "0018"


def schema_is_current(engine: Engine) -> bool:
    """One query: is the database at this code's migration head?"""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    except DBAPIError:  # no alembic_version table yet: an empty database
        return False


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session:
        with session.begin():
            yield session


def reclaim(engine: Engine) -> bool:
    """After erasing people's data: SQLite keeps deleted rows' bytes in free pages and in the WAL
    until they are reused, so the file is rebuilt (VACUUM) and the WAL emptied; PostgreSQL's
    VACUUM marks the space reusable. Returns False when another connection held the database
    (tried again at the next step)."""
    from sqlalchemy.exc import OperationalError

    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.exec_driver_sql("VACUUM")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                conn.exec_driver_sql("VACUUM")
        return True
    except OperationalError:
        return False
