"""A published item's numbers, read by each connector from the platform's documented answers
(mocked with responses): Facebook asks metric by metric, the replacement name first and the
deprecated one after a code 100, a permission refused or a Page without numbers each said as
such; TikTok's video/query by the post id given after moderation, "in review" before it, the
missing video.list scope said; Zalo's listing fields where present. A number not given is
unavailable with its reason, never 0."""
from __future__ import annotations

import json

import pytest
import responses
from responses import matchers

from connectors.facebook import FacebookConnector
from connectors.insights import METRICS, REASONS
from connectors.tiktok import TikTokConnector
from connectors.zalo import ZaloConnector
from tests.connector_helpers import http

G = "https://graph.facebook.com/v26.0"
PAGE, POST, TOKEN = "1001", "1001_77", "EAAB-page-token-very-secret"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def fb() -> FacebookConnector:
    return FacebookConnector({"page_id": PAGE, "access_token": TOKEN}, http=http())


def insight(name, value):
    return {"json": {"data": [{"name": name, "period": "lifetime", "values": [{"value": value}]}]}}


def code(n, message="Invalid metric", status=400):
    return {"json": {"error": {"message": message, "type": "OAuthException", "code": n}}, "status": status}


def metric(name):
    return [matchers.query_param_matcher({"metric": name, "access_token": TOKEN})]


def counts(rsps, reactions=12, comments=3, shares=None):
    body = {"id": POST, "reactions": {"data": [], "summary": {"total_count": reactions}},
            "comments": {"data": [], "summary": {"total_count": comments}}}
    if shares is not None:
        body["shares"] = {"count": shares}
    rsps.get(f"{G}/{POST}", json=body)


def test_facebook_asks_only_the_metrics_meta_still_has(rsps):
    """post_impressions* were removed on 15 June 2026: no fallback to them, one call per metric."""
    rsps.get(f"{G}/{POST}/insights", **insight("post_media_view", 540), match=metric("post_media_view"))
    rsps.get(f"{G}/{POST}/insights", **insight("post_total_media_view_unique", 410),
             match=metric("post_total_media_view_unique"))
    counts(rsps, shares=4)
    n = fb().numbers(POST, {"route": "feed", "post_id": POST})
    assert n.value("views") == 540 and n.readings["views"].source == "post_media_view"
    assert n.value("reach") == 410 and n.readings["reach"].source == "post_total_media_view_unique"
    assert (n.value("reactions"), n.value("comments"), n.value("shares")) == (12, 3, 4)
    assert n.value("plays") is None and n.readings["plays"].reason == "not_offered"
    asked = [c.request.params.get("metric") for c in rsps.calls if "/insights" in c.request.url]
    assert asked == ["post_media_view", "post_total_media_view_unique"]


def test_a_video_s_counts_are_read_on_its_post_never_with_shares_on_the_video(rsps):
    """A Video node has no shares field: the counts are asked on the video's post_id."""
    video = "777"
    rsps.get(f"{G}/{video}", json={"id": video, "post_id": POST},
             match=[matchers.query_param_matcher({"fields": "post_id"}, strict_match=False)])
    rsps.get(f"{G}/{video}/video_insights", json={"data": []})
    counts(rsps, shares=6)
    n = fb().numbers(video, {"route": "video", "video_id": video})
    assert (n.value("reactions"), n.value("comments"), n.value("shares")) == (12, 3, 6)
    on_video = [c.request for c in rsps.calls if c.request.url.split("?")[0].endswith(f"/{video}")]
    assert all("shares" not in (r.params.get("fields") or "") for r in on_video)


def test_facebook_says_retired_permission_and_no_numbers_never_zero(rsps):
    rsps.get(f"{G}/{POST}/insights", **code(100), match=metric("post_media_view"))
    rsps.get(f"{G}/{POST}/insights", json={"data": []}, match=metric("post_total_media_view_unique"))
    counts(rsps)  # no "shares": Facebook's answer did not say
    n = fb().numbers(POST, {"route": "feed", "post_id": POST})
    assert n.readings["views"].reason == "retired" and n.value("views") is None
    assert n.readings["reach"].reason == "small_page"
    assert n.readings["shares"].reason == "field_missing" and n.value("shares") is None
    assert set(n.readings) == set(METRICS) and all(r.reason in REASONS for r in n.readings.values() if not r.available)
    rsps.reset()
    for name in ("post_media_view", "post_total_media_view_unique"):
        rsps.get(f"{G}/{POST}/insights", **code(10, "(#10) Requires read_insights permission", 403),
                 match=metric(name))
    rsps.get(f"{G}/{POST}", **code(200, "(#200) Permissions error", 403))
    n = fb().numbers(POST, {"route": "feed", "post_id": POST})
    assert {n.readings[m].reason for m in ("views", "reach", "reactions", "comments", "shares")} == {"permission"}


def test_facebook_reel_and_page_video_numbers_come_from_video_insights(rsps):
    rsps.get(f"{G}/555/video_insights", **insight("blue_reels_play_count", 900), match=metric("blue_reels_play_count"))
    rsps.get(f"{G}/555/video_insights", **insight("post_impressions_unique", 700),
             match=metric("post_impressions_unique"))
    rsps.get(f"{G}/555/video_insights", **insight("post_video_avg_time_watched", 6400),
             match=metric("post_video_avg_time_watched"))
    rsps.get(f"{G}/555", json={"id": "555", "post_id": "1001_555"},
             match=[matchers.query_param_matcher({"fields": "post_id"}, strict_match=False)])
    rsps.get(f"{G}/1001_555", json={"id": "1001_555", "comments": {"summary": {"total_count": 2}}})
    n = fb().numbers("555", {"route": "reel", "video_id": "555"})
    assert (n.value("plays"), n.value("reach"), n.value("avg_watch_seconds")) == (900, 700, 6.4)
    assert n.value("views") == 900 and n.readings["views"].source == "blue_reels_play_count"
    assert n.value("comments") == 2 and n.readings["reactions"].reason == "field_missing"


def tt() -> TikTokConnector:
    return TikTokConnector({"client_key": "ck", "client_secret": "cs-secret-123", "open_id": "o1",
                            "access_token": "act.secret-access-1", "refresh_token": "rft.secret-refresh-1"},
                           http=http())


TT = "https://open.tiktokapis.com/v2/video/query/"


STATUS = "https://open.tiktokapis.com/v2/post/publish/status/fetch/"


def status(*ids):
    return {"json": {"data": {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": list(ids)},
                     "error": {"code": "ok", "message": ""}}}


def test_tiktok_reads_by_the_post_id_and_says_in_review_before_it(rsps):
    """Until moderation gives the public id (the publish status's list is empty) the numbers are
    "in review" and the video is not asked for; once the status has it, the id and the public link
    are learnt (the engine keeps them) and the counts are read by it."""
    in_review = rsps.post(STATUS, **status(), match=[matchers.json_params_matcher({"publish_id": "v_pub_1"})])
    n = tt().numbers("v_pub_1", {"publish_id": "v_pub_1", "creator_username": "conganxa"})
    assert {n.readings[m].reason for m in ("views", "reactions", "comments", "shares")} == {"in_review"}
    assert in_review.call_count == 1 and not n.learned
    assert not [c for c in rsps.calls if c.request.url.startswith(TT)]  # no video asked before its id
    rsps.remove(in_review)
    rsps.post(STATUS, **status(7300))
    rsps.post(TT, json={"data": {"videos": [{"id": "7300", "view_count": 1500, "like_count": 90,
                                             "comment_count": 7, "share_count": 11}]},
                        "error": {"code": "ok", "message": ""}},
              match=[matchers.json_params_matcher({"filters": {"video_ids": ["7300"]}})])
    n = tt().numbers("v_pub_1", {"publish_id": "v_pub_1", "creator_username": "conganxa"})
    assert n.learned == {"post_id": "7300", "url": "https://www.tiktok.com/@conganxa/video/7300"}
    assert (n.value("views"), n.value("reactions"), n.value("comments"), n.value("shares")) == (1500, 90, 7, 11)
    asked = len(rsps.calls)
    n = tt().numbers("7300", {"publish_id": "v_pub_1", "post_id": "7300"})  # known: the video alone is asked
    assert n.value("views") == 1500 and len(rsps.calls) == asked + 1
    assert "fields=id,view_count,like_count,comment_count,share_count" in rsps.calls[-1].request.url


def test_tiktok_without_the_video_list_scope_says_so(rsps):
    rsps.post(TT, status=401, json={"data": {}, "error": {"code": "scope_not_authorized",
                                                          "message": "The user did not authorize the scope"}})
    n = tt().numbers("7300", {"post_id": "7300"})
    assert {n.readings[m].reason for m in ("views", "reactions", "comments", "shares")} == {"permission"}


def zl() -> ZaloConnector:
    return ZaloConnector({"oa_id": "2002", "app_id": "3003", "app_secret": "zalo-app-secret-2",
                          "access_token": "zalo-access-secret-3", "refresh_token": "zalo-refresh-secret-4"},
                         {"cover_url": "https://example.org/bia.jpg"}, http=http(), sleep=lambda s: None)


def test_zalo_gives_views_and_shares_where_the_article_s_page_has_them(rsps):
    """Read on one article (getdetail), not from a listing: a listing page holds only ten."""
    detail = "https://openapi.zalo.me/v2.0/article/getdetail"
    rsps.get(detail, json={"error": 0, "message": "Success", "data": {
        "id": "a1", "title": "Không một mình", "total_view": 320, "total_share": 5}},
        match=[matchers.query_param_matcher({"id": "a1"})])
    rsps.get(detail, json={"error": 0, "message": "Success", "data": {"id": "a2", "title": "Bài khác"}},
             match=[matchers.query_param_matcher({"id": "a2"})])
    rsps.get(detail, json={"error": -201, "message": "id is not valid"}, match=[matchers.query_param_matcher({"id": "a9"})])
    n = zl().numbers("a1", {"route": "normal"})
    assert (n.value("views"), n.value("shares")) == (320, 5)
    assert n.readings["reach"].reason == "not_offered" and n.readings["reactions"].reason == "not_offered"
    n = zl().numbers("a2", {"route": "normal"})
    assert n.readings["views"].reason == "field_missing" and n.value("views") is None
    n = zl().numbers("a9", {"route": "normal"})
    assert n.readings["views"].reason == "not_found"
    assert json.dumps([r.reason for r in n.readings.values()])  # plain data: stored as it is


def test_the_reading_schedule_early_then_daily_until_two_weeks_after_the_end():
    from datetime import date, datetime, timedelta, timezone

    from scheduler.insights import next_reading

    pub = datetime(2025, 10, 20, 8, 0, tzinfo=timezone.utc)
    assert next_reading(pub, None, None) == pub + timedelta(hours=2)
    assert next_reading(pub, pub + timedelta(hours=2), None) == pub + timedelta(hours=12)
    assert next_reading(pub, pub + timedelta(days=3), None) == pub + timedelta(days=4)  # daily after three days
    assert next_reading(pub, pub + timedelta(days=10), date(2025, 11, 30)) == pub + timedelta(days=11)
    assert next_reading(pub, datetime(2025, 12, 14, tzinfo=timezone.utc), date(2025, 11, 30)) is None


def test_the_engine_stores_each_reading_and_a_failed_read_never_touches_the_delivery(loa, channels, rsps):
    """Numbers read through the engine (as `loa insights refresh` and `loa run` do) are stored as
    dated rows, one per metric; the report shows them, and "unavailable" with the reason."""
    import json as j
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import select

    from content_queue.models import Delivery, DeliveryState, Reading
    from content_queue.store import transaction
    from loa import settings
    from scheduler.engine import Engine

    soon = (datetime.now(timezone.utc) + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M")
    assert loa("post", "add", "--text", "Đừng một mình", "--at", soon, "--to", "fanpage,zalo-oa").exit_code == 0
    folder = settings.find(loa.folder)
    with transaction(folder.sessions) as s:
        for d in s.scalars(select(Delivery)):
            d.state, d.published_at = DeliveryState.published, datetime.now(timezone.utc)
            d.remote_id = POST if d.channel.name == "fanpage" else "a1"
            d.remote_state = {"route": "feed", "post_id": POST} if d.remote_id == POST else {"route": "normal"}
            d.remote_url = "https://www.facebook.com/1001/posts/77" if d.remote_id == POST else "https://zalo.me/a1"
    rsps.get(f"{G}/{POST}/insights", **insight("post_media_view", 540), match=[
        matchers.query_param_matcher({"metric": "post_media_view"}, strict_match=False)])
    rsps.get(f"{G}/{POST}/insights", json={"data": []}, match=[
        matchers.query_param_matcher({"metric": "post_total_media_view_unique"}, strict_match=False)])
    counts(rsps, shares=2)
    rsps.get("https://openapi.zalo.me/v2.0/article/getdetail", status=500, json={"error": -1, "message": "busy"})
    engine = Engine(folder.sessions, media_dir=folder.media_dir, http=http())
    got = engine.read_numbers()
    assert got["read"] >= 4 and got["unavailable"] >= 1
    with folder.sessions() as s:
        rows = {(r.delivery_id, r.metric): r for r in s.scalars(select(Reading))}
        states = {d.state for d in s.scalars(select(Delivery))}
    assert states == {DeliveryState.published}  # a failed read changes nothing
    fb_id = next(k[0] for k, r in rows.items() if r.source == "post_media_view")
    assert rows[(fb_id, "views")].value == 540 and rows[(fb_id, "reach")].reason == "small_page"
    tt_id = next(k[0] for k in rows if k[0] != fb_id)
    assert rows[(tt_id, "views")].value is None and rows[(tt_id, "views")].reason == "not_read"
    report = j.loads(loa("report", "--format", "json").output)
    assert report["reach"]["total"]["views"] == 540 and report["reach"]["total"]["shares"] == 2
    text = loa("report").output
    assert "views 540" in text and "unavailable" in text
    assert loa("insights", "refresh", "--json").exit_code == 0  # the command, against nothing reachable here


def published_posts(loa, n_facebook: int):
    """``n_facebook`` posts published to the Page and one to the Zalo OA, straight in the store."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import select

    from content_queue.models import Delivery, DeliveryState
    from content_queue.store import transaction
    from loa import settings

    soon = (datetime.now(timezone.utc) + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M")
    for i in range(n_facebook):
        assert loa("post", "add", "--text", f"Mẹo an toàn {i + 1}", "--at", soon, "--to", "fanpage").exit_code == 0
    assert loa("post", "add", "--text", "Đừng một mình", "--at", soon, "--to", "zalo-oa").exit_code == 0
    folder = settings.find(loa.folder)
    with transaction(folder.sessions) as s:
        for d in s.scalars(select(Delivery).order_by(Delivery.id)):
            d.state, d.published_at = DeliveryState.published, datetime.now(timezone.utc)
            if d.channel.name == "fanpage":
                d.remote_id = f"{PAGE}_{d.id}"
                d.remote_state = {"route": "feed", "post_id": d.remote_id}
            else:
                d.remote_id, d.remote_state = "a1", {"route": "normal"}
    return folder


def zalo_listing(rsps):
    rsps.get("https://openapi.zalo.me/v2.0/article/getdetail",
             json={"error": 0, "data": {"id": "a1", "total_view": 88, "total_share": 5}})


def test_a_rate_limit_postpones_that_platform_for_as_long_as_it_said_and_stores_nothing(loa, channels, rsps):
    """A 429 while reading: nothing is stored for that delivery, no further call is made to that
    platform until its Retry-After has passed (the other platforms are read), the deliveries stay
    published, and a later pass reads what was postponed."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import select

    from content_queue.models import Delivery, DeliveryState, Reading
    from scheduler.engine import Engine

    folder = published_posts(loa, 2)
    busy = rsps.get(f"{G}/{PAGE}_1/insights", status=429, headers={"Retry-After": "120"},
                    json={"error": {"message": "Application request limit reached", "code": 4}})
    zalo_listing(rsps)
    now = [datetime.now(timezone.utc)]
    engine = Engine(folder.sessions, media_dir=folder.media_dir, http=http(), clock=lambda: now[0])
    got = engine.read_numbers()
    assert busy.call_count == 1  # the fault fired, once: the second Facebook post was not asked
    assert [c.request.url for c in rsps.calls if "graph.facebook.com" in c.request.url] == [busy.calls[0].request.url]
    assert got["postponed"] == 2 and got["read"] == 2  # Zalo's views and shares
    with folder.sessions() as s:
        fb_ids = set(s.scalars(select(Delivery.id).where(Delivery.remote_id.like(f"{PAGE}_%"))))
        assert not set(s.scalars(select(Reading.delivery_id))) & fb_ids
        assert {d.state for d in s.scalars(select(Delivery))} == {DeliveryState.published}

    now[0] += timedelta(seconds=60)  # still inside the 120 s Facebook asked for
    assert engine.read_numbers()["postponed"] == 2 and busy.call_count == 1

    now[0] += timedelta(seconds=90)
    rsps.remove(busy)
    for did in sorted(fb_ids):
        rsps.get(f"{G}/{PAGE}_{did}/insights", **insight("post_media_view", 10 * did))
        rsps.get(f"{G}/{PAGE}_{did}", json={"id": f"{PAGE}_{did}"})
    got = engine.read_numbers()
    assert got["postponed"] == 0
    with folder.sessions() as s:
        views = {r.delivery_id: r.value for r in s.scalars(select(Reading).where(Reading.metric == "views"))}
    assert all(views[did] == 10 * did for did in fb_ids)


def test_reads_wait_while_facebook_reports_its_call_limit_nearly_used(loa, channels, rsps):
    """Facebook's usage headers, seen on any answer (here the first reading's), stop further
    reads of Facebook until the time it gave, as they hold publishing back."""
    from content_queue.models import Delivery
    from scheduler.engine import Engine

    folder = published_posts(loa, 2)
    usage = {"X-Business-Use-Case-Usage": json.dumps({PAGE: [{"type": "pages", "call_count": 97, "total_cputime": 10,
                                                               "total_time": 10, "estimated_time_to_regain_access": 7}]})}
    first = rsps.get(f"{G}/{PAGE}_1/insights", headers=usage, **insight("post_media_view", 30))
    second = rsps.get(f"{G}/{PAGE}_2/insights", **insight("post_media_view", 40))
    rsps.get(f"{G}/{PAGE}_1", json={"id": f"{PAGE}_1"})
    zalo_listing(rsps)
    engine = Engine(folder.sessions, media_dir=folder.media_dir, http=http())
    got = engine.read_numbers()
    assert first.call_count >= 1 and second.call_count == 0
    assert got["postponed"] == 1
    wait = engine.budgets.usage_wait("facebook", engine.clock())
    assert wait is not None and 6 * 60 < wait[0] <= 7 * 60  # the 7 minutes Facebook gave
    with folder.sessions() as s:
        assert s.query(Delivery).count() == 3


def test_tiktok_s_public_id_learnt_on_a_later_read_is_kept_on_the_delivery(loa, channels, rsps, tmp_path):
    """The TikTok video went out before moderation gave its public id: the read that learns it keeps
    the id and the public link on the delivery (its state untouched), so the report links the video."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import select

    from content_queue.models import Delivery, DeliveryState, Reading
    from content_queue.store import transaction
    from loa import settings
    from scheduler.engine import Engine
    from tests.conftest import make_video

    clip = make_video(tmp_path / "meo.mp4", seconds=3)
    soon = (datetime.now(timezone.utc) + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M")
    r = loa("post", "add", "--text", "Mẹo an toàn #khongmotminh", "--media", str(clip), "--at", soon, "--to", "tiktok",
            "--tiktok-privacy", "PUBLIC_TO_EVERYONE", "--tiktok-music-ok")
    assert r.exit_code == 0, r.output
    folder = settings.find(loa.folder)
    with transaction(folder.sessions) as s:
        d = s.scalars(select(Delivery)).one()
        d.state, d.published_at, d.remote_id = DeliveryState.published, datetime.now(timezone.utc), "v_pub_9"
        d.remote_state = {"publish_id": "v_pub_9", "creator_username": "doanxa"}
        d.remote_url = "https://www.tiktok.com/@doanxa"
    rsps.post(STATUS, **status(7301))
    rsps.post(TT, json={"data": {"videos": [{"id": "7301", "view_count": 420, "like_count": 30,
                                             "comment_count": 2, "share_count": 5}]},
                        "error": {"code": "ok", "message": ""}})
    Engine(folder.sessions, media_dir=folder.media_dir, http=http()).read_numbers()
    with folder.sessions() as s:
        d = s.scalars(select(Delivery)).one()
        assert d.state is DeliveryState.published and d.remote_state["post_id"] == "7301"
        assert d.remote_url == "https://www.tiktok.com/@doanxa/video/7301"
        assert s.scalars(select(Reading.value).where(Reading.metric == "views")).one() == 420


def test_views_over_time_add_up_each_delivery_s_last_reading_and_a_failed_read_hides_nothing(loa, channels):
    """The report's views over time: at each day's end, each delivery's last views read by then,
    added up (a delivery read twice counts once); a later failed read leaves the last value shown."""
    import json as j
    from datetime import datetime, timezone

    from sqlalchemy import select

    from content_queue.models import Delivery, Reading
    from content_queue.store import transaction

    folder = published_posts(loa, 1)
    with folder.sessions() as s:
        fb, zalo = (d.id for d in s.scalars(select(Delivery).order_by(Delivery.id)))

    def at(day, hour):  # campaign time is Asia/Ho_Chi_Minh (UTC+7)
        return datetime(2026, 12, day, hour, tzinfo=timezone.utc)

    with transaction(folder.sessions) as s:
        for did, when, value, reason in ((fb, at(1, 3), 100, ""), (fb, at(2, 3), 150, ""), (zalo, at(2, 4), 50, ""),
                                         (fb, at(5, 3), None, "not_read"), (zalo, at(5, 4), 80, "")):
            s.add(Reading(delivery_id=did, read_at=when, metric="views", value=value, reason=reason))
    data = j.loads(loa("report", "--format", "json").output)
    grown = data["reach"]["over_time"]
    assert [(p["at"], p["views"]) for p in grown] == [("2026-12-01", 100), ("2026-12-02", 200), ("2026-12-05", 230)]
    assert grown[-1]["by_platform"] == {"facebook": 150, "zalo": 80}
    numbers = {d["id"]: d["numbers"] for ch in data["channels"] for d in ch["deliveries"]}
    assert numbers[fb]["metrics"]["views"] == {"value": 150, "reason": None, "why": None}
    assert numbers[fb]["read"].startswith("2026-12-02")  # when the value shown was read
    assert data["reach"]["total"]["views"] == 230
    text = loa("report").output
    assert "views over time: 2026-12-01 100; 2026-12-02 200; 2026-12-05 230" in text.lower()
    html = loa("report", "--format", "html").output
    assert "<polyline" in html and "Views over time" in html


from tests.conftest import channels  # noqa: E402,F401 (fixture)
from tests.test_scheduler_engine import clock, server  # noqa: E402,F401 (fixtures)


def test_numbers_read_from_the_sandbox_on_both_databases_grow_in_the_report(db_url, tmp_path, server, clock):
    """End to end on SQLite and PostgreSQL: a post published to the sandbox, its numbers read by the
    engine twice an hour apart (the sandbox's counts grow), then a read that fails; the report's
    numbers are the last ones given, its views over time grow, its read time is the last good one."""
    from content_queue.models import Campaign
    from content_queue.report import collect
    from tests.scheduler_helpers import make_world

    w = make_world(db_url, tmp_path, server, clock)
    try:
        w.add_channel("facebook", "fanpage")
        (did,) = w.post("Không một mình – đọc số liệu", "fanpage")
        engine = w.engine()
        engine.dispatch()
        assert w.delivery(did).state.value == "published"
        clock.advance(hours=2)
        assert engine.read_numbers()["read"] > 0
        first = w.sandbox.answered[w.delivery(did).remote_state.get("post_id") or w.delivery(did).remote_id]["views"]
        clock.advance(hours=1)
        engine.read_numbers()
        key = w.delivery(did).remote_state.get("post_id") or w.delivery(did).remote_id
        second = w.sandbox.answered[key]["views"]
        assert second > first
        clock.advance(hours=1)
        w.sandbox.set_faults(1.0, reads=True)  # every call fails now
        try:
            got = engine.read_numbers()
        finally:
            w.sandbox.set_faults(0.0)
        assert got["failed"] + got["postponed"] == 1
        with w.sessions() as s:
            r = collect(s, s.get(Campaign, w.campaign_id), clock(), lambda t: t.isoformat() if t else "-")
        (d,) = r["channels"][0]["deliveries"]
        assert d["numbers"]["metrics"]["views"]["value"] == second
        assert [p["views"] for p in r["reach"]["over_time"]] == [first, second]
        assert r["reach"]["total"]["views"] == second
    finally:
        w.engine_db.dispose()
