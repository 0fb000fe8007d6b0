"""`loa run`, `loa status`, `loa retry`, `loa resolve` through the CLI, against the sandbox."""
from __future__ import annotations

import json

import pytest

from sandbox import Sandbox, SandboxServer


@pytest.fixture
def sandbox_env(monkeypatch):
    with SandboxServer(Sandbox(processing_seconds=0.2)) as s:
        monkeypatch.setenv("LOA_API_BASE", s.base)
        monkeypatch.setenv("LOA_HTTP_READ_TIMEOUT", "1")
        monkeypatch.setenv("LOA_FOLLOW_EVERY", "0.5")  # a video's processing asked after twice a second, not 15 s
        yield s


def add_channel(loa, server, platform, name, tmp_path, **account):
    creds = server.sandbox.new_account(platform, **account)
    f = tmp_path / f"{name}.json"
    f.write_text(json.dumps(creds))
    extra = ["--cover-url", "https://example.org/bia.jpg"] if platform == "zalo" else []
    r = loa("channel", "add", platform, "--name", name, "--credentials", str(f), *extra)
    assert r.exit_code == 0, r.output
    return creds


def test_run_once_publishes_and_status_shows_links(loa, sandbox_env, tmp_path):
    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path)
    add_channel(loa, sandbox_env, "zalo", "zalo-oa", tmp_path)
    assert loa("post", "add", "--text", "Khởi động chiến dịch", "--now", "--to", "facebook,zalo").exit_code == 0
    assert loa("post", "add", "--text", "Tuần sau", "--at", "2031-01-01 08:00", "--to", "facebook").exit_code == 0
    r = loa("run", "--once")
    assert r.exit_code == 0, r.output
    assert "published 2" in r.output
    status = json.loads(loa("status", "--json").output)
    assert status["counts"] == {"published": 2, "scheduled": 1}
    assert status["due_next"][0]["due"] == "2031-01-01 08:00"
    shown = json.loads(loa("post", "show", "1", "--json").output)
    assert all(d["url"].startswith("https://") for d in shown["deliveries"])
    assert len(sandbox_env.sandbox.ledger) == 2
    text = loa("status").output
    assert "Due next (1)" in text and "fanpage" in text


@pytest.mark.slow
def test_failed_delivery_shown_with_reason_then_retried(loa, sandbox_env, tmp_path):
    add_channel(loa, sandbox_env, "tiktok", "tiktok", tmp_path, privacy_options=["SELF_ONLY"])
    from tests.conftest import make_video

    video = make_video(tmp_path / "v.mp4", size="540x960", seconds=3)
    # the account offers only SELF_ONLY (the app is not audited): said when the post is queued
    r = loa("post", "add", "--text", "Video", "--media", str(video), "--now", "--to", "tiktok",
            "--tiktok-privacy", "PUBLIC_TO_EVERYONE", "--tiktok-music-ok")
    assert r.exit_code == 1 and "does not offer PUBLIC_TO_EVERYONE (it offers SELF_ONLY)" in r.output
    assert "--mode inbox" in r.output
    [user] = sandbox_env.sandbox.tiktok_users.values()
    user["privacy"] = ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]  # audited now
    r = loa("post", "add", "--text", "Video", "--media", str(video), "--now", "--to", "tiktok",
            "--tiktok-privacy", "PUBLIC_TO_EVERYONE", "--tiktok-music-ok")
    assert r.exit_code == 0, r.output
    assert "posts as" in r.output and "who may see it: Everyone" in r.output
    user["privacy"] = ["SELF_ONLY"]  # ...and then not, before its time: TikTok refuses it then
    loa("run", "--once")
    status = json.loads(loa("status", "--json").output)
    [failed] = status["failed"]
    assert "has not yet audited this app" in failed["reason"]
    assert "Failed (1)" in loa("status").output
    user["privacy"] = ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]
    assert loa("retry", str(failed["id"])).exit_code == 0
    r = loa("run", "--until-idle", "--timeout", "20")
    assert r.exit_code == 0, r.output
    assert json.loads(loa("status", "--json").output)["counts"] == {"published": 1}
    [posted] = sandbox_env.sandbox.ledger
    assert posted["settings"]["privacy"] == "PUBLIC_TO_EVERYONE"


def test_resolve_unknown_delivery(loa, sandbox_env, tmp_path):
    from content_queue.models import Delivery, DeliveryState
    from loa import settings

    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path)
    loa("post", "add", "--text", "x", "--now", "--to", "facebook")
    with settings.find().sessions.begin() as s:
        d = s.get(Delivery, 1)
        d.state = DeliveryState.needs_attention
        d.last_error = "the platform could not tell"
    assert "Needs your attention (1)" in loa("status").output
    r = loa("resolve", "1", "--published", "https://www.facebook.com/1/posts/2")
    assert r.exit_code == 0 and "published" in r.output
    assert json.loads(loa("post", "show", "1", "--json").output)["deliveries"][0]["url"] == "https://www.facebook.com/1/posts/2"
    assert loa("resolve", "1", "--not-published").exit_code == 1


def test_resolve_not_published_sends_again(loa, sandbox_env, tmp_path):
    from content_queue.models import Delivery, DeliveryState
    from loa import settings

    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path)
    loa("post", "add", "--text", "Gửi lại", "--now", "--to", "facebook")
    with settings.find().sessions.begin() as s:
        s.get(Delivery, 1).state = DeliveryState.needs_attention
    assert loa("resolve", "1", "--not-published").exit_code == 0
    loa("run", "--once")
    assert len(sandbox_env.sandbox.ledger) == 1


def test_run_arguments_are_checked(loa):
    assert loa("resolve", "1").exit_code == 1
    assert loa("retry").exit_code == 1
    r = loa("run", "--once", "--speed", "10")
    assert r.exit_code == 1 and "rehearsals" in r.output


def test_missed_posts_shown_and_retried(loa, sandbox_env, tmp_path):
    from datetime import datetime, timedelta, timezone

    from content_queue.models import Delivery
    from loa import settings

    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path)
    loa("post", "add", "--text", "Lỡ giờ", "--now", "--to", "facebook")
    with settings.find().sessions.begin() as s:  # as if it was due yesterday and loa was off
        d = s.get(Delivery, 1)
        d.due_at = d.next_attempt_at = datetime.now(timezone.utc) - timedelta(days=1)
    loa("run", "--once")
    status = json.loads(loa("status", "--json").output)
    assert [m["id"] for m in status["missed"]] == [1] and "while loa was not running" in status["missed"][0]["reason"]
    assert sandbox_env.sandbox.ledger == []
    loa("retry", "1")
    loa("run", "--once")
    assert len(sandbox_env.sandbox.ledger) == 1


def test_dead_channel_reconnected_with_replace_and_retried(loa, sandbox_env, tmp_path):
    creds = add_channel(loa, sandbox_env, "zalo", "zalo-oa", tmp_path, expired=True)
    with sandbox_env.sandbox.lock:  # the OA's admin revoked the app: the refresh token is dead too
        sandbox_env.sandbox.tokens.pop(creds["refresh_token"])
    loa("post", "add", "--text", "Thông báo", "--title", "Thông báo", "--now", "--to", "zalo")
    loa("run", "--once")
    status = json.loads(loa("status", "--json").output)
    assert status["failed"][0]["reason"].startswith("zalo: the refresh token was refused")
    assert status["channels"][0]["health"] == "reconnect"
    r = loa("retry", "1")
    assert r.exit_code == 1 and "--replace" in r.output  # reconnect first, says how
    with sandbox_env.sandbox.lock:  # the officer approves the app again: a fresh pair for the same OA
        access = sandbox_env.sandbox._token(creds["oa_id"], "access", 90000, "za.")
        refresh = sandbox_env.sandbox._token(creds["oa_id"], "refresh", 86400, "zr.")
    f = tmp_path / "zalo-new.json"
    f.write_text(json.dumps({**creds, "access_token": access, "refresh_token": refresh}))
    r = loa("channel", "add", "zalo", "--name", "zalo-oa", "--credentials", str(f), "--replace")
    assert r.exit_code == 0 and "Reconnected" in r.output
    assert loa("retry", "--all-failed", "--channel", "zalo-oa").exit_code == 0
    loa("run", "--until-idle", "--timeout", "30")
    assert json.loads(loa("status", "--json").output)["counts"] == {"published": 1}


def test_loa_run_picks_up_new_posts_and_stops_cleanly_on_sigterm(loa, sandbox_env, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path)
    env = {**os.environ, "LOA_HOME": str(loa.folder)}
    proc = subprocess.Popen([sys.executable, "-m", "loa", "run"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(2.0)  # running and asleep: nothing is due
        started = time.monotonic()
        loa("post", "add", "--text", "Thêm lúc đang chạy", "--now", "--to", "facebook")
        while not sandbox_env.sandbox.ledger and time.monotonic() - started < 15:
            time.sleep(0.2)
        picked_up = time.monotonic() - started
        assert sandbox_env.sandbox.ledger, "the new post was not published"
        assert picked_up < 8, picked_up
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "stopped cleanly" in out
    from content_queue.models import Worker
    from loa import settings

    with settings.find(loa.folder).sessions() as s:
        assert s.query(Worker).count() == 0  # it signed off: no claim is left to recover


def test_a_channel_whose_tokens_do_not_open_is_flagged_and_nothing_is_sent(loa, sandbox_env, tmp_path, monkeypatch):
    """The key that sealed the tokens is not here (a folder copied without its .secret-key): the
    delivery is given back untouched, the channel asks to be connected again, the platform is not
    called, and nothing is claimed for it until then."""
    from sqlalchemy import select

    from content_queue import vault
    from content_queue.models import Channel, ChannelHealth, Delivery, DeliveryState
    from loa import settings

    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path)
    assert loa("post", "add", "--text", "Khoá đâu rồi", "--now", "--to", "fanpage").exit_code == 0
    monkeypatch.setattr(vault, "_keys", {})  # as in a process that never had the key
    monkeypatch.setattr(vault, "folder_key", lambda root, given="": __import__(
        "cryptography.fernet", fromlist=["Fernet"]).Fernet.generate_key())
    r = loa("run", "--once")
    assert r.exit_code == 0, r.output
    assert sandbox_env.sandbox.ledger == []
    with settings.find(loa.folder).sessions() as s:
        assert s.scalars(select(Delivery)).one().state is DeliveryState.scheduled
        ch = s.scalars(select(Channel)).one()
        assert ch.health is ChannelHealth.reconnect and "key" in ch.health_detail
    assert "published 0" in loa("run", "--once").output
