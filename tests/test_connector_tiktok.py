"""TikTok connector against mocked Content Posting API answers, and the chunk arithmetic."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import requests
import responses
from responses import matchers

from connectors import Answer, CredentialsDead, Item, Media, NotPublished, OutcomeUnknown, Rejected, RetryLater
from connectors.tiktok import TikTokConnector, chunk_plan
from tests.connector_helpers import http, write_file

API = "https://open.tiktokapis.com/v2"
UPLOAD = "https://open-upload.tiktokapis.com/video/?upload_id=1&upload_token=t"
ACCESS, REFRESH = "act.tiktok-old-access-secret", "rft.tiktok-old-refresh-secret"
MB = 1024 * 1024


@pytest.mark.parametrize("size,chunk,expect_size,expect_count,last", [
    (4 * MB, 10 * MB, 4 * MB, 1, 4 * MB),  # under 5 MB: whole
    (10 * MB, 10 * MB, 10 * MB, 1, 10 * MB),  # exactly one chunk
    (64 * MB + 1, 64 * MB, 64 * MB, 1, 64 * MB + 1),  # one chunk; the last takes the remainder
    (64 * MB + 1, 10 * MB, 10 * MB, 6, 64 * MB + 1 - 50 * MB),
    (50_000_123, 10_000_000, 10_000_000, 5, 10_000_123),  # TikTok's own example
    (5 * MB, 10 * MB, 5 * MB, 1, 5 * MB),
    (200 * MB, 200 * MB, 64 * MB, 3, 200 * MB - 128 * MB),  # a preferred size over 64 MB is capped
    (4 * 1024 * MB, 5 * MB, 5 * MB, 819, 4 * 1024 * MB - 818 * 5 * MB),
])
def test_chunk_arithmetic(size, chunk, expect_size, expect_count, last):
    plan = chunk_plan(size, chunk)
    assert (plan.chunk_size, plan.total_chunk_count) == (expect_size, expect_count)
    ranges = plan.ranges()
    assert ranges[0][0] == 0 and ranges[-1][1] == size - 1
    assert ranges[-1][1] - ranges[-1][0] + 1 == last <= 128 * MB
    assert all(b[0] == a[1] + 1 for a, b in zip(ranges, ranges[1:]))
    assert all(5 * MB <= r[1] - r[0] + 1 <= 64 * MB for r in ranges[:-1])
    assert 1 <= plan.total_chunk_count <= 1000


def test_chunk_count_never_over_1000():
    plan = chunk_plan(4 * 1024 * MB, 1)
    assert plan.total_chunk_count <= 1000 and plan.chunk_size >= 5 * MB


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


@pytest.fixture
def video(tmp_path):
    p = write_file(tmp_path / "v.mp4", 12 * MB)
    return Media(p, "video", p.stat().st_size, 1080, 1920, 30.0)


def tt(settings=None, **kw) -> TikTokConnector:
    c = TikTokConnector({"client_key": "ck", "client_secret": "cs-secret-123", "open_id": "o1",
                         "access_token": ACCESS, "refresh_token": REFRESH}, settings or {}, http=http(), **kw)
    c.chunk_size = 5 * MB
    return c


def ok(data):
    return {"json": {"data": data, "error": {"code": "ok", "message": "", "log_id": "L"}}}


def fail(code, status, message=""):
    return {"json": {"data": {}, "error": {"code": code, "message": message, "log_id": "L"}}, "status": status}


CHOSEN = {"privacy": "PUBLIC_TO_EVERYONE", "music": "yes"}  # what the person chose for the post
INFO = {"creator_username": "doanxa", "privacy_level_options": ["PUBLIC_TO_EVERYONE", "SELF_ONLY"],
        "max_video_post_duration_sec": 600, "comment_disabled": False, "duet_disabled": True, "stitch_disabled": False}


def happy(rsps, statuses=("PROCESSING_UPLOAD", "PUBLISH_COMPLETE")):
    auth = matchers.header_matcher({"Authorization": f"Bearer {ACCESS}",
                                    "Content-Type": "application/json; charset=UTF-8"})
    rsps.post(f"{API}/post/publish/creator_info/query/", **ok(INFO), match=[auth])
    rsps.post(f"{API}/post/publish/video/init/", **ok({"publish_id": "p1", "upload_url": UPLOAD}), match=[auth])
    rsps.put(UPLOAD, status=206, match=[matchers.header_matcher({"Content-Range": f"bytes 0-{5 * MB - 1}/{12 * MB}",
                                                                 "Content-Type": "video/mp4"})])
    rsps.put(UPLOAD, status=201, match=[matchers.header_matcher({"Content-Range": f"bytes {5 * MB}-{12 * MB - 1}/{12 * MB}"})])
    for s in statuses:
        data = {"status": s}
        if s == "PUBLISH_COMPLETE":
            data["publicaly_available_post_id"] = [7312345678901234567]
        rsps.post(f"{API}/post/publish/status/fetch/", **ok(data), match=[matchers.json_params_matcher({"publish_id": "p1"})])


def test_direct_post_whole_way(rsps, video):
    happy(rsps)
    states, progress = [], []
    c = tt(progress=lambda done, total: progress.append(done))
    r = c.publish(Item(text="Trailer #khongmotminh", media=video, choices={**CHOSEN, "allow": "comment,duet"}), checkpoint=lambda s: states.append(dict(s)))
    assert r.status == "processing" and r.state["publish_id"] == "p1"
    init = json.loads(rsps.calls[1].request.body)
    assert init["source_info"] == {"source": "FILE_UPLOAD", "video_size": 12 * MB, "chunk_size": 5 * MB,
                                   "total_chunk_count": 2}
    assert init["post_info"]["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert init["post_info"]["disable_comment"] is False  # turned on by the person
    assert init["post_info"]["disable_duet"] is True  # turned on, but the creator's own setting wins
    assert init["post_info"]["disable_stitch"] is True  # off unless turned on
    assert init["post_info"]["brand_content_toggle"] is False and init["post_info"]["brand_organic_toggle"] is False
    assert states[0]["publish_id"] == "p1" and states[0]["chunks_sent"] == 0  # kept before the first byte
    assert any(s.get("final_sending") and not s.get("final_sent") for s in states)
    assert rsps.calls[2].request.headers["Content-Length"] == str(5 * MB)
    assert rsps.calls[3].request.headers["Content-Length"] == str(7 * MB)
    assert progress[-1] == 12 * MB
    done = c.check(r.state)
    assert done.status == "published"
    assert done.url == "https://www.tiktok.com/@doanxa/video/7312345678901234567"


def test_inbox_mode(rsps, video):
    rsps.post(f"{API}/post/publish/creator_info/query/", **ok(INFO))
    rsps.post(f"{API}/post/publish/inbox/video/init/", **ok({"publish_id": "p1", "upload_url": UPLOAD}))
    rsps.put(UPLOAD, status=206)
    rsps.put(UPLOAD, status=201)
    rsps.post(f"{API}/post/publish/status/fetch/", **ok({"status": "SEND_TO_USER_INBOX"}))
    r = tt({"mode": "inbox"}).publish(Item(text="x", media=video, choices=CHOSEN))
    assert r.status == "in_inbox" and "inbox" in r.detail  # a draft, never "published"
    assert "post_info" not in json.loads(rsps.calls[1].request.body)


def test_unaudited_app_is_explained(rsps, video):
    rsps.post(f"{API}/post/publish/creator_info/query/", **ok({**INFO, "privacy_level_options": ["SELF_ONLY"]}))
    with pytest.raises(Rejected, match="has not yet audited this app") as info:
        tt().publish(Item(text="x", media=video, choices=CHOSEN))
    assert "SELF_ONLY" in info.value.platform_message


def test_privacy_not_offered(rsps, video):
    rsps.post(f"{API}/post/publish/creator_info/query/", **ok(INFO))
    with pytest.raises(Rejected, match="does not offer FOLLOWER_OF_CREATOR"):
        tt().publish(Item(text="x", media=video, choices={**CHOSEN, "privacy": "FOLLOWER_OF_CREATOR"}))
    assert len(rsps.calls) == 1  # refused before the init: nothing went up


@pytest.mark.parametrize("choices, code", [
    ({"music": "yes"}, "privacy_missing"),  # nobody chose who may see it: no default is sent
    ({"privacy": "PUBLIC_TO_EVERYONE"}, "music_missing"),
    ({"privacy": "SELF_ONLY", "music": "yes", "disclose": "partner"}, "branded_private"),
])
def test_a_post_goes_out_only_as_the_person_chose(rsps, video, choices, code):
    rsps.post(f"{API}/post/publish/creator_info/query/", **ok(INFO))
    with pytest.raises(Rejected) as info:
        tt().publish(Item(text="x", media=video, choices=choices))
    assert info.value.code == code
    assert [c.request.url for c in rsps.calls] == [f"{API}/post/publish/creator_info/query/"]


def test_video_longer_than_creator_may_post(rsps, video):
    rsps.post(f"{API}/post/publish/creator_info/query/", **ok({**INFO, "max_video_post_duration_sec": 15}))
    with pytest.raises(Rejected, match="at most 15 s"):
        tt().publish(Item(text="x", media=video, choices=CHOSEN))


CASES = [
    ("spam cap in HTTP 200", fail("spam_risk_too_many_posts", 200), Rejected),
    ("banned", fail("spam_risk_user_banned_from_posting", 403), Rejected),
    ("unaudited", fail("unaudited_client_can_only_post_to_private_accounts", 403), Rejected),
    ("active user cap", fail("reached_active_user_cap", 403), Rejected),
    ("invalid param", fail("invalid_param", 400, "title too long"), Rejected),
    ("rate limit", fail("rate_limit_exceeded", 429), RetryLater),
    ("server", fail("internal_error", 503), RetryLater),
    ("scope", fail("scope_not_authorized", 401), CredentialsDead),
]


@pytest.mark.parametrize("answer,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_init_errors(rsps, video, answer, expected):
    rsps.post(f"{API}/post/publish/creator_info/query/", **ok(INFO))
    rsps.post(f"{API}/post/publish/video/init/", **answer)
    with pytest.raises(expected) as info:
        tt().publish(Item(text="x", media=video, choices=CHOSEN))
    assert ACCESS not in str(info.value)
    assert not any(c.request.method == "PUT" for c in rsps.calls)


def test_rate_limit_retry_after(rsps, video):
    rsps.post(f"{API}/post/publish/creator_info/query/", **fail("rate_limit_exceeded", 429), headers={"Retry-After": "42"})
    with pytest.raises(RetryLater) as info:
        tt().publish(Item(text="x", media=video, choices=CHOSEN))
    assert info.value.retry_after == 42


def test_expired_token_refreshed_with_rotation(rsps, video):
    stored = []
    rsps.post(f"{API}/post/publish/creator_info/query/", **fail("access_token_invalid", 401),
              match=[matchers.header_matcher({"Authorization": f"Bearer {ACCESS}"})])
    rsps.post(f"{API}/oauth/token/", json={"access_token": "act.new", "expires_in": 86400, "open_id": "o1",
                                           "refresh_expires_in": 31536000, "refresh_token": "rft.new",
                                           "scope": "video.publish", "token_type": "Bearer"},
              match=[matchers.urlencoded_params_matcher({"client_key": "ck", "client_secret": "cs-secret-123",
                                                         "grant_type": "refresh_token", "refresh_token": REFRESH})])
    rsps.post(f"{API}/post/publish/creator_info/query/", **ok(INFO),
              match=[matchers.header_matcher({"Authorization": "Bearer act.new"})])
    rsps.post(f"{API}/post/publish/video/init/", **ok({"publish_id": "p1", "upload_url": UPLOAD}))
    rsps.put(UPLOAD, status=206)
    rsps.put(UPLOAD, status=201)
    rsps.post(f"{API}/post/publish/status/fetch/", **ok({"status": "PROCESSING_UPLOAD"}))
    tt(on_credentials=stored.append).publish(Item(text="x", media=video, choices=CHOSEN))
    assert stored[0]["refresh_token"].reveal() == "rft.new"
    assert stored[0]["access_token"].reveal() == "act.new"
    assert stored[0]["refresh_expires_at"] is not None
    assert stored[0]["scope"] == "video.publish"  # what the person granted, kept for the go-live check


def test_refused_refresh_is_credentials_dead(rsps):
    rsps.post(f"{API}/oauth/token/", json={"error": "invalid_grant", "error_description": "expired"}, status=400)
    with pytest.raises(CredentialsDead, match="connect the account again"):
        tt().refresh()


def test_last_chunk_without_answer_is_unknown_then_reconciled(rsps, video):
    rsps.post(f"{API}/post/publish/creator_info/query/", **ok(INFO))
    rsps.post(f"{API}/post/publish/video/init/", **ok({"publish_id": "p1", "upload_url": UPLOAD}))
    rsps.put(UPLOAD, status=206)
    rsps.put(UPLOAD, body=requests.ReadTimeout("timed out"))
    states = []
    with pytest.raises(OutcomeUnknown):
        tt().publish(Item(text="x", media=video, choices=CHOSEN), checkpoint=lambda s: states.append(dict(s)))
    state = states[-1]
    assert state["final_sending"] and not state.get("final_sent")
    with pytest.raises(OutcomeUnknown):  # never re-uploaded blindly
        tt().publish(Item(text="x", media=video, choices=CHOSEN), state=state)
    rsps.post(f"{API}/post/publish/status/fetch/", **ok({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [5]}))
    found = tt().find(Item(text="x", media=video, choices=CHOSEN), datetime.now(timezone.utc), state)
    assert found.answer is Answer.FOUND and found.result.status == "published" and found.result.remote_id == "5"


@pytest.mark.parametrize("answer", [dict(status=429, json={"data": {}, "error": {"code": "rate_limit_exceeded"}}),
                                    dict(status=500, json={"data": {}, "error": {"code": "internal_error"}}),
                                    dict(body=requests.ReadTimeout("timed out")),
                                    dict(body=requests.ConnectionError("dropped"))])
def test_a_failed_status_read_after_the_last_chunk_is_never_not_published(rsps, answer):
    """The bug this guards: a 429 on the status read was taken as "not published", and the
    video went out twice."""
    rsps.post(f"{API}/post/publish/status/fetch/", **answer)
    state = {"publish_id": "p1", "upload_url": UPLOAD, "final_sending": True}
    with pytest.raises((RetryLater, OutcomeUnknown)):  # the engine takes these as "cannot tell"
        tt().find(Item(text="x"), datetime.now(timezone.utc), state)
    assert len(rsps.calls) == 1


def test_tiktok_saying_failed_is_not_published(rsps):
    rsps.post(f"{API}/post/publish/status/fetch/", **ok({"status": "FAILED", "fail_reason": "internal"}))
    state = {"publish_id": "p1", "upload_url": UPLOAD, "final_sending": True}
    f = tt().find(Item(text="x"), datetime.now(timezone.utc), state)
    assert f.answer is Answer.NOT_PUBLISHED and not f.refused


def test_first_chunk_failure_is_safe_to_redo(rsps, video):
    rsps.post(f"{API}/post/publish/creator_info/query/", **ok(INFO))
    rsps.post(f"{API}/post/publish/video/init/", **ok({"publish_id": "p1", "upload_url": UPLOAD}))
    rsps.put(UPLOAD, body=requests.ReadTimeout("timed out"))
    states = []
    with pytest.raises(RetryLater):
        tt().publish(Item(text="x", media=video, choices=CHOSEN), checkpoint=lambda s: states.append(dict(s)))
    assert tt().find(Item(text="x", media=video, choices=CHOSEN), datetime.now(timezone.utc), states[-1]).answer is Answer.NOT_PUBLISHED


@pytest.mark.parametrize("status,expected", [(403, "expired"), (416, "does not match")])
def test_upload_url_problems_start_again(rsps, video, status, expected):
    rsps.post(f"{API}/post/publish/creator_info/query/", **ok(INFO))
    rsps.post(f"{API}/post/publish/video/init/", **ok({"publish_id": "p1", "upload_url": UPLOAD}))
    rsps.put(UPLOAD, status=status)
    with pytest.raises(RetryLater, match=expected):
        tt().publish(Item(text="x", media=video, choices=CHOSEN))


@pytest.mark.parametrize("reason,final", [("spam_risk_too_many_pending_share", True),
                                          ("file_format_check_failed", True),
                                          ("frame_rate_check_failed", True),
                                          ("internal", False)])
def test_failed_status(rsps, reason, final):
    rsps.post(f"{API}/post/publish/status/fetch/", **ok({"status": "FAILED", "fail_reason": reason}))
    with pytest.raises(NotPublished) as got:
        tt().check({"publish_id": "p1"})
    assert got.value.final is final


def test_published_without_public_id_is_still_published(rsps):
    rsps.post(f"{API}/post/publish/status/fetch/", **ok({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": []}))
    r = tt().check({"publish_id": "p1", "creator_username": "doanxa"})
    assert r.status == "published" and "no public link" in r.detail


def test_photo_is_rejected():
    with pytest.raises(Rejected, match="videos only"):
        tt().publish(Item(text="x"))
