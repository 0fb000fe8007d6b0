"""The one HTTP helper: LOA_API_BASE redirection, streaming bodies, usage headers, transport errors."""
from __future__ import annotations

import json

import pytest
import requests
import responses

from connectors.errors import OutcomeUnknown, RetryLater
from connectors.http import FileSlice, Http, MultipartStream, parse_usage, redirect


@pytest.mark.parametrize("url,expected", [
    ("https://graph.facebook.com/v26.0/123/feed", "http://127.0.0.1:8700/graph.facebook.com/v26.0/123/feed"),
    ("https://graph-video.facebook.com/v26.0/1/videos?x=1", "http://127.0.0.1:8700/graph-video.facebook.com/v26.0/1/videos?x=1"),
    ("https://openapi.zalo.me/v2.0/article/create", "http://127.0.0.1:8700/openapi.zalo.me/v2.0/article/create"),
    ("https://oauth.zaloapp.com/v4/oa/access_token", "http://127.0.0.1:8700/oauth.zaloapp.com/v4/oa/access_token"),
    ("https://open.tiktokapis.com/v2/post/publish/video/init/", "http://127.0.0.1:8700/open.tiktokapis.com/v2/post/publish/video/init/"),
    # upload URLs handed back by a platform (or by the sandbox itself) are used as given
    ("http://127.0.0.1:8700/open-upload.tiktokapis.com/video/?upload_id=1", "http://127.0.0.1:8700/open-upload.tiktokapis.com/video/?upload_id=1"),
    ("https://example.org/other", "https://example.org/other"),
])
def test_redirect(url, expected):
    assert redirect(url, "http://127.0.0.1:8700") == expected


def test_no_base_no_redirect():
    assert redirect("https://graph.facebook.com/x", None) == "https://graph.facebook.com/x"


def test_loa_api_base_from_environment(monkeypatch):
    from loa.settings import Settings

    monkeypatch.setenv("LOA_API_BASE", "http://127.0.0.1:8700/")
    http = Settings.read().http()  # the environment is read by loa's settings, once, not by the connectors
    assert http.url("https://graph.facebook.com/v26.0/me") == "http://127.0.0.1:8700/graph.facebook.com/v26.0/me"
    assert Http().url("https://graph.facebook.com/v26.0/me") == "https://graph.facebook.com/v26.0/me"


def test_settings_read_every_loa_variable_in_one_place():
    """No module but loa/settings.py touches the environment (the demo only sets it, for the
    commands it runs, and puts it back)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readers = [f"{p.relative_to(root)}:{n}" for pkg in ("connectors", "sandbox", "content_queue", "scheduler", "recap",
                                                         "loa")
               for p in (root / pkg).rglob("*.py") if p.name not in ("settings.py", "demo.py")
               for n, line in enumerate(p.read_text().splitlines(), 1) if "os.environ" in line or "os.getenv" in line]
    assert readers == []


def test_file_slice_streams_a_window(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(bytes(range(256)) * 10)
    seen = []
    s = FileSlice(str(p), 100, 1000, seen.append)
    assert len(s) == 1000
    data = b"".join(iter(lambda: s.read(300), b""))
    assert data == (bytes(range(256)) * 10)[100:1100]
    assert seen[-1] == 1000
    s.rewind()
    assert b"".join(s) == data


def test_multipart_stream_is_what_a_parser_reads(tmp_path):
    from werkzeug.formparser import parse_form_data
    from werkzeug.test import EnvironBuilder

    p = tmp_path / "f.mp4"
    p.write_bytes(b"x" * 5000)
    m = MultipartStream({"upload_phase": "transfer", "start_offset": "0"}, "video_file_chunk", "f.mp4",
                        FileSlice(str(p), 0, 5000))
    body = b"".join(m)
    assert len(body) == len(m)
    env = EnvironBuilder(method="POST", data=body, content_type=m.content_type).get_environ()
    _, form, files = parse_form_data(env)
    assert form["upload_phase"] == "transfer" and files["video_file_chunk"].read() == b"x" * 5000


def test_usage_headers_are_json_strings():
    u = parse_usage({"X-App-Usage": json.dumps({"call_count": 42, "total_time": 10}),
                     "X-Business-Use-Case-Usage": json.dumps({"1": [{"call_count": 96, "estimated_time_to_regain_access": 3}]})})
    assert u.highest == 96 and u.regain_seconds == 180


def test_unreadable_usage_header_does_not_break_the_call():
    assert parse_usage({"X-App-Usage": "{not json"}).highest == 0


@responses.activate
def test_connect_failure_is_retry_even_for_publishing_calls():
    responses.post("https://graph.facebook.com/x", body=requests.ConnectTimeout("connect timed out"))
    with pytest.raises(RetryLater):
        Http(base=None).request("POST", "https://graph.facebook.com/x", platform="facebook", can_publish=True)


@responses.activate
def test_read_timeout_on_publishing_call_is_unknown_and_on_reads_is_retry():
    responses.post("https://graph.facebook.com/x", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(OutcomeUnknown):
        Http(base=None).request("POST", "https://graph.facebook.com/x", platform="facebook", can_publish=True)
    with pytest.raises(RetryLater):
        Http(base=None).request("POST", "https://graph.facebook.com/x", platform="facebook", can_publish=False)


def test_user_agent_and_no_automatic_retries():
    h = Http(base=None)
    assert h.session.headers["User-Agent"].startswith("loa/")
    assert h.session.get_adapter("https://x").max_retries.total == 0
