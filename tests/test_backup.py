"""Backups that restore: `loa backup` while posts are being added and an upload is half-way, then
`loa restore --into` a new folder, which has the same posts, deliveries, clips (byte for byte) and
channels (the same tokens), and the same report; a second backup copies only new media; --keep."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from datetime import datetime, timedelta, timezone

import pytest

from pathlib import Path

from click.testing import CliRunner

from tests.conftest import make_video
from tests.test_scheduler_engine import clock, server  # noqa: F401 (fixtures)


def report(folder) -> dict:
    from loa.cli import cli

    r = CliRunner().invoke(cli, ["report", "--format", "json"], env={"LOA_HOME": str(folder)},
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    data.pop("generated")
    return data


def test_a_backup_made_while_working_restores_into_a_new_folder(loa, channels, tmp_path):
    from werkzeug.test import Client

    from content_queue import posts as P
    from content_queue.models import Campaign, Channel, Clip
    from loa import settings
    from loa.portal.app import Portal, ensure_token

    for i in range(2):
        clip = make_video(tmp_path / f"clip{i}.mp4", seconds=2)
        assert loa("clips", "add", str(clip), "--participant", f"Bạn {i}", "--age", "19",
                   "--consent", "self").exit_code == 0
    soon = (datetime.now(timezone.utc) + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M")
    assert loa("post", "add", "--text", "Đừng một mình", "--at", soon, "--to", "fanpage,zalo-oa").exit_code == 0
    folder = settings.find(loa.folder)
    with folder.sessions() as s:
        cid = s.query(Campaign).one().id
    portal = Portal(folder.sessions, campaign_id=cid, media_dir=folder.media_dir, upload_dir=folder.root / "uploads")
    token = ensure_token(folder.sessions, cid)
    up = Client(portal).post(f"/c/{token}/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "100000",
                                                             "Upload-Metadata": "name SG9h,age MjA=,selfConfirmed eWVz"})
    assert up.status_code == 201  # an upload half-way (nothing sent yet) while the backup runs

    stop, added = threading.Event(), []

    def keep_working():  # the officer keeps queuing posts during the backup
        while not stop.is_set() and len(added) < 40:
            with folder.sessions.begin() as s:
                c = s.query(Campaign).one()
                p, _w = P.add_post(s, c, P.PostInput(text=f"Bài {len(added)}", to="fanpage", at=soon),
                                   media_dir=folder.media_dir)
                added.append(p.id)

    worker = threading.Thread(target=keep_working)
    worker.start()
    target = tmp_path / "sao-luu"
    try:
        r = loa("backup", str(target), "--json")
    finally:
        stop.set()
        worker.join()
    assert r.exit_code == 0, r.output
    first = json.loads(r.output)
    assert first["media_copied"] >= 2 and added  # it ran while posts were being added
    for dirpath, _dirs, files in os.walk(target):  # it holds tokens: the owner's alone
        assert stat.S_IMODE(os.stat(dirpath).st_mode) == 0o700
        for f in files:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, f)).st_mode) & 0o077 == 0
    restored = tmp_path / "khoi-phuc"
    r = loa("restore", str(target), "--into", str(restored))
    assert r.exit_code == 0, r.output
    import sqlite3

    assert sqlite3.connect(restored / "loa.db").execute("PRAGMA integrity_check").fetchone() == ("ok",)
    back = settings.find(restored)
    with back.sessions() as s, folder.sessions() as t:
        posts_there = {p for (p,) in s.execute(__import__("sqlalchemy").text("select id from posts"))}
        assert posts_there and posts_there <= {p for (p,) in t.execute(__import__("sqlalchemy").text("select id from posts"))}
        for c in s.query(Clip):
            original = t.get(Clip, c.id)
            assert hashlib.sha256((back.media_dir / c.media.relpath).read_bytes()).hexdigest() == c.sha256 == \
                original.sha256
        assert {ch.name: ch.credentials for ch in s.query(Channel)} == \
            {ch.name: ch.credentials for ch in t.query(Channel)}  # the same tokens, usable as they were
    # with the posts added after the snapshot taken away, both folders report the same
    from sqlalchemy import delete

    from content_queue.models import Delivery, Post

    with folder.sessions.begin() as t:
        t.execute(delete(Delivery).where(Delivery.post_id.not_in(posts_there)))
        t.execute(delete(Post).where(Post.id.not_in(posts_there)))
    assert report(restored) == report(loa.folder)
    r = loa("backup", str(target), "--json", "--keep", "1")  # incremental, and only the newest kept
    second = json.loads(r.output)
    assert second["media_copied"] == 0 and second["media_already_there"] == first["media_copied"]
    assert second["removed"] == [first["snapshot"]]
    assert loa("restore", str(target), "--into", str(restored)).exit_code == 1  # never over a folder


def test_a_backup_while_the_scheduler_publishes_restores_with_tokens_that_still_work(db_url, tmp_path, server,
                                                                                     clock):
    """On SQLite: the scheduler publishes to the sandbox in another thread while the backup runs;
    the restored folder has every post and delivery the snapshot saw, and its channels' tokens
    still publish (a post from the restored folder goes out to the sandbox)."""
    if not db_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL backup is pg_dump's; this one exercises SQLite's online backup")
    from content_queue.models import Campaign, Delivery, DeliveryState
    from loa import backup as B
    from loa import settings
    from tests.scheduler_helpers import make_world

    w = make_world(db_url, tmp_path, server, clock)
    try:
        w.add_channel("facebook", "fanpage")
        w.add_channel("zalo", "zalo-oa")
        for i in range(30):
            w.post(f"Mẹo an toàn {i}", "fanpage,zalo-oa", at=clock() + timedelta(seconds=i))
        with w.sessions() as s:
            slug = s.get(Campaign, w.campaign_id).slug
        settings.write_config(tmp_path, {"campaign": {"slug": slug}, "store": {"database": "loa.db", "media": "media"}})
        folder = settings.load(tmp_path)
        clock.advance(minutes=1)
        engine = w.engine()
        stop = threading.Event()
        passes = []

        def publish():
            while not stop.is_set():
                passes.append(engine.run_pass())

        t = threading.Thread(target=publish)
        t.start()
        try:
            while not passes:
                stop.wait(0.05)
            done = B.backup(folder, tmp_path.parent / "sao-luu-sched")
        finally:
            stop.set()
            t.join()
        restored = B.restore(tmp_path.parent / "sao-luu-sched", tmp_path.parent / "khoi-phuc-sched")
        back = settings.load(Path(restored["folder"]))
        with back.sessions() as s:
            states = [d.state for d in s.query(Delivery)]
        assert len(states) == 60 and DeliveryState.published in states and done["snapshot"]
        from connectors.http import Http
        from content_queue import posts as P
        from scheduler.engine import Engine

        with back.sessions.begin() as s:
            c = s.get(Campaign, w.campaign_id)
            P.add_post(s, c, P.PostInput(text="Từ thư mục khôi phục", to="fanpage", at=clock()),
                       media_dir=back.media_dir, now=clock() - timedelta(minutes=1))
        restored_engine = Engine(back.sessions, media_dir=back.media_dir, clock=clock,
                                 http=Http(base=server.base, timeout=(2, 5.0)), sleep=lambda s: None)
        for _ in range(5):
            restored_engine.run_pass()
            clock.advance(seconds=30)
        assert [e for e in server.sandbox.ledger if "Từ thư mục khôi phục" in e["text"]]  # the tokens work
    finally:
        w.engine_db.dispose()



def test_an_encrypted_backup_reads_nothing_alone_and_restores_with_its_passphrase(loa, channels, tmp_path,
                                                                                  monkeypatch):
    """Issue 28: `loa backup --encrypt` writes every file age-encrypted (the database, the keys, the
    media), nothing of the campaign readable on the stick; `loa restore` asks for the passphrase and
    makes a folder whose channels still hold their tokens; a wrong passphrase is refused."""
    from content_queue.models import Channel
    from loa import settings

    clip = make_video(tmp_path / "clip.mp4", seconds=2)
    assert loa("clips", "add", str(clip), "--participant", "Đoàn Văn Khải", "--age", "19",
               "--consent", "self").exit_code == 0
    target = tmp_path / "usb"
    r = loa("backup", str(target), "--encrypt", input="mot cum mat khau dai\nmot cum mat khau dai\n")
    assert r.exit_code == 0, r.output
    written = [p for p in target.rglob("*") if p.is_file()]
    assert written and all(p.name.endswith(".age") or p.name == "manifest.json" for p in written)
    raw = b"".join(p.read_bytes() for p in written)
    token = channels["facebook"]["access_token"]
    assert token.encode() not in raw and "Đoàn Văn Khải".encode() not in raw and b"SQLite format" not in raw
    assert clip.read_bytes()[:4096] not in raw
    assert not list(loa.folder.glob(".backup-*"))  # the plain copy made on the campaign's disk is gone

    r = loa("restore", str(target), "--into", str(tmp_path / "sai"), input="khong phai mat khau nay\n")
    assert r.exit_code == 1 and "not this backup's" in r.output
    r = loa("restore", str(target), "--into", str(tmp_path / "lai"), input="mot cum mat khau dai\n")
    assert r.exit_code == 0, r.output
    monkeypatch.chdir(tmp_path)
    back = settings.find(tmp_path / "lai")
    with back.sessions() as s:
        fb = s.query(Channel).filter_by(name="fanpage").one()
        assert fb.credentials["access_token"].reveal() == token
    stored = [p for p in (tmp_path / "lai" / "media").rglob("*.mp4")]
    assert stored and stored[0].read_bytes() == clip.read_bytes()
