"""`loa channel check NAME`: the go-live check against the sandbox, which states each platform's
rule (the permissions a Page granted, an unaudited TikTok app, the OA), nothing posted."""
from __future__ import annotations

import json

from tests.test_cli_run import sandbox_env  # noqa: F401 (fixture)

OLD_SCOPES = ["pages_manage_posts", "pages_read_engagement", "pages_show_list", "publish_video"]


def add_channel(loa, server, platform, channel, tmp_path, **account):
    creds = server.sandbox.new_account(platform, **account)
    f = tmp_path / f"{channel}.json"
    f.write_text(json.dumps(creds))
    extra = ["--cover-url", "https://example.org/bia.jpg"] if platform == "zalo" else []
    assert loa("channel", "add", platform, "--name", channel, "--credentials", str(f), *extra).exit_code == 0


def checks(loa, name: str) -> tuple[int, dict]:
    r = loa("channel", "check", name, "--json")
    return r.exit_code, {c["check"]: c for c in json.loads(r.output)}


def test_a_page_connected_without_read_insights_is_not_ready_and_says_what_to_do(loa, sandbox_env, tmp_path):  # noqa: F811
    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path, scopes=OLD_SCOPES)
    code, got = checks(loa, "fanpage")
    assert code == 1
    assert got["permissions"]["met"] is False and "read_insights" in got["permissions"]["found"]
    assert "--replace" in got["permissions"]["fix"]
    assert got["graph_version"]["met"] is True and "v26.0" in got["graph_version"]["found"]
    assert got["token"]["met"] is True
    r = loa("channel", "check", "fanpage")
    assert r.exit_code == 1 and "NOT MET" in r.output and "→" in r.output and "Traceback" not in r.output
    assert sandbox_env.sandbox.ledger == []  # nothing was posted


def test_a_page_with_every_permission_is_ready(loa, sandbox_env, tmp_path):  # noqa: F811
    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path)
    code, got = checks(loa, "fanpage")
    assert code == 0 and all(c["met"] is True and c["fix"] == "" for c in got.values())


def test_an_unaudited_tiktok_app_is_said_plainly_with_the_inbox_route(loa, sandbox_env, tmp_path):  # noqa: F811
    add_channel(loa, sandbox_env, "tiktok", "tiktok", tmp_path, privacy_options=["SELF_ONLY"], name="truong-thcs")
    code, got = checks(loa, "tiktok")
    assert code == 1
    assert got["creator"]["met"] is True and "truong-thcs" in got["creator"]["found"]
    assert got["audited"]["met"] is False and "SELF_ONLY" in got["audited"]["found"]
    assert "--mode inbox" in got["audited"]["fix"]
    assert got["duration"]["met"] is True
    assert loa("channel", "set", "tiktok", "--mode", "inbox").exit_code == 0  # the fix it gave
    code, got = checks(loa, "tiktok")
    assert code == 0 and got["audited"]["met"] is True and "inbox" in got["audited"]["found"]


def test_a_tiktok_account_that_did_not_grant_video_list_is_told_to_connect_again(loa, sandbox_env, tmp_path):  # noqa: F811
    """The scopes the person granted, as TikTok's token answer said them: without video.list a post
    goes out but its numbers never come; the check names the missing one and the fix."""
    add_channel(loa, sandbox_env, "tiktok", "tiktok", tmp_path, scopes=["user.info.basic", "video.publish",
                                                                        "video.upload"])
    code, got = checks(loa, "tiktok")
    assert code == 1
    assert got["scopes"]["met"] is False and got["scopes"]["found"] == "permissions not granted: video.list"
    assert "--replace" in got["scopes"]["fix"] and "tick every permission" in got["scopes"]["fix"]
    assert got["audited"]["met"] is True


def test_a_tiktok_account_whose_grant_was_not_recorded_cannot_be_said_ready(loa, sandbox_env, tmp_path):  # noqa: F811
    """Credentials given by hand without TikTok's `scope` (or kept from before loa recorded it):
    not readable, never "met"."""
    creds = sandbox_env.sandbox.new_account("tiktok")
    creds.pop("scope")
    f = tmp_path / "tt.json"
    f.write_text(json.dumps(creds))
    assert loa("channel", "add", "tiktok", "--name", "tiktok", "--credentials", str(f)).exit_code == 0
    code, got = checks(loa, "tiktok")
    assert code == 1 and got["scopes"]["met"] is None and "not recorded" in got["scopes"]["found"]
    add_channel(loa, sandbox_env, "tiktok", "tiktok-2", tmp_path)
    assert checks(loa, "tiktok-2")[1]["scopes"] == {
        "check": "scopes", "met": True, "fix": "",
        "found": "permissions granted: user.info.basic, video.publish, video.upload, video.list"}


def test_a_zalo_oa_says_its_name_and_who_signs_the_articles(loa, sandbox_env, tmp_path):  # noqa: F811
    add_channel(loa, sandbox_env, "zalo", "zalo-oa", tmp_path, name="Công an xã Kon Chiêng")
    code, got = checks(loa, "zalo-oa")
    assert code == 0
    assert "Công an xã Kon Chiêng" in got["oa"]["found"] and "Công an xã Kon Chiêng" in got["author"]["found"]
    assert got["verified"]["met"] is True


def test_the_check_speaks_the_officer_s_language(loa, sandbox_env, tmp_path, monkeypatch):  # noqa: F811
    from content_queue import i18n

    add_channel(loa, sandbox_env, "tiktok", "tiktok", tmp_path, privacy_options=["SELF_ONLY"])
    monkeypatch.delenv("LOA_LANG")  # the campaign's own language: Vietnamese
    i18n.set_language(None)
    r = loa("channel", "check", "tiktok")
    assert r.exit_code == 1 and "CHƯA ĐẠT" in r.output and "--mode inbox" in r.output
