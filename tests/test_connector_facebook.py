"""Facebook Pages connector against mocked Graph API answers (responses)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses
from responses import matchers

from connectors import Answer, CredentialsDead, Item, Media, OutcomeUnknown, Rejected, RetryLater
from connectors.facebook import FacebookConnector
from tests.connector_helpers import assert_no_secret, body_of, http, write_file

G = "https://graph.facebook.com/v26.0"
GV = "https://graph-video.facebook.com/v26.0"
PAGE = "1001"
TOKEN = "EAAB-page-token-very-secret"
USER = "EAAU-user-token-very-secret"
NEW = "EAAP-new-page-token-secret"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def fb(creds=None, **kw) -> FacebookConnector:
    return FacebookConnector(creds or {"page_id": PAGE, "access_token": TOKEN}, http=http(), **kw)


def err(code, message="boom", sub=None, status=400, **extra):
    e = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "X"}
    if sub:
        e["error_subcode"] = sub
    e.update(extra)
    return {"json": {"error": e}, "status": status}


def test_text_post_published_with_permalink(rsps):
    rsps.post(f"{G}/{PAGE}/feed", json={"id": f"{PAGE}_77"},
              match=[matchers.urlencoded_params_matcher({"message": "Xin chào"}),
                     matchers.query_param_matcher({"access_token": TOKEN})])
    rsps.get(f"{G}/{PAGE}_77", json={"id": f"{PAGE}_77", "permalink_url": "https://www.facebook.com/1001/posts/77"})
    states = []
    r = fb().publish(Item(text="Xin chào"), checkpoint=states.append)
    assert (r.status, r.remote_id, r.url) == ("published", f"{PAGE}_77", "https://www.facebook.com/1001/posts/77")
    assert states[0]["route"] == "feed" and states[-1]["post_id"] == f"{PAGE}_77"


def test_link_and_native_schedule(rsps):
    at = datetime.now(timezone.utc) + timedelta(hours=2)
    rsps.post(f"{G}/{PAGE}/feed", json={"id": f"{PAGE}_78"})
    r = fb().publish(Item(text="x", link="https://example.org", schedule_at=at))
    sent = body_of(rsps.calls[0])
    assert sent["published"] == "false" and int(sent["scheduled_publish_time"]) == int(at.timestamp())
    assert sent["link"] == "https://example.org"
    assert r.status == "scheduled"


def test_schedule_outside_window_is_rejected_before_any_call(rsps):
    with pytest.raises(Rejected, match="10 minutes"):
        fb().publish(Item(text="x", schedule_at=datetime.now(timezone.utc) + timedelta(minutes=5)))
    assert len(rsps.calls) == 0


CASES = [
    ("throttled app", err(4, "Application request limit reached"), RetryLater),
    ("user throttled", err(17), RetryLater),
    ("page throttled", err(32), RetryLater),
    ("custom throttling", err(613), RetryLater),
    ("page throttled 80001", err(80001), RetryLater),
    ("transient", err(2, "temporary", is_transient=True, status=500), RetryLater),
    ("posting too fast", err(368, "posting too fast", sub=1390008), RetryLater),
    ("server error", {"body": "oops", "status": 502}, RetryLater),
    ("duplicate", err(506, "Duplicate status message"), Rejected),
    ("bad parameter", err(100, "Invalid parameter", error_user_msg="Bài viết chứa liên kết không hợp lệ"), Rejected),
    ("permission", err(200, "Permissions error"), Rejected),
    ("permission 10", err(10, "Application does not have permission"), Rejected),
    ("blocked content", err(368, "blocked", sub=1346003), Rejected),
    ("token dead", err(190, "Error validating access token: password changed", sub=460), CredentialsDead),
    ("session invalid", err(102, "Session key invalid"), CredentialsDead),
]


@pytest.mark.parametrize("answer,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_classes(rsps, answer, expected, logs):
    rsps.post(f"{G}/{PAGE}/feed", **answer)
    with pytest.raises(expected) as info:
        fb().publish(Item(text="x"))
    assert_no_secret([str(info.value)] + logs.lines, TOKEN)
    if expected is Rejected and "error_user_msg" in str(answer):
        assert info.value.platform_message == "Bài viết chứa liên kết không hợp lệ"


def test_retry_after_from_usage_header(rsps):
    usage = {PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 20, "total_time": 30,
                     "estimated_time_to_regain_access": 7}]}
    rsps.post(f"{G}/{PAGE}/feed", **err(32), headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
    connector = fb()
    with pytest.raises(RetryLater) as info:
        connector.publish(Item(text="x"))
    assert info.value.retry_after == 7 * 60
    assert connector.http.last_usage.highest == 100


def test_retry_after_header(rsps):
    rsps.post(f"{G}/{PAGE}/feed", **err(4), headers={"Retry-After": "30"})
    with pytest.raises(RetryLater) as info:
        fb().publish(Item(text="x"))
    assert info.value.retry_after == 30


def test_expired_page_token_refreshed_from_user_token(rsps):
    stored = []
    rsps.post(f"{G}/{PAGE}/feed", **err(190, "Session has expired", sub=463),
              match=[matchers.query_param_matcher({"access_token": TOKEN})])
    rsps.get(f"{G}/me/accounts", json={"data": [{"id": "999", "access_token": "other"},
                                                {"id": PAGE, "name": "Công an xã", "access_token": NEW}]},
             match=[matchers.query_param_matcher({"fields": "id,name,access_token", "access_token": USER,
                                                  "limit": "100"})])
    rsps.post(f"{G}/{PAGE}/feed", json={"id": f"{PAGE}_9"}, match=[matchers.query_param_matcher({"access_token": NEW})])
    rsps.get(f"{G}/{PAGE}_9", json={"permalink_url": "https://www.facebook.com/x"})
    c = fb({"page_id": PAGE, "access_token": TOKEN, "user_token": USER}, on_credentials=stored.append)
    r = c.publish(Item(text="x"))
    assert r.status == "published"
    assert stored and stored[0]["access_token"].reveal() == NEW
    assert NEW not in repr(stored)


def test_network_failure_before_sending_is_retry(rsps):
    rsps.post(f"{G}/{PAGE}/feed", body=requests.ConnectionError("NewConnectionError: refused"))
    with pytest.raises(RetryLater):
        fb().publish(Item(text="x"))


@pytest.mark.parametrize("exc", [requests.ReadTimeout("read timed out"),
                                 requests.ConnectionError("RemoteDisconnected('Remote end closed connection')")])
def test_no_answer_after_sending_is_unknown(rsps, exc, logs):
    rsps.post(f"{G}/{PAGE}/feed", body=exc)
    with pytest.raises(OutcomeUnknown) as info:
        fb().publish(Item(text="x"))
    assert_no_secret([str(info.value)] + logs.lines, TOKEN)


def test_find_matches_published_post_by_text(rsps):
    since = datetime.now(timezone.utc) - timedelta(minutes=1)
    rsps.get(f"{G}/{PAGE}/published_posts", json={"data": [
        {"id": f"{PAGE}_1", "message": "khác", "created_time": "2025-10-20T01:00:00+0000"},
        {"id": f"{PAGE}_2", "message": "Xin  chào\n", "created_time": "2025-10-20T01:00:00+0000",
         "permalink_url": "https://www.facebook.com/p/2"}]})
    f = fb().find(Item(text="Xin chào"), since, {"route": "feed"})
    assert f.answer is Answer.FOUND and f.result.remote_id == f"{PAGE}_2" and f.result.status == "published"


def test_find_absent_is_not_published_only_after_the_processing_window(rsps):
    rsps.get(f"{G}/{PAGE}/published_posts", json={"data": []})
    rsps.get(f"{G}/{PAGE}/scheduled_posts", json={"data": []})
    now = datetime.now(timezone.utc)
    just_sent = {"route": "feed", "sent_at": (now - timedelta(seconds=5)).isoformat()}
    f = fb().find(Item(text="Xin chào"), now, just_sent)
    assert f.answer is Answer.CANNOT_TELL and "listings yet" in f.why  # a listing may lag a post just made
    long_ago = {"route": "feed", "sent_at": (now - timedelta(minutes=5)).isoformat()}
    assert fb().find(Item(text="Xin chào"), now, long_ago).answer is Answer.NOT_PUBLISHED


def test_photo_over_4mb_is_rejected_without_a_call(rsps, tmp_path):
    p = write_file(tmp_path / "big.jpg", 5 * 1024 * 1024)
    with pytest.raises(Rejected, match="4 MB"):
        fb().publish(Item(text="x", media=Media(p, "image", p.stat().st_size)))
    assert len(rsps.calls) == 0


def test_photo_streams_multipart(rsps, tmp_path):
    p = write_file(tmp_path / "a.jpg", 300_000)
    rsps.post(f"{G}/{PAGE}/photos", json={"id": "55", "post_id": f"{PAGE}_55"})
    rsps.get(f"{G}/{PAGE}_55", json={"permalink_url": "https://www.facebook.com/photo/55"})
    r = fb().publish(Item(text="Ảnh", media=Media(p, "image", p.stat().st_size)))
    req = rsps.calls[0].request
    assert req.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert int(req.headers["Content-Length"]) > 300_000
    assert r.remote_id == f"{PAGE}_55"


def test_reel_start_upload_finish_then_processing(rsps, tmp_path):
    p = write_file(tmp_path / "reel.mp4", 2_000_000)
    media = Media(p, "video", p.stat().st_size, 1080, 1920, 20.0)
    rsps.post(f"{G}/{PAGE}/video_reels", json={"video_id": "v1", "upload_url": "https://rupload.facebook.com/video-upload/v26.0/v1"},
              match=[matchers.urlencoded_params_matcher({"upload_phase": "start"})])
    rsps.post("https://rupload.facebook.com/video-upload/v26.0/v1", json={"success": True},
              match=[matchers.header_matcher({"Authorization": f"OAuth {TOKEN}", "offset": "0", "file_size": "2000000"})])
    rsps.post(f"{G}/{PAGE}/video_reels", json={"success": True},
              match=[matchers.urlencoded_params_matcher({"video_id": "v1", "upload_phase": "finish",
                                                         "description": "Trailer", "video_state": "PUBLISHED"})])
    rsps.get(f"{G}/v1", json={"status": {"video_status": "processing", "publishing_phase": {"status": "not_started"}}})
    states, seen = [], []
    c = fb(progress=lambda done, total: seen.append(done))
    r = c.publish(Item(text="Trailer", media=media, route="reel"), checkpoint=lambda s: states.append(dict(s)))
    assert r.status == "processing" and r.state["video_id"] == "v1"
    assert states[0] == {"route": "reel", "video_id": "v1", "upload_url": "https://rupload.facebook.com/video-upload/v26.0/v1"}
    assert any(s.get("finishing") for s in states)
    assert seen[-1] == 2_000_000
    assert rsps.calls[1].request.headers["Content-Length"] == "2000000"
    rsps.replace(responses.GET, f"{G}/v1", json={"status": {"video_status": "ready", "publishing_phase": {
        "status": "complete", "publish_status": "published"}}, "permalink_url": "/reel/v1"})
    done = c.check(r.state)
    assert done.status == "published" and done.url == "https://www.facebook.com/reel/v1"


def test_reel_resumes_from_bytes_transfered(rsps, tmp_path):
    p = write_file(tmp_path / "reel.mp4", 1_000_000)
    media = Media(p, "video", p.stat().st_size)
    rsps.get(f"{G}/v1", json={"status": {"video_status": "uploading",
                                          "uploading_phase": {"status": "in_progress", "bytes_transfered": 400_000}}})
    rsps.post("https://rupload.facebook.com/video-upload/v26.0/v1", json={"success": True},
              match=[matchers.header_matcher({"offset": "400000", "file_size": "1000000"})])
    rsps.post(f"{G}/{PAGE}/video_reels", json={"success": True})
    state = {"route": "reel", "video_id": "v1", "upload_url": "https://rupload.facebook.com/video-upload/v26.0/v1",
             "uploading": True}
    fb().publish(Item(text="x", media=media, route="reel"), state=state)
    assert rsps.calls[1].request.headers["Content-Length"] == "600000"


def test_reel_rejection_by_subcode(rsps, tmp_path):
    p = write_file(tmp_path / "reel.mp4", 1000)
    rsps.post(f"{G}/{PAGE}/video_reels", json={"video_id": "v1", "upload_url": "https://rupload.facebook.com/video-upload/v26.0/v1"})
    rsps.post("https://rupload.facebook.com/video-upload/v26.0/v1", json={"success": True})
    rsps.post(f"{G}/{PAGE}/video_reels", **err(100, "Video duration is not supported", sub=1363128))
    with pytest.raises(Rejected, match="1363128"):
        fb().publish(Item(text="x", media=Media(p, "video", 1000), route="reel"))


def test_chunked_video_with_string_offsets_and_resend(rsps, tmp_path):
    p = write_file(tmp_path / "long.mp4", 2500)
    media = Media(p, "video", 2500, 1920, 1080, 300.0)
    rsps.post(f"{GV}/{PAGE}/videos", json={"video_id": "v9", "upload_session_id": "s1", "start_offset": "0",
                                           "end_offset": "1000"},
              match=[matchers.urlencoded_params_matcher({"upload_phase": "start", "file_size": "2500"})])
    answers = iter([
        {"json": {"start_offset": "1000", "end_offset": "2000"}},
        err(6000, "There was a problem uploading your video file", sub=1363037,
            error_data={"start_offset": "1000", "end_offset": "2000"}),
        {"json": {"start_offset": "2000", "end_offset": "2500"}},
        {"json": {"start_offset": "2500", "end_offset": "2500"}},
        {"json": {"success": True}},
    ])

    def transfer(request):
        a = next(answers)
        return a.get("status", 200), {}, json.dumps(a["json"])

    rsps.add_callback(responses.POST, f"{GV}/{PAGE}/videos", callback=transfer)
    rsps.get(f"{G}/v9", json={"status": {"video_status": "ready"}, "permalink_url": "https://www.facebook.com/watch/?v=v9"})
    r = fb().publish(Item(text="Buổi tập huấn", title="Tập huấn", media=media, route="video"))
    assert r.status == "published" and r.url.endswith("v=v9")
    transfers = [c for c in rsps.calls if c.request.headers.get("Content-Type", "").startswith("multipart/")]
    assert len(transfers) == 4  # 0-1000, 1000-2000 (lost), 1000-2000 again, 2000-2500


def test_find_after_finish_timeout_reads_status_never_finishes_again(rsps):
    rsps.get(f"{G}/v1", json={"status": {"video_status": "ready", "publishing_phase": {"status": "complete"}},
                               "permalink_url": "https://www.facebook.com/reel/v1"})
    f = fb().find(Item(text="x"), datetime.now(timezone.utc), {"route": "reel", "video_id": "v1", "finishing": True})
    assert f.answer is Answer.FOUND and f.result.status == "published"
    assert all(c.request.method == "GET" for c in rsps.calls)


def test_page_tokens_without_user_token_cannot_refresh():
    with pytest.raises(CredentialsDead, match="connect the Page again"):
        fb().refresh()


def test_repr_hides_the_token():
    c = fb()
    assert TOKEN not in repr(c) and TOKEN not in repr(c.credentials)


def test_status_unreadable_after_finish_is_processing_never_a_second_finish(rsps, tmp_path):
    """The fault campaign found this: a 429 on the status read after finish looked like 'nothing
    was published', the next try finished again, and Facebook refused a reel that was already out."""
    p = write_file(tmp_path / "reel.mp4", 1000)
    media = Media(p, "video", 1000, 1080, 1920, 10.0)
    rsps.post(f"{G}/{PAGE}/video_reels", json={"video_id": "v1", "upload_url": "https://rupload.facebook.com/video-upload/v26.0/v1"},
              match=[matchers.urlencoded_params_matcher({"upload_phase": "start"})])
    rsps.post("https://rupload.facebook.com/video-upload/v26.0/v1", json={"success": True})
    finish = rsps.post(f"{G}/{PAGE}/video_reels", json={"success": True})
    rsps.get(f"{G}/v1", **err(4, "Application request limit reached"))
    states = []
    r = fb().publish(Item(text="x", media=media, route="reel"), checkpoint=lambda s: states.append(dict(s)))
    assert r.status == "processing" and "not readable" in r.detail
    again = fb().publish(Item(text="x", media=media, route="reel"), state=states[-1])
    assert again.status == "processing"
    assert finish.call_count == 1


def test_error_answer_to_finish_allows_finishing_again(rsps, tmp_path):
    p = write_file(tmp_path / "reel.mp4", 1000)
    media = Media(p, "video", 1000, 1080, 1920, 10.0)
    rsps.post(f"{G}/{PAGE}/video_reels", json={"video_id": "v1", "upload_url": "https://rupload.facebook.com/video-upload/v26.0/v1"},
              match=[matchers.urlencoded_params_matcher({"upload_phase": "start"})])
    rsps.post("https://rupload.facebook.com/video-upload/v26.0/v1", json={"success": True})
    rsps.post(f"{G}/{PAGE}/video_reels", **err(2, "temporary", status=500, is_transient=True))
    states = []
    with pytest.raises(RetryLater):
        fb().publish(Item(text="x", media=media, route="reel"), checkpoint=lambda s: states.append(dict(s)))
    assert states[-1]["finishing"] is False  # Facebook answered: nothing was published


def test_silence_after_finish_is_never_finished_blindly(tmp_path):
    p = write_file(tmp_path / "reel.mp4", 1000)
    state = {"route": "reel", "video_id": "v1", "upload_url": "u", "uploading": True, "finishing": True}
    with pytest.raises(OutcomeUnknown):
        fb().publish(Item(text="x", media=Media(p, "video", 1000), route="reel"), state=state)


def test_find_follows_paging_next(rsps):
    """A busy Page has more posts in a day than one page of results: the search follows paging.next."""
    others = [{"id": f"{PAGE}_{i}", "message": f"khác {i}", "created_time": "2025-10-20T01:00:00+0000"} for i in range(100)]
    rsps.get(f"{G}/{PAGE}/published_posts", json={"data": others, "paging": {"next": f"{G}/{PAGE}/published_posts?after=Q"}},
             match=[matchers.query_param_matcher({"fields": "id,message,created_time,permalink_url", "limit": "100",
                                                  "access_token": TOKEN}, strict_match=False)])
    rsps.get(f"{G}/{PAGE}/published_posts", json={"data": [{"id": f"{PAGE}_777", "message": "Xin chào"}]},
             match=[matchers.query_param_matcher({"after": "Q"})])
    found = fb().find(Item(text="Xin chào"), datetime.now(timezone.utc), {"route": "feed"})
    assert found.answer is Answer.FOUND and found.result.remote_id == f"{PAGE}_777"


def test_link_not_readable_yet_is_followed_up(rsps):
    rsps.post(f"{G}/{PAGE}/feed", json={"id": f"{PAGE}_5"})
    rsps.get(f"{G}/{PAGE}_5", **err(4, "Application request limit reached"))
    r = fb().publish(Item(text="x"))
    assert r.status == "processing" and r.remote_id == f"{PAGE}_5"
    rsps.replace(responses.GET, f"{G}/{PAGE}_5", json={"is_published": True, "permalink_url": "https://www.facebook.com/p/5"})
    assert fb().check(r.state).url == "https://www.facebook.com/p/5"


@pytest.mark.parametrize("answer", [dict(code=100, message="(#100) Unsupported get request"),
                                    dict(code=200, message="Permissions error", status=403)])
def test_a_refused_link_read_after_the_post_is_made_never_fails_it(rsps, answer):
    """The post is on the Page; reading its link is refused: it is followed up, never recorded
    failed (a failed post would be retried by the officer, and go out twice)."""
    rsps.post(f"{G}/{PAGE}/feed", json={"id": f"{PAGE}_6"})
    rsps.get(f"{G}/{PAGE}_6", **err(**answer))
    r = fb().publish(Item(text="x"))
    assert r.status == "processing" and r.remote_id == f"{PAGE}_6"
