"""The engine against the sandbox on a driven clock: every path of a delivery's life."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from sandbox import Sandbox, SandboxServer
from content_queue.models import Channel, ChannelHealth, DeliveryState
from scheduler.engine import Policy
from tests.conftest import make_video
from tests.scheduler_helpers import Clock, make_world

S = DeliveryState


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def server(clock):
    sb = Sandbox(processing_seconds=1.0, clock=clock.ts)
    sb.faults.delay = 1.5
    with SandboxServer(sb) as s:
        yield s


@pytest.fixture
def world(db_url, tmp_path, server, clock):
    w = make_world(db_url, tmp_path, server, clock)
    yield w
    w.engine_db.dispose()


@pytest.fixture(scope="module")
def reel(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("m") / "reel.mp4", size="540x960", seconds=4)


def test_due_post_published_once_and_only_when_due(world, clock):
    world.add_channel("facebook", "fanpage")
    [d] = world.post("Phát động chiến dịch", "facebook", at=clock() + timedelta(minutes=10))
    eng = world.engine()
    eng.run_pass()
    assert world.delivery(d).state is S.scheduled
    assert eng.next_wakeup() == clock() + timedelta(minutes=10)
    clock.advance(minutes=10)
    report = eng.run_pass()
    got = world.delivery(d)
    assert got.state is S.published and got.remote_url.startswith("https://www.facebook.com/")
    assert report.published == 1
    eng.run_pass()
    assert len(world.ledger("Phát động")) == 1


def test_all_three_platforms(world, clock, reel):
    for p in ("facebook", "zalo", "tiktok"):
        world.add_channel(p, p)
    ids = world.post("Trailer chiến dịch", "all", media=reel)
    eng = world.engine()
    eng.run_pass()
    for _ in range(6):
        clock.advance(seconds=6)
        eng.run_pass()
    states = {world.delivery(i).state for i in ids}
    assert states == {S.published}, [(world.delivery(i).state, world.delivery(i).last_error) for i in ids]
    assert len(world.ledger("Trailer")) == 3


def test_missed_beyond_grace_and_published_within(world, clock):
    world.add_channel("facebook", "fanpage")
    [old] = world.post("Cũ quá", "facebook", at=clock())
    [recent] = world.post("Vừa mới", "facebook", at=clock() + timedelta(hours=2, minutes=30))
    clock.advance(hours=3)  # the office computer was off
    world.engine().run_pass()
    assert world.delivery(old).state is S.missed
    assert "more than 120 minutes" in world.delivery(old).last_error
    assert world.delivery(recent).state is S.published
    assert world.ledger("Cũ quá") == []


def test_backlog_goes_out_one_per_channel_at_a_time(world, clock):
    world.add_channel("facebook", "fanpage")
    ids = [world.post(f"Tồn đọng {i}", "facebook", at=clock() + timedelta(minutes=i))[0] for i in range(5)]
    clock.advance(minutes=60)
    eng = world.engine()
    eng.run_pass()
    assert sum(world.delivery(i).state is S.published for i in ids) == 1
    for _ in range(4):
        clock.advance(minutes=2, seconds=1)
        eng.run_pass()
    assert all(world.delivery(i).state is S.published for i in ids)
    times = sorted(e["at"] for e in world.ledger("Tồn đọng"))
    assert all(b - a >= 120 for a, b in zip(times, times[1:]))


@pytest.mark.parametrize("fault", ["5xx", "429"])
def test_retry_with_backoff_then_published_once(world, clock, fault):
    world.add_channel("facebook", "fanpage")
    [d] = world.post(f"Thử lại {fault}", "facebook")
    world.sandbox.queue_fault(fault, "feed")
    eng = world.engine()
    eng.run_pass()
    got = world.delivery(d)
    assert got.state is S.retry_wait and got.next_attempt_at > clock()
    if fault == "429":
        with world.sessions() as s:
            assert s.get(Channel, world.channels["fanpage"]).cooldown_until > clock()
    clock.advance(minutes=5)
    eng.run_pass()
    assert world.delivery(d).state is S.published
    assert len(world.ledger(f"Thử lại {fault}")) == 1


def test_bounded_attempts_then_failed_with_reason(world, clock):
    world.add_channel("facebook", "fanpage")
    [d] = world.post("Không bao giờ", "facebook")
    world.sandbox.queue_fault("5xx", "feed", times=50)
    eng = world.engine(policy=Policy(max_attempts=3, backoff_base=1))
    for _ in range(5):
        eng.run_pass()
        clock.advance(minutes=2)
    got = world.delivery(d)
    assert got.state is S.failed and "gave up after 3 attempts" in got.last_error


@pytest.mark.parametrize("fault", ["timeout_after", "drop_after"])
@pytest.mark.parametrize("platform", ["facebook", "zalo"])
def test_no_answer_after_posting_is_reconciled_not_reposted(world, clock, fault, platform):
    world.add_channel(platform, platform)
    [d] = world.post(f"Im lặng {fault} {platform}", platform)
    call = "feed" if platform == "facebook" else "article/create"
    world.sandbox.queue_fault(fault, call)
    eng = world.engine()
    eng.run_pass()
    assert world.sandbox.fired(call, fault), "the fault never struck"
    assert world.delivery(d).state is S.unknown  # the answer was lost: loa does not guess
    for _ in range(4):
        clock.advance(seconds=10)
        eng.run_pass()
    assert world.delivery(d).state is S.published
    assert len(world.ledger(f"Im lặng {fault} {platform}")) == 1
    with world.sessions() as s:
        from content_queue.models import Attempt

        assert [a.action for a in s.query(Attempt).filter_by(delivery_id=d).order_by(Attempt.id)][:2] == \
            ["publish", "reconcile"]


def test_tiktok_last_chunk_timeout_reconciled(world, clock, reel):
    world.add_channel("tiktok", "tiktok")
    [d] = world.post("TikTok im lặng", "tiktok", media=reel)
    world.sandbox.queue_fault("timeout_after", "open-upload")
    eng = world.engine()
    eng.run_pass()
    assert world.sandbox.fired("open-upload", "timeout_after") and world.delivery(d).state is S.unknown
    for _ in range(4):
        clock.advance(seconds=10)
        eng.run_pass()
    assert world.delivery(d).state is S.published
    assert len(world.ledger("TikTok im lặng")) == 1


class Crash(BaseException):
    """The process dies (SIGKILL): nothing after this point runs."""


def test_crash_after_the_post_was_made_is_reconciled(world, clock):
    world.add_channel("facebook", "fanpage")
    [d] = world.post("Mất điện", "facebook")
    eng = world.engine()
    real_save = eng._save_state

    def save_then_die(delivery_id, state):
        real_save(delivery_id, state)
        if "post_id" in state:
            raise Crash()

    eng._save_state = save_then_die
    with pytest.raises(Crash):
        eng.run_pass()
    assert world.delivery(d).state is S.publishing
    clock.advance(minutes=2)  # past the dead worker's lease
    fresh = world.engine()
    fresh.run_pass()
    fresh.run_pass()
    assert world.delivery(d).state is S.published
    assert len(world.ledger("Mất điện")) == 1


def test_crash_before_anything_was_sent_publishes_once(world, clock):
    world.add_channel("facebook", "fanpage")
    [d] = world.post("Trước khi gửi", "facebook")
    eng = world.engine()
    assert eng.claim() == [d]  # claimed, then the process died
    clock.advance(minutes=2)
    fresh = world.engine()
    fresh.run_pass()
    fresh.run_pass()
    assert world.delivery(d).state is S.published
    assert len(world.ledger("Trước khi gửi")) == 1


def test_expired_token_refreshed_and_stored(world, clock):
    cid = world.add_channel("zalo", "zalo", expired=True)
    with world.sessions() as s:
        before = s.get(Channel, cid).credentials["refresh_token"].reveal()
    [d] = world.post("Token hết hạn", "zalo")
    world.engine().run_pass()
    assert world.delivery(d).state is S.published
    with world.sessions() as s:
        ch = s.get(Channel, cid)
        assert ch.credentials["refresh_token"].reveal() != before
        assert ch.credentials_version == 2 and ch.access_expires_at is not None


def test_tokens_refreshed_ahead_of_expiry(world, clock):
    cid = world.add_channel("tiktok", "tiktok")
    with world.sessions.begin() as s:
        s.get(Channel, cid).access_expires_at = clock() + timedelta(minutes=30)
    world.engine().refresh_tokens()
    with world.sessions() as s:
        assert s.get(Channel, cid).credentials_version == 2


def test_dead_credentials_fail_and_flag_the_channel(world, clock, reel):
    cid = world.add_channel("tiktok", "tiktok", expired=True)
    with world.sandbox.lock:  # the refresh token was revoked too
        for t in list(world.sandbox.tokens.values()):
            if t.kind == "refresh":
                del world.sandbox.tokens[t.value]
    [d] = world.post("Mất kết nối", "tiktok", media=reel)
    world.engine().run_pass()
    got = world.delivery(d)
    assert got.state is S.failed and got.last_error_kind == "credentials" and f"loa retry {d}" in got.last_error
    with world.sessions() as s:
        assert s.get(Channel, cid).health is ChannelHealth.reconnect


def test_rejected_content_fails_with_the_platform_message(world, clock, reel):
    world.add_channel("tiktok", "tiktok", privacy_options=["SELF_ONLY"])
    [d] = world.post("Riêng tư", "tiktok", media=reel)
    world.engine().run_pass()
    got = world.delivery(d)
    assert got.state is S.failed and "has not yet audited this app" in got.last_error


def test_reel_processing_is_followed(world, clock, reel):
    world.add_channel("facebook", "fanpage")
    [d] = world.post("Reel", "facebook", media=reel)
    eng = world.engine()
    eng.run_pass()
    assert world.delivery(d).state is S.processing
    clock.advance(seconds=6)
    eng.run_pass()
    got = world.delivery(d)
    assert got.state is S.published and "/reel/" in got.remote_url


def test_handoff_to_facebook(world, clock):
    world.add_channel("facebook", "fanpage")
    [d] = world.post("Đăng hộ", "facebook", at=clock() + timedelta(hours=3), facebook_handoff=True)
    eng = world.engine()
    assert eng.hand_off() == 1
    got = world.delivery(d)
    assert got.state is S.processing and got.remote_state["platform_status"] == "scheduled"
    assert world.ledger("Đăng hộ") == []
    clock.advance(hours=3, minutes=1)  # the office computer could be off now: Facebook publishes
    eng.run_pass()
    assert world.delivery(d).state is S.published
    assert len(world.ledger("Đăng hộ")) == 1


def test_two_workers_never_claim_the_same_delivery(world, clock):
    world.add_channel("facebook", "fanpage")
    for i in range(40):
        world.post(f"Song song {i}", "facebook")
    a, b = world.engine(), world.engine()
    claimed: list[list[int]] = [[], []]

    def take(eng, out):
        while True:
            ids = eng.claim(limit=3)
            if not ids:
                return
            out.extend(ids)

    threads = [threading.Thread(target=take, args=(e, o)) for e, o in zip((a, b), claimed)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed[0] + claimed[1]) == sorted(set(claimed[0] + claimed[1]))
    assert len(claimed[0]) + len(claimed[1]) == 40


def test_preflight_warns_ahead(world, clock, reel):
    cid = world.add_channel("facebook", "fanpage")
    [d] = world.post("Sắp tới", "facebook", at=clock() + timedelta(hours=5), media=reel)
    with world.sessions.begin() as s:
        ch = s.get(Channel, cid)
        ch.health = ChannelHealth.reconnect
    for f in world.media_dir.rglob("*.mp4"):
        f.chmod(0o644)
        f.unlink()
    world.engine().preflight()
    warning = world.delivery(d).preflight
    assert "must be connected again" in warning and "missing from the store" in warning


def test_preflight_says_what_the_platform_says_now_read_once_an_hour(world, clock, reel):
    """The day-ahead preflight uses the go-live check's facts: a Page without read_insights and a
    TikTok account that no longer offers the privacy the post chose are said on their posts a day
    ahead; the platform is asked once an hour per channel, and again at once after a reconnect."""

    fb = world.add_channel("facebook", "fanpage", scopes=["pages_manage_posts", "pages_read_engagement",
                                                          "pages_show_list", "publish_video"])
    world.add_channel("tiktok", "tiktok")
    [d_fb] = world.post("Sắp tới", "facebook", at=clock() + timedelta(hours=5))
    [d_tt] = world.post("Video", "tiktok", at=clock() + timedelta(hours=6), media=reel)
    user = next(iter(world.sandbox.tiktok_users.values()))
    user["privacy"] = ["SELF_ONLY"]  # the account's app lost its audit, or never had it
    engine = world.engine()
    engine.preflight()
    assert "read_insights" in world.delivery(d_fb).preflight
    assert "go-live check" in world.delivery(d_fb).preflight
    said = world.delivery(d_tt).preflight
    assert said.startswith("TikTok: ") and "PUBLIC_TO_EVERYONE" in said and "SELF_ONLY" in said

    def asked() -> int:
        with world.sandbox.lock:
            return sum(1 for c in world.sandbox.calls if c["path"].endswith("/permissions")
                       or "creator_info" in c["path"])

    before = asked()
    engine.preflight()
    assert asked() == before  # the same hour: nothing asked again
    clock.advance(minutes=61)
    engine.preflight()
    assert asked() > before
    before = asked()
    with world.sessions.begin() as s:  # reconnected with every permission
        ch = s.get(Channel, fb)
        ch.credentials_version += 1
    world.sandbox.fb_scopes.clear()
    engine.preflight()
    assert asked() == before + 1 and world.delivery(d_fb).preflight == ""
    assert world.sandbox.ledger == []  # nothing posted by a check


def test_an_unaudited_app_sending_to_the_inbox_is_not_a_warning(world, clock, reel):
    cid = world.add_channel("tiktok", "tiktok", privacy_options=["SELF_ONLY"])
    with world.sessions.begin() as s:
        s.get(Channel, cid).settings = {"mode": "inbox"}
    [d] = world.post("Video", "tiktok", at=clock() + timedelta(hours=6), media=reel, variants={})
    world.engine().preflight()
    assert world.delivery(d).preflight == ""


@pytest.mark.parametrize("platform", ["facebook", "zalo"])
def test_reconcile_survives_an_office_clock_hours_off(db_url, tmp_path, platform):
    """The computer's clock is three hours fast: a post that went out unanswered is still found."""
    real = Clock(datetime.now(timezone.utc))
    sb = Sandbox(processing_seconds=0.1)  # the platform's clock is the real one: it processes on its own
    sb.faults.delay = 1.5
    with SandboxServer(sb) as server:
        office = Clock(real() + timedelta(hours=3))
        w = make_world(db_url, tmp_path, server, office)
        w.add_channel(platform, platform)
        [d] = w.post("Đồng hồ sai", platform)
        sb.queue_fault("timeout_after", "feed" if platform == "facebook" else "article/create")
        eng = w.engine()
        eng.run_pass()
        for _ in range(3):
            office.advance(seconds=10)
            eng.run_pass()
        assert w.delivery(d).state is S.published
        assert len(w.ledger("Đồng hồ sai")) == 1
        w.engine_db.dispose()


def test_handoff_without_an_answer_is_reconciled_not_scheduled_twice(world, clock):
    world.add_channel("facebook", "fanpage")
    [d] = world.post("Đăng hộ im lặng", "facebook", at=clock() + timedelta(days=10), facebook_handoff=True)
    world.sandbox.queue_fault("timeout_after", "feed")
    eng = world.engine()
    eng.hand_off()
    assert world.delivery(d).state is S.unknown
    clock.advance(seconds=10)
    eng.run_pass()
    got = world.delivery(d)
    assert got.state is S.processing and got.remote_state["platform_status"] == "scheduled"
    with world.sandbox.lock:
        scheduled = [o for o in world.sandbox.fb_objects.values() if o.get("message", "").startswith("Đăng hộ im lặng")]
    assert len(scheduled) == 1


def test_dead_credentials_while_following_never_fail_a_post_that_may_be_out(world, clock, reel):
    cid = world.add_channel("facebook", "fanpage")
    [d] = world.post("Đang xử lý", "facebook", media=reel)
    eng = world.engine()
    eng.run_pass()
    assert world.delivery(d).state is S.processing
    with world.sandbox.lock:  # the Page's admin changed their password: every token dies
        world.sandbox.tokens.clear()
    clock.advance(seconds=6)
    eng.run_pass()
    got = world.delivery(d)
    assert got.state is S.processing and "connect the account again" in got.last_error
    with world.sessions() as s:
        assert s.get(Channel, cid).health is ChannelHealth.reconnect


def test_a_failure_to_record_the_outcome_leaves_it_unknown_then_reconciled(world, clock):
    """The post went out but its outcome could not be written (a full disk, a dropped database
    connection): the delivery is unknown, asked about, and published once."""
    from sqlalchemy.exc import OperationalError

    world.add_channel("facebook", "fanpage")
    [d] = world.post("Ghi không được", "facebook")
    eng = world.engine()
    real = eng._settle
    calls = []

    def full_disk(*a, **kw):
        if not calls:
            calls.append(1)
            raise OperationalError("UPDATE deliveries", {}, Exception("database or disk is full"))
        return real(*a, **kw)

    eng._settle = full_disk
    eng.run_pass()
    assert calls and world.delivery(d).state is S.unknown
    assert "could not be recorded" in world.delivery(d).last_error
    clock.advance(seconds=10)
    eng.run_pass()
    assert world.delivery(d).state is S.published and len(world.ledger("Ghi không được")) == 1


def test_when_nothing_can_be_recorded_the_worker_releases_its_own_claim(world, clock):
    """Not even "unknown" could be written: the delivery is left publishing under this live
    worker, which finds it on its next pass (no call in flight) and reconciles it."""
    world.add_channel("facebook", "fanpage")
    [d] = world.post("Không ghi gì", "facebook")
    eng = world.engine()
    real_tx, broken = eng._tx, []

    def settle_fails(*a, **kw):
        broken.append(1)
        eng._tx = _failing_tx  # from here on, every write of this pass fails
        raise OSError(28, "No space left on device")

    def _failing_tx():
        raise OSError(28, "No space left on device")

    eng._settle = settle_fails
    with pytest.raises(OSError):  # the pass stops at the next write it tries
        eng.dispatch()
    assert broken and world.delivery(d).state is S.publishing and world.delivery(d).claimed_by == eng.worker_id
    eng._tx = real_tx
    del eng._settle  # the disk has room again
    clock.advance(seconds=5)
    eng.run_pass()  # the live worker's own stale claim: unknown, then reconciled
    clock.advance(seconds=10)
    eng.run_pass()
    assert world.delivery(d).state is S.published and len(world.ledger("Không ghi gì")) == 1
