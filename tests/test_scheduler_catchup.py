"""Missed, retried and paced: decided from the time and the officer's request, never a counter."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sandbox import Sandbox, SandboxServer
from content_queue import deliveries as D
from content_queue.models import Attempt, Campaign, DeliveryState
from scheduler.runner import Runner
from tests.scheduler_helpers import Clock, make_world

S = DeliveryState


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def world(db_url, tmp_path, clock):
    with SandboxServer(Sandbox(processing_seconds=1.0, clock=clock.ts)) as server:
        w = make_world(db_url, tmp_path, server, clock)
        yield w
        w.engine_db.dispose()


def _attempts(world, delivery_id: int) -> list[Attempt]:
    with world.sessions() as s:
        rows = list(s.scalars(select(Attempt).where(Attempt.delivery_id == delivery_id).order_by(Attempt.id)))
        s.expunge_all()
        return rows


class DrivenClock:
    """Runner's clock interface over the test's driven clock: waiting moves time on."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def __call__(self):
        return self.clock()

    def real_seconds_until(self, when) -> float:
        ahead = (when - self.clock()).total_seconds()
        if ahead > 0:
            self.clock.advance(seconds=ahead)
        return 0.0


def test_retry_all_failed_sends_every_missed_post(world, clock):
    """Three posts missed while loa was off, `loa retry --all-failed`, `loa run --until-idle`:
    all three go out (before: one did, the other two were paced and marked missed again)."""
    world.add_channel("facebook", "fanpage")
    ids = [world.post(f"Bỏ lỡ {i}", "facebook", at=clock() + timedelta(minutes=i))[0] for i in range(3)]
    clock.advance(hours=5)
    eng = world.engine()
    eng.run_pass()
    assert [world.delivery(i).state for i in ids] == [S.missed] * 3
    with world.sessions.begin() as s:
        assert len(D.retry(s, s.get(Campaign, world.campaign_id), [], all_failed=True, now=clock())) == 3
    report = Runner(eng, DrivenClock(clock), echo=lambda m: None).until_idle(timeout=30)
    assert [world.delivery(i).state for i in ids] == [S.published] * 3, [world.delivery(i).last_error for i in ids]
    assert report.missed == 0 and eng.idle()
    for i in ids:  # an ordinary retry is not a backlog: never paced, never missed again
        actions = [a.action for a in _attempts(world, i)]
        assert actions.count("miss") == 1 and "release" not in actions, actions
    assert len(world.ledger("Bỏ lỡ")) == 3


def test_posts_due_while_a_worker_runs_are_not_paced_as_a_backlog(world, clock):
    """22 posts queued "now", `loa run` started a minute later and running throughout: none is
    paced as "missed while loa was off", however long the run takes."""
    world.add_channel("facebook", "fanpage")
    ids = [world.post(f"Ngay {i}", "facebook")[0] for i in range(22)]
    clock.advance(minutes=1)

    def slow_line(message: str) -> None:  # each publish takes 10 s of campaign time
        if message.endswith(("published", "processing")) or " published " in message:
            clock.advance(seconds=10)

    eng = world.engine(on_event=slow_line)
    Runner(eng, DrivenClock(clock), echo=lambda m: None).until_idle(timeout=30)
    assert [world.delivery(i).state for i in ids] == [S.published] * 22
    paced = [a for i in ids for a in _attempts(world, i) if a.action == "release"]
    assert paced == [], [a.detail for a in paced]


def test_until_idle_waits_for_a_paced_backlog(world, clock):
    world.add_channel("facebook", "fanpage")
    ids = [world.post(f"Tồn {i}", "facebook", at=clock() + timedelta(minutes=i))[0] for i in range(3)]
    clock.advance(minutes=30)  # nothing ran: a backlog, within the grace window
    eng = world.engine()
    eng.run_pass()
    states = [world.delivery(i).state for i in ids]
    assert states.count(S.published) == 1 and states.count(S.scheduled) == 2
    assert not eng.idle()  # due and held back by the pacing: not idle
    waiting = [world.delivery(i) for i in ids if world.delivery(i).state is S.scheduled]
    assert all("catching up" in d.preflight for d in waiting)  # the reason shown is the true one
    Runner(eng, DrivenClock(clock), echo=lambda m: None).until_idle(timeout=30)
    assert [world.delivery(i).state for i in ids] == [S.published] * 3 and eng.idle()
