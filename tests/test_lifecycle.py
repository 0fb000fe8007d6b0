"""One state machine: the table of allowed moves, the one function that makes them, and proof
that the engine and the officer's commands move deliveries through it and nothing else."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from sandbox import Sandbox, SandboxServer
from content_queue import deliveries as D
from content_queue import lifecycle
from content_queue.lifecycle import TRANSITIONS, WAITING, Action, IllegalMove, Outcome, move
from content_queue.models import Attempt, Campaign, Delivery, DeliveryState
from tests.scheduler_helpers import Clock, make_world

S = DeliveryState
ROOT = Path(__file__).resolve().parents[1]


def test_the_table_covers_every_state_and_claims_follow_it():
    assert set(TRANSITIONS) == set(S)
    assert all(to in S for targets in TRANSITIONS.values() for to in targets)
    assert TRANSITIONS[S.published] == frozenset()  # published is final
    assert all(S.publishing in TRANSITIONS[w] for w in WAITING)  # the claim's move is in the table
    for frm in S:
        for to in S:
            assert lifecycle.allowed(frm, to) == (to in TRANSITIONS[frm])


def test_only_the_lifecycle_sets_a_delivery_state():
    """No module assigns ``.state`` of a delivery but the lifecycle (the claims set it in their one
    conditional UPDATE, from the table's claimable states)."""
    offenders = []
    for pkg in ("content_queue", "scheduler", "recap", "loa"):
        for path in (ROOT / pkg).rglob("*.py"):
            if path.name == "lifecycle.py":
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"^\s*[\w.]+\.state\s*(,[^=]*)?=(?!=)", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def world(tmp_path, clock):
    with SandboxServer(Sandbox(processing_seconds=1.0, clock=clock.ts)) as server:
        server.sandbox.faults.delay = 1.5
        w = make_world(f"sqlite:///{tmp_path / 'loa.db'}", tmp_path, server, clock)
        yield w
        w.engine_db.dispose()


def test_an_illegal_move_raises_and_changes_nothing(world, clock):
    world.add_channel("facebook", "fanpage")
    [d] = world.post("Đã đăng", "facebook")
    world.engine().run_pass()
    with world.sessions.begin() as s:
        row = s.get(Delivery, d)
        assert row.state is S.published
        with pytest.raises(IllegalMove, match="published -> publishing"):
            move(s, row, S.publishing, action=Action.publish, outcome=Outcome.started)
        assert row.state is S.published


def test_every_move_the_engine_and_the_officer_make_is_in_the_table(world, clock, monkeypatch):
    """Drive deliveries down every path (published, retried, failed, unknown and reconciled,
    missed, retried by the officer, resolved, cancelled), recording each move: each is in the
    table, and each appended an Attempt."""
    seen: list[tuple[S, S]] = []
    real = lifecycle.move

    def recording(s, d, to, **kw):
        seen.append((d.state, to))
        return real(s, d, to, **kw)

    for mod in ("content_queue.lifecycle", "content_queue.deliveries", "content_queue.posts",
                "content_queue.channels"):
        monkeypatch.setattr(f"{mod}.move", recording, raising=False)
    world.add_channel("facebook", "fanpage")
    sb = world.sandbox
    eng = world.engine()
    sb.queue_fault("5xx", "feed")  # the first post meets a 5xx (retried), the second a lost answer
    sb.queue_fault("timeout_after", "feed")
    [retry] = world.post("Thử lại", "facebook")
    [lost] = world.post("Mất câu trả lời", "facebook")
    [ok] = world.post("Bình thường", "facebook")
    for _ in range(6):
        eng.run_pass()
        clock.advance(minutes=3)
    [old] = world.post("Quá giờ", "facebook", at=clock() + timedelta(minutes=1))
    [cancel] = world.post("Huỷ", "facebook", at=clock() + timedelta(days=2))
    clock.advance(hours=3)  # "Quá giờ" falls due while nothing runs, past the grace window
    eng = world.engine()
    eng.run_pass()
    assert world.delivery(old).state is S.missed
    [later] = world.post("Sau đó", "facebook")
    with world.sessions.begin() as s:
        campaign = s.get(Campaign, world.campaign_id)
        D.retry(s, campaign, [old], now=clock())
        from content_queue.posts import cancel_post

        cancel_post(s, campaign, s.get(Delivery, cancel).post_id)
    for _ in range(3):
        eng.run_pass()
        clock.advance(minutes=3)
    states = {i: world.delivery(i).state for i in (ok, retry, lost, old, cancel, later)}
    assert states[cancel] is S.cancelled and states[old] is S.published
    assert all(st is S.published for i, st in states.items() if i != cancel), states
    assert seen and all(lifecycle.allowed(a, b) for a, b in seen)
    kinds = set(seen)
    assert {(S.scheduled, S.missed), (S.missed, S.retry_wait), (S.publishing, S.published),
            (S.scheduled, S.cancelled)} <= kinds, kinds
    assert any(b is S.unknown for _, b in kinds) and any(a is S.unknown for a, _ in kinds)
    with world.sessions() as s:
        actions = {a.action for a in s.query(Attempt)}
    assert {"publish", "miss", "retry", "cancel", "reconcile"} <= actions


def test_following_a_post_up_is_not_counted_as_publishing_it(world, clock, tmp_path):
    """The budgets count publishing attempts (TikTok allows 6 a minute): the follow-up that finds a
    Reel published is recorded as a follow-up, not a publish."""
    from tests.conftest import make_video

    world.add_channel("facebook", "fanpage")
    [d] = world.post("Reel theo dõi", "facebook", media=make_video(tmp_path / "r.mp4", size="540x960", seconds=4))
    eng = world.engine()
    eng.run_pass()
    assert world.delivery(d).state is S.processing
    clock.advance(seconds=6)
    eng.run_pass()
    assert world.delivery(d).state is S.published
    with world.sessions() as s:
        actions = [a.action for a in s.query(Attempt).filter_by(delivery_id=d).order_by(Attempt.id)]
    assert actions == ["publish", "follow"], actions
