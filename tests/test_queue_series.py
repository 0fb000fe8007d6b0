"""Columns and queues with a driven clock, on SQLite and PostgreSQL: a two-month series over two
channels lands on exactly its slots up to the campaign's end, skipping and doubling nothing; a
19:00 slot stays at 19:00 local time across the end of summer time (Europe/Berlin); the queue
keeps its slots filled when reordered and when a post is cancelled; removing, pausing and
resuming a series; a quiz's answer never goes out before its quiz and moves with it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from content_queue.errors import UserError, ValidationFailed
from content_queue.models import Campaign, DeliveryState, Post
from tests.scheduler_helpers import Clock, make_world
from tests.test_scheduler_engine import server  # noqa: F401 (fixture)

S = DeliveryState
T0 = datetime(2026, 9, 30, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def world(db_url, tmp_path, server, clock):  # noqa: F811
    w = make_world(db_url, tmp_path, server, clock)
    w.add_channel("facebook", "fanpage")
    w.add_channel("zalo", "zalo-oa")
    yield w
    w.engine_db.dispose()


def set_campaign(w, **values):
    with w.sessions.begin() as s:
        c = s.get(Campaign, w.campaign_id)
        for k, v in values.items():
            setattr(c, k, v)


def expected_slots(tz: str, days: set[int], at: time, after: datetime, until: date) -> list[datetime]:
    """The slots worked out here, the plain way: every day, the weekday, the wall clock."""
    z, out, day = ZoneInfo(tz), [], after.astimezone(ZoneInfo(tz)).date()
    while day <= until:
        if day.weekday() in days:
            t = datetime.combine(day, at, tzinfo=z).astimezone(timezone.utc)
            if t > after:
                out.append(t)
        day += timedelta(days=1)
    return out


def entries_of(w, name):
    from content_queue import series as SE

    with w.sessions() as s:
        c = s.get(Campaign, w.campaign_id)
        found = SE.get_series(s, c, name)
        return [(p.series_number, p.title, sorted((d.channel.name, d.due_at, d.state) for d in p.deliveries))
                for p in SE.entries(s, found)]


def add_series(w, clock, n, **kw):
    from content_queue import series as SE

    items = [SE.Entry(text=f"Mẹo an toàn: điều số {i + 1} #khongmotminh") for i in range(n)]
    with w.sessions.begin() as s:
        c = s.get(Campaign, w.campaign_id)
        return SE.add_series(s, c, kw.pop("name", "Mẹo an toàn"), slots=kw.pop("slots", "tue,fri 19:00"),
                             to="fanpage,zalo-oa", title="Mẹo an toàn số {n}", items=items, media_dir=w.media_dir,
                             now=clock())


def test_a_two_month_series_over_two_channels_lands_on_exactly_its_slots_in_berlin_time(world, clock):
    set_campaign(world, timezone="Europe/Berlin", starts_on=date(2026, 10, 1), ends_on=date(2026, 11, 30))
    slots = expected_slots("Europe/Berlin", {1, 4}, time(19, 0), clock(), date(2026, 11, 30))
    assert len(slots) == 17  # Tuesdays and Fridays, 1 October to 30 November 2026
    with pytest.raises(ValidationFailed, match="no slot of the series is left"):  # one too many: nothing saved
        add_series(world, clock, len(slots) + 1)
    with world.sessions() as s:
        assert s.query(Post).count() == 0
    add_series(world, clock, len(slots))
    got = entries_of(world, "Mẹo an toàn")
    assert [n for n, _t, _d in got] == list(range(1, 18)) and got[2][1] == "Mẹo an toàn số 3"
    for (n, _title, deliveries), slot in zip(got, slots):
        assert [(ch, due) for ch, due, _st in deliveries] == [("fanpage", slot), ("zalo-oa", slot)]
    local = [slot.astimezone(ZoneInfo("Europe/Berlin")) for slot in slots]
    assert {t.time() for t in local} == {time(19, 0)}  # 19:00 on the wall clock, summer time or not
    assert {t.utcoffset() for t in local} == {timedelta(hours=2), timedelta(hours=1)}  # it did cross 25 October
    assert len({s for s in slots}) == len(slots)  # nothing doubled


def test_removing_pausing_and_resuming_a_series_keeps_its_slots_filled(world, clock):
    from content_queue import series as SE
    from content_queue.lifecycle import Action, Outcome, move

    set_campaign(world, ends_on=date(2026, 10, 31))
    slots = expected_slots("Asia/Ho_Chi_Minh", {1, 4}, time(19, 0), clock(), date(2026, 10, 31))
    add_series(world, clock, 6)
    with world.sessions.begin() as s:
        c = s.get(Campaign, world.campaign_id)
        SE.remove_entry(s, c, SE.get_series(s, c, "Mẹo an toàn"), 3, now=clock())
    got = entries_of(world, "Mẹo an toàn")
    assert [n for n, _t, _d in got] == [1, 2, 3, 4, 5]
    assert [d[0][1] for _n, _t, d in got] == slots[:5]  # the gap closed: the 6th slot is free again
    assert [t for _n, t, _d in got][2] == "Mẹo an toàn số 3"  # the old 4th, renumbered
    # the first entry goes out; the series is paused: nothing published moves, the rest is held
    with world.sessions.begin() as s:
        c = s.get(Campaign, world.campaign_id)
        first = SE.entries(s, SE.get_series(s, c, "Mẹo an toàn"))[0]
        for d in first.deliveries:
            move(s, d, S.publishing, action=Action.publish, outcome=Outcome.started, now=slots[0])
            move(s, d, S.published, action=Action.publish, outcome=Outcome.published, now=slots[0])
    clock.advance(days=8)
    with world.sessions.begin() as s:
        c = s.get(Campaign, world.campaign_id)
        assert SE.pause(s, c, SE.get_series(s, c, "Mẹo an toàn"), now=clock()) == 4
    got = entries_of(world, "Mẹo an toàn")
    assert {st for _ch, _due, st in got[0][2]} == {S.published}
    assert all(st is S.cancelled for _n, _t, d in got[1:] for _ch, _due, st in d)
    with world.sessions.begin() as s:
        c = s.get(Campaign, world.campaign_id)
        assert SE.resume(s, c, SE.get_series(s, c, "Mẹo an toàn"), now=clock()) == 4
    got = entries_of(world, "Mẹo an toàn")
    later = [t for t in slots if t > clock()]
    assert [d[0][1] for _n, _t, d in got[1:]] == later[:4]  # back, in order, on the next free slots
    assert all(st is S.retry_wait for _n, _t, d in got[1:] for _ch, _due, st in d)


def test_the_series_says_a_week_ahead_when_its_entries_run_out(world, clock):
    from content_queue import series as SE

    set_campaign(world, ends_on=date(2026, 11, 30))
    add_series(world, clock, 2)
    with world.sessions() as s:
        warned = SE.running_out(s, s.get(Campaign, world.campaign_id), clock(), str)
    assert len(warned) == 1 and warned[0]["slots_left"] > 10 and "Mẹo an toàn" in warned[0]["said"]
    add_series(world, clock, 9, name="Hỏi đáp", slots="mon 08:00")  # every Monday to 30 November
    with world.sessions() as s:
        names = [x["series"] for x in SE.running_out(s, s.get(Campaign, world.campaign_id), clock(), str)]
    assert names == ["Mẹo an toàn"]  # the other one has an entry on each of its slots to the end


def queued_times(w):
    from content_queue import queue as Q

    with w.sessions() as s:
        c = s.get(Campaign, w.campaign_id)
        rows = Q.queued(s, c, now=w.clock())
        return {ch: [(d.post_id, d.due_at) for d in rows if d.channel.name == ch] for ch in ("fanpage", "zalo-oa")}


def test_the_queue_keeps_its_slots_filled_when_reordered_and_when_a_post_is_cancelled(world, clock):
    from content_queue import posts as P
    from content_queue import queue as Q
    from content_queue.channels import get_channel

    set_campaign(world, ends_on=date(2026, 12, 31))
    with world.sessions.begin() as s:
        c = s.get(Campaign, world.campaign_id)
        Q.set_slots(s, c, get_channel(s, c, "fanpage"), "mon,wed 09:00")
        Q.set_slots(s, c, get_channel(s, c, "zalo-oa"), "t3 9h")
    fb = expected_slots("Asia/Ho_Chi_Minh", {0, 2}, time(9, 0), clock(), date(2026, 12, 31))
    zl = expected_slots("Asia/Ho_Chi_Minh", {1}, time(9, 0), clock(), date(2026, 12, 31))
    ids = []
    for i in range(4):
        with world.sessions.begin() as s:
            c = s.get(Campaign, world.campaign_id)
            post, _w = P.add_post(s, c, P.PostInput(text=f"Bài xếp hàng {i + 1}", to="fanpage,zalo-oa",
                                                    next_slot=True), media_dir=world.media_dir, now=clock())
            ids.append(post.id)
    assert queued_times(world) == {"fanpage": list(zip(ids, fb[:4])), "zalo-oa": list(zip(ids, zl[:4]))}
    with world.sessions.begin() as s:
        Q.move_before(s, s.get(Campaign, world.campaign_id), ids[3], ids[1], now=clock())
    order = [ids[0], ids[3], ids[1], ids[2]]
    assert queued_times(world) == {"fanpage": list(zip(order, fb[:4])), "zalo-oa": list(zip(order, zl[:4]))}
    with world.sessions.begin() as s:
        P.cancel_post(s, s.get(Campaign, world.campaign_id), ids[0], now=clock())
    order = order[1:]
    assert queued_times(world) == {"fanpage": list(zip(order, fb[:3])), "zalo-oa": list(zip(order, zl[:3]))}
    with world.sessions.begin() as s:  # the next one takes the first free slot: the 4th
        c = s.get(Campaign, world.campaign_id)
        P.add_post(s, c, P.PostInput(text="Bài mới", to="fanpage", at="slot"), media_dir=world.media_dir,
                   now=clock())
    assert [t for _p, t in queued_times(world)["fanpage"]] == fb[:4]
    with world.sessions.begin() as s:  # a channel without slots is refused before anything is saved
        c = s.get(Campaign, world.campaign_id)
        Q.set_slots(s, c, get_channel(s, c, "zalo-oa"), "")
        with pytest.raises(ValidationFailed, match="no posting slots"):
            P.add_post(s, c, P.PostInput(text="x", to="fanpage,zalo-oa", next_slot=True), media_dir=world.media_dir,
                       now=clock())
    with pytest.raises(UserError):
        from content_queue.slots import parse

        parse("thu2 19:00")


def test_a_quiz_s_answer_never_goes_out_before_it_and_moves_with_it_when_it_is_late(world, clock):
    from content_queue import quiz as QA
    from content_queue import posts as P

    set_campaign(world, grace_minutes=3000)
    quiz_at = clock() + timedelta(hours=2)
    with world.sessions.begin() as s:
        c = s.get(Campaign, world.campaign_id)
        quiz, answer, _w = QA.add_quiz(s, c, P.PostInput(text="Minigame: người lạ xin mã OTP, em làm gì?",
                                                         to="fanpage,zalo-oa", at=quiz_at),
                                       "Đáp án: không bao giờ đưa mã OTP cho ai.", after=86400,
                                       media_dir=world.media_dir, now=clock())
        quiz_id, answer_id = quiz.id, answer.id
    clock.advance(hours=2 + 24 + 1)  # loa was off: both are due, the quiz 25 hours late
    engine = world.engine()
    for _ in range(4):
        engine.run_pass()
        clock.advance(seconds=10)

    def deliveries(post_id):
        with world.sessions() as s:
            return {d.channel.name: d for d in s.get(Post, post_id).deliveries}

    q, a = deliveries(quiz_id), deliveries(answer_id)
    assert {d.state for d in q.values()} == {S.published}
    assert {d.state for d in a.values()} == {S.scheduled}  # held while the quiz was not out, then moved
    for ch in q:
        assert a[ch].due_at >= q[ch].published_at + timedelta(days=1)
    clock.advance(days=1, minutes=5)
    for _ in range(4):
        engine.run_pass()
        clock.advance(seconds=10)
    a = deliveries(answer_id)
    assert {d.state for d in a.values()} == {S.published}
    for ch in q:
        assert a[ch].published_at >= q[ch].published_at + timedelta(days=1)
    assert len(world.ledger("Đáp án")) == 2 and len(world.ledger("Minigame")) == 2
    with world.sessions.begin() as s:  # an answer time before the quiz is refused at queue time
        c = s.get(Campaign, world.campaign_id)
        with pytest.raises(ValidationFailed, match="before its quiz"):
            QA.add_quiz(s, c, P.PostInput(text="Câu hỏi 2", to="fanpage", at=clock() + timedelta(days=2)),
                        "Đáp án 2", answer_at=(clock() + timedelta(days=1)).astimezone(ZoneInfo(c.timezone))
                        .strftime("%Y-%m-%d %H:%M"), media_dir=world.media_dir, now=clock())
