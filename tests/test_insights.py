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

G = "https://graph.facebook.com/v21.0"
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


def test_facebook_asks_the_new_metric_first_and_falls_back_on_code_100(rsps):
    rsps.get(f"{G}/{POST}/insights", **code(100), match=metric("post_media_view"))  # not yet on this Page
    rsps.get(f"{G}/{POST}/insights", **insight("post_impressions", 540), match=metric("post_impressions"))
    rsps.get(f"{G}/{POST}/insights", **insight("post_total_media_view_unique", 410),
             match=metric("post_total_media_view_unique"))
    counts(rsps, shares=4)
    n = fb().numbers(POST, {"route": "feed", "post_id": POST})
    assert n.value("views") == 540 and n.readings["views"].source == "post_impressions"
    assert n.value("reach") == 410 and n.readings["reach"].source == "post_total_media_view_unique"
    assert (n.value("reactions"), n.value("comments"), n.value("shares")) == (12, 3, 4)
    assert n.value("plays") is None and n.readings["plays"].reason == "not_offered"
    asked = [c.request.params.get("metric") for c in rsps.calls if "/insights" in c.request.url]
    assert asked == ["post_media_view", "post_impressions", "post_total_media_view_unique"]  # one each


def test_facebook_says_retired_permission_and_no_numbers_never_zero(rsps):
    rsps.get(f"{G}/{POST}/insights", **code(100), match=metric("post_media_view"))
    rsps.get(f"{G}/{POST}/insights", **code(100), match=metric("post_impressions"))
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
    rsps.get(f"{G}/555", json={"id": "555", "comments": {"summary": {"total_count": 2}}})
    n = fb().numbers("555", {"route": "reel", "video_id": "555"})
    assert (n.value("plays"), n.value("reach"), n.value("avg_watch_seconds")) == (900, 700, 6.4)
    assert n.value("comments") == 2 and n.readings["reactions"].reason == "field_missing"


def tt() -> TikTokConnector:
    return TikTokConnector({"client_key": "ck", "client_secret": "cs-secret-123", "open_id": "o1",
                            "access_token": "act.secret-access-1", "refresh_token": "rft.secret-refresh-1"},
                           http=http())


TT = "https://open.tiktokapis.com/v2/video/query/"


def test_tiktok_reads_by_the_post_id_and_says_in_review_before_it(rsps):
    n = tt().numbers("v_pub_1", {"publish_id": "v_pub_1"})
    assert {n.readings[m].reason for m in ("views", "reactions", "comments", "shares")} == {"in_review"}
    assert not rsps.calls  # nothing asked before TikTok gives the post id
    rsps.post(TT, json={"data": {"videos": [{"id": "7300", "view_count": 1500, "like_count": 90,
                                             "comment_count": 7, "share_count": 11}]},
                        "error": {"code": "ok", "message": ""}},
              match=[matchers.json_params_matcher({"filters": {"video_ids": ["7300"]}})])
    n = tt().numbers("7300", {"publish_id": "v_pub_1", "post_id": "7300"})
    assert (n.value("views"), n.value("reactions"), n.value("comments"), n.value("shares")) == (1500, 90, 7, 11)
    assert "fields=id,view_count,like_count,comment_count,share_count" in rsps.calls[0].request.url


def test_tiktok_without_the_video_list_scope_says_so(rsps):
    rsps.post(TT, status=401, json={"data": {}, "error": {"code": "scope_not_authorized",
                                                          "message": "The user did not authorize the scope"}})
    n = tt().numbers("7300", {"post_id": "7300"})
    assert {n.readings[m].reason for m in ("views", "reactions", "comments", "shares")} == {"permission"}


def zl() -> ZaloConnector:
    return ZaloConnector({"oa_id": "2002", "app_id": "3003", "app_secret": "zalo-app-secret-2",
                          "access_token": "zalo-access-secret-3", "refresh_token": "zalo-refresh-secret-4"},
                         {"cover_url": "https://example.org/bia.jpg"}, http=http(), sleep=lambda s: None)


def test_zalo_gives_views_and_shares_where_its_listing_has_them(rsps):
    rsps.get("https://openapi.zalo.me/v2.0/article/getslice", json={"error": 0, "message": "Success", "data": {
        "medias": [{"id": "a1", "title": "Không một mình", "total_view": 320, "total_share": 5},
                   {"id": "a2", "title": "Bài khác"}], "total": 2}})
    n = zl().numbers("a1", {"route": "normal"})
    assert (n.value("views"), n.value("shares")) == (320, 5)
    assert n.readings["reach"].reason == "not_offered" and n.readings["reactions"].reason == "not_offered"
    n = zl().numbers("a2", {"route": "normal"})
    assert n.readings["views"].reason == "field_missing" and n.value("views") is None
    n = zl().numbers("a9", {"route": "normal"})
    assert n.readings["views"].reason == "not_found"
    assert json.dumps([r.reason for r in n.readings.values()])  # plain data: stored as it is
