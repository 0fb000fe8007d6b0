"""Exactly once, down to the reads: one contract over the three connectors, through the engine.

Each case loses the answer of the call that publishes (the connection drops after the platform
made the post), then strikes one of the reads that reconciliation or follow-up rely on with a
5xx, a 429, a timeout or a dropped connection. Whatever the read meets, the engine must never make
a second publishing call: the post ends published exactly once on the sandbox's ledger (or, where
the platform cannot tell, visibly unknown or needing attention). The sandbox finishes its work on
its own clock, as the platforms do, and every injected fault is checked to have fired.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sandbox import Sandbox, SandboxServer
from content_queue.models import Attempt, DeliveryState
from tests.conftest import make_video
from tests.scheduler_helpers import Clock, make_world

S = DeliveryState

# case: (platform, the call that publishes and its method, the reads used once its answer is lost,
# each with its method). "{page}" is the Facebook Page's id.
CASES = {
    "facebook-feed": ("facebook", ("graph.facebook.com/v26.0/{page}/feed", "POST"),
                      [("published_posts", "GET")]),
    "facebook-reel": ("facebook", ("graph.facebook.com/v26.0/{page}/video_reels", "POST"),
                      [("graph.facebook.com/v26.0/", "GET")]),  # the video's status (its id is not known yet)
    "facebook-handoff": ("facebook", ("graph.facebook.com/v26.0/{page}/feed", "POST"),
                         [("published_posts", "GET"), ("scheduled_posts", "GET"),
                          ("graph.facebook.com/v26.0/{page}_", "GET")]),  # the scheduled post, followed
    # the lost create is looked for in getslice, the article's link read on getdetail
    "zalo-article": ("zalo", ("article/create", "POST"), [("article/getslice", "GET"), ("article/getdetail", "GET"),
                                                          ("article/verify", "POST")]),
    "zalo-video": ("zalo", ("article/create", "POST"), [("article/getslice", "GET"), ("article/getdetail", "GET"),
                                                        ("article/verify", "POST"), ("upload_video/verify", "GET")]),
    "tiktok-video": ("tiktok", ("open-upload", "PUT"), [("status/fetch", "POST")]),
}
READ_FAULTS = ["5xx", "429", "timeout_after", "drop_after"]
# the call each case makes once per publishing attempt (a Reel's upload, not its start)
PUBLISHING = {"facebook-feed": "/feed", "facebook-handoff": "/feed", "facebook-reel": "/video-upload/",
              "zalo-article": "/article/create", "zalo-video": "/article/create", "tiktok-video": "/video/init/"}

def _params():
    for case, (_, _, reads) in CASES.items():
        for read, method in reads:
            name = read.replace("graph.facebook.com/v26.0/", "").replace("{page}_", "post").strip("/") or "video"
            name = name.replace("/", "-")
            for fault in READ_FAULTS:
                yield pytest.param(case, read, method, fault, id=f"{case}-{name}-{fault}")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def world(tmp_path, clock):
    sb = Sandbox(processing_seconds=20.0, clock=clock.ts)  # processing takes 20 s of the platform's time
    sb.faults.delay = 1.5
    with SandboxServer(sb) as server:
        w = make_world(f"sqlite:///{tmp_path / 'loa.db'}", tmp_path, server, clock)
        yield w
        w.engine_db.dispose()


@pytest.fixture(scope="module")
def reel(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("m") / "reel.mp4", size="540x960", seconds=4)


def publishing_calls(sb: Sandbox, case: str) -> list[dict]:
    """Calls that start or make a post, one per publishing attempt."""
    with sb.lock:
        return [c for c in sb.calls if c["method"] == "POST" and PUBLISHING[case] in c["path"]]


@pytest.mark.parametrize("case,read,method,fault", list(_params()))
def test_a_failed_read_never_becomes_a_second_post(world, clock, reel, case, read, method, fault):
    platform, (publish_call, publish_method), _ = CASES[case]
    sb = world.sandbox
    world.add_channel(platform, platform)
    page = next(iter(sb.fb_pages)) if platform == "facebook" else ""
    text = f"Đọc lỗi {case} {read} {fault}"
    media = reel if case in ("facebook-reel", "zalo-video", "tiktok-video") else None
    handoff = case == "facebook-handoff"
    at = clock() + timedelta(hours=1) if handoff else None
    [d] = world.post(text, platform, media=media, at=at, **({"facebook_handoff": True} if handoff else {}))

    lost, target = publish_call.format(page=page), read.format(page=page)
    sb.queue_fault("drop_after", lost, method=publish_method)  # the platform made the post; its answer is lost
    sb.queue_fault(fault, target, reads=True, method=method)  # and the next such read fails
    eng = world.engine()
    if handoff:
        eng.hand_off()
    for _ in range(40):
        eng.run_pass()
        if world.delivery(d).state in (S.published, S.needs_attention, S.failed):
            break
        clock.advance(seconds=31)
    if handoff:
        clock.advance(hours=1, minutes=1)  # Facebook publishes it on its own clock
        for _ in range(3):
            eng.run_pass()
            clock.advance(seconds=31)

    assert sb.fired(lost, "drop_after", publish_method), "the publishing call's answer was never lost"
    assert len(sb.fired(target, fault, method)) == 1, f"the {fault} on {target} never fired: the case does not use that read"
    assert len(publishing_calls(sb, case)) == 1, "a second publishing call was made"
    assert sb.duplicates() == []
    with world.sessions() as s:
        outcomes = [a.outcome for a in s.scalars(select(Attempt).where(Attempt.delivery_id == d))]
    assert "unknown" in outcomes, outcomes  # it went through "unknown" and the platform was asked
    got = world.delivery(d)
    assert got.state is S.published, (got.state, got.last_error, outcomes)
    assert len(world.ledger(text)) == 1
