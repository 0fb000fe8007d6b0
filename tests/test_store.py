"""Models and migrations on SQLite and, when configured, PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from content_queue.models import (
    Attempt,
    Base,
    Campaign,
    Channel,
    Clip,
    Consent,
    Delivery,
    DeliveryState,
    Platform,
    Post,
    Recap,
)
from content_queue.store import current_revision, head_revision, make_engine, migrate, session_factory


@pytest.fixture
def engine(db_url):
    e = make_engine(db_url, create_file=True)
    migrate(e)
    yield e
    e.dispose()


def _campaign(s) -> Campaign:
    c = Campaign(slug="kmm", name="Không một mình", hashtags="#khongmotminh", timezone="Asia/Ho_Chi_Minh")
    s.add(c)
    s.flush()
    return c


def test_models_round_trip_utc_and_vietnamese(engine):
    factory = session_factory(engine)
    due = datetime(2025, 10, 20, 8, 0, tzinfo=timezone(timedelta(hours=7)))
    with factory.begin() as s:
        c = _campaign(s)
        ch = Channel(campaign_id=c.id, platform=Platform.facebook, name="fanpage", account_id="1")
        ch.set_credentials({"page_id": "1", "access_token": "EAAB-secret-token"})
        s.add(ch)
        s.flush()
        p = Post(campaign_id=c.id, text="Cùng nhau an toàn trực tuyến", due_at=due)
        s.add(p)
        s.flush()
        d = Delivery(post_id=p.id, channel_id=ch.id, due_at=due)
        s.add(d)
        s.flush()
        s.add(Attempt(delivery_id=d.id, action="publish", outcome="published"))
        s.add(Clip(campaign_id=c.id, sha256="ab" * 32, participant_name="Nguyễn Thị Hoa", consent=Consent.guardian))
        s.add(Recap(campaign_id=c.id, clip_ids={"ids": [1]}))
    with factory() as s:
        d = s.scalars(sa.select(Delivery)).one()
        assert d.due_at == due
        assert d.due_at.tzinfo is not None and d.due_at.utcoffset() == timedelta(0)
        assert d.state is DeliveryState.scheduled
        assert d.post.text == "Cùng nhau an toàn trực tuyến"
        assert d.channel.credentials["access_token"].reveal() == "EAAB-secret-token"
        assert "EAAB-secret-token" not in repr(d.channel)
        assert "EAAB-secret-token" not in repr(d.channel.credentials)
        assert s.scalars(sa.select(Clip)).one().participant_name == "Nguyễn Thị Hoa"


def test_naive_datetimes_are_refused(engine):
    factory = session_factory(engine)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        with factory.begin() as s:
            c = _campaign(s)
            s.add(Post(campaign_id=c.id, text="x", due_at=datetime(2025, 1, 1)))


def test_one_delivery_per_post_and_channel(engine):
    factory = session_factory(engine)
    with pytest.raises(IntegrityError):
        with factory.begin() as s:
            c = _campaign(s)
            ch = Channel(campaign_id=c.id, platform=Platform.zalo, name="z", account_id="1")
            p = Post(campaign_id=c.id, text="x", due_at=datetime.now(timezone.utc))
            s.add_all([ch, p])
            s.flush()
            now = datetime.now(timezone.utc)
            s.add_all([Delivery(post_id=p.id, channel_id=ch.id, due_at=now),
                       Delivery(post_id=p.id, channel_id=ch.id, due_at=now)])


def test_migrations_match_the_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from content_queue.store import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_populated_database_upgrades_in_place_from_every_version(db_url):
    """A database made by the first version, with data, is upgraded step by step to head."""
    revisions = _revisions()
    assert revisions[0] == "0001" and len(revisions) >= 2
    e = make_engine(db_url, create_file=True)
    migrate(e, revisions[0])
    due = datetime(2025, 10, 20, 1, 0, tzinfo=timezone.utc)
    with e.begin() as conn:  # written with plain SQL, as the first version's tables were
        conn.execute(sa.text(
            "INSERT INTO campaigns (id, slug, name, message, hashtags, timezone, language, grace_minutes,"
            " add_hashtags, facebook_handoff, guardian_age, created_at) VALUES (1, 'kmm', 'Không một mình', '',"
            " '#khongmotminh', 'Asia/Ho_Chi_Minh', 'vi', 120, true, false, 16, :now)"), {"now": due})
        conn.execute(sa.text(
            "INSERT INTO channels (id, campaign_id, platform, name, account_id, credentials_json, credentials_version,"
            " settings, health, health_detail, active, created_at, updated_at) VALUES (1, 1, 'facebook', 'fanpage',"
            " '1', '{\"page_id\": \"1\", \"access_token\": \"tok-abcdef\"}', 1, '{}', 'ok', '', true, :now, :now)"),
            {"now": due})
        conn.execute(sa.text(  # a TikTok channel with the privacy default TikTok's rules no longer allow
            "INSERT INTO channels (id, campaign_id, platform, name, account_id, credentials_json, credentials_version,"
            " settings, health, health_detail, active, created_at, updated_at) VALUES (2, 1, 'tiktok', 'tiktok',"
            " 'o1', '{}', 1, '{\"privacy_level\": \"PUBLIC_TO_EVERYONE\", \"mode\": \"direct\","
            " \"disable_duet\": true}', 'ok', '', true, :now, :now)"), {"now": due})
        conn.execute(sa.text(
            "INSERT INTO posts (id, campaign_id, title, text, link, cover_url, variants, add_hashtags, due_at,"
            " source, created_at, updated_at) VALUES (1, 1, '', 'Bài đầu tiên', '', '', '{}', true, :due, 'cli',"
            " :due, :due)"), {"due": due})
        conn.execute(sa.text(
            "INSERT INTO deliveries (id, post_id, channel_id, state, due_at, attempt_count, remote_state,"
            " last_error, last_error_kind, created_at, updated_at) VALUES (1, 1, 1, 'published', :due, 1, '{}', '',"
            " '', :due, :due)"), {"due": due})
    for rev in revisions[1:]:
        migrate(e, rev)
        assert current_revision(e) == rev
    with session_factory(e)() as s:
        d = s.get(Delivery, 1)
        assert d.state is DeliveryState.published
        assert d.due_at == due
        assert d.post.text == "Bài đầu tiên"
        assert d.channel.credentials["access_token"].reveal() == "tok-abcdef"
        assert s.scalars(sa.select(Clip)).all() == []  # the new tables exist and work
        assert s.get(Channel, 2).settings == {"mode": "direct"}  # chosen per post now (0016)
    e.dispose()


def test_sqlite_runs_in_wal_with_full_sync(tmp_path):
    e = make_engine(f"sqlite:///{tmp_path / 'x.db'}", create_file=True)
    with e.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_head_the_commands_check_is_alembics(db_url):
    from content_queue.store import HEAD, head_revision, make_engine, migrate, schema_is_current

    assert HEAD == head_revision()  # a new migration must move HEAD with it
    engine = make_engine(db_url, create_file=True)
    try:
        assert not schema_is_current(engine)  # empty: no alembic_version table
        migrate(engine, "0004")
        assert not schema_is_current(engine)
        migrate(engine)
        assert schema_is_current(engine)
    finally:
        engine.dispose()
