"""A TikTok video sent to the creator's inbox is a draft, never "published": its own state,
counted apart in the report, reminded until the person posts it in the app (TikTok then says so,
and loa learns its link) or the officer dismisses it. Against the sandbox, where a draft is not
public (not in the ledger) until the person posts it."""
from __future__ import annotations

from content_queue import channels as ch_service
from content_queue import deliveries as D
from content_queue.errors import UserError
from content_queue.models import Campaign, DeliveryState
from tests.test_scheduler_engine import clock, reel, server, world  # noqa: F401 (fixtures)

S = DeliveryState


def _drafted(world, clock, reel, text: str):
    """A video queued to a TikTok channel that sends drafts to the inbox, nothing chosen (the
    person chooses in the app), and sent: ``(delivery id, engine, the pass that saw it settle)``."""
    world.add_channel("tiktok", "tiktok-doan")
    with world.sessions.begin() as s:
        ch_service.update_settings(s, s.get(Campaign, world.campaign_id), "tiktok-doan", {"mode": "inbox"})
    [d] = world.post(text, "tiktok", media=reel, variants={})
    eng = world.engine()
    eng.run_pass()
    clock.advance(seconds=10)
    return d, eng, eng.run_pass()


def test_a_draft_is_its_own_state_until_the_person_posts_it(world, clock, reel):  # noqa: F811
    d, eng, report = _drafted(world, clock, reel, "Video giới thiệu")
    got = world.delivery(d)
    assert got.state is S.in_inbox and got.published_at is None and report.in_inbox == 1
    assert world.sandbox.ledger == []  # a draft is not public
    [draft] = world.sandbox.drafts()
    # asked again later, still a draft: no second upload, no "published"
    clock.advance(seconds=eng.policy.inbox_every + 1)
    eng.run_pass()
    assert world.delivery(d).state is S.in_inbox and len(world.sandbox.drafts()) == 1
    with world.sessions() as s:
        campaign = s.get(Campaign, world.campaign_id)
        assert [r["id"] for r in D.status(s, campaign, clock(), str)["in_inbox"]] == [d]
        assert [r["id"] for r in D.overview(s, campaign, clock())["inbox"]] == [d]
        from content_queue.report import collect

        totals = collect(s, campaign, clock(), str)["totals"]
        assert totals["in_inbox"] == 1 and totals["published"] == 0  # counted apart, never as published
        from loa.notify import troubles

        [(key, line)] = troubles(s, campaign, clock())["inbox"]  # the e-mail reminder, once a day
        assert key.startswith(f"{d}:inbox:") and "waiting for you to post it in the app" in line
    post_id = world.sandbox.post_draft(draft["publish_id"], "MUTUAL_FOLLOW_FRIENDS")
    clock.advance(seconds=eng.policy.inbox_every + 1)
    eng.run_pass()
    got = world.delivery(d)
    assert got.state is S.published and got.remote_url.endswith(f"/video/{post_id}")
    [public] = world.sandbox.ledger  # public once, posted by the person (who wrote its caption in the app)
    assert str(public["remote_id"]) == str(post_id) and public["settings"]["posted_from"] == "inbox"


def test_a_draft_can_be_dismissed_but_not_sent_again(world, clock, reel):  # noqa: F811
    d, eng, _report = _drafted(world, clock, reel, "Bản nháp bỏ qua")
    assert world.delivery(d).state is S.in_inbox
    with world.sessions.begin() as s:
        campaign = s.get(Campaign, world.campaign_id)
        try:
            D.resolve(s, campaign, d, published_url=None)
            raise AssertionError("a draft was sent again")
        except UserError as exc:
            assert "--dismiss" in exc.fix
        D.dismiss_draft(s, campaign, d)
    assert world.delivery(d).state is S.cancelled
    clock.advance(seconds=eng.policy.inbox_every + 1)
    eng.run_pass()
    assert world.delivery(d).state is S.cancelled and len(world.sandbox.drafts()) == 1  # never uploaded again
