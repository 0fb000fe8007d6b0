"""A Zalo cover from the officer's own picture: a JPEG under Zalo's limit, kept in the media store,
served on the campaign's public pages, and fetched by Zalo (the sandbox really fetches it) when an
article goes out."""
from __future__ import annotations

import json
import os

import pytest
from PIL import Image
from werkzeug.test import Client

from sandbox import Sandbox, SandboxServer
from tests.serving import served


def noisy_png(path, size=(3000, 2000)):
    """A photo-like picture far over 1 MB as a file (noise does not compress), with transparency."""
    Image.frombytes("RGBA", size, os.urandom(size[0] * size[1] * 4)).save(path)
    return path


def test_a_big_picture_becomes_a_cover_under_1_mb_served_on_the_public_pages(loa, tmp_path):
    from connectors import limits as L
    from content_queue.campaigns import portal_link
    from content_queue.models import Campaign, Channel
    from loa import settings
    from loa.portal.app import Portal

    assert loa("campaign", "set", "--public-url", "https://loa.xa.example").exit_code == 0
    sb = Sandbox()
    f = tmp_path / "zalo.json"
    f.write_text(json.dumps(sb.new_account("zalo")))
    assert loa("channel", "add", "zalo", "--name", "oa", "--credentials", str(f), "--cover-url",
               "https://example.org/bia.jpg").exit_code == 0
    picture = noisy_png(tmp_path / "bìa chiến dịch.png")
    assert picture.stat().st_size > 20 * L.ZALO_IMAGE_MAX_BYTES
    before = picture.read_bytes()
    r = loa("channel", "set", "oa", "--cover-picture", str(picture))
    assert r.exit_code == 0, r.output
    assert picture.read_bytes() == before  # the officer's file is not changed
    folder = settings.find(loa.folder)
    with folder.sessions() as s:
        campaign = s.query(Campaign).one()
        url = s.query(Channel).one().settings["cover_url"]
        base = portal_link(s, campaign)
    assert url.startswith(base + "/covers/") and url.endswith(".jpg")
    stored = folder.media_dir / "covers" / url.rsplit("/", 1)[1]
    assert stored.stat().st_size < L.ZALO_IMAGE_MAX_BYTES and oct(stored.stat().st_mode & 0o777) == "0o600"
    with Image.open(stored) as im:
        assert im.format == "JPEG" and max(im.size) <= 1600 and im.mode == "RGB"
    with folder.sessions() as s:
        campaign_id = s.query(Campaign).one().id
    portal = Client(Portal(folder.sessions, campaign_id=campaign_id, media_dir=folder.media_dir,
                           upload_dir=folder.root / "uploads"))
    path = url[len("https://loa.xa.example"):]
    got = portal.get(path)
    assert got.status_code == 200 and got.mimetype == "image/jpeg" and got.data == stored.read_bytes()
    token = path.split("/")[2]
    for wrong in ("../loa.db", "x.jpg", stored.name.replace(".jpg", ".png")):
        assert portal.get(f"/c/{token}/covers/{wrong}").status_code == 404
    assert portal.get(f"/c/not-the-token/covers/{stored.name}").status_code == 404


def test_without_a_public_address_the_cover_picture_is_refused_with_its_fix(loa, tmp_path):
    sb = Sandbox()
    f = tmp_path / "zalo.json"
    f.write_text(json.dumps(sb.new_account("zalo")))
    assert loa("channel", "add", "zalo", "--name", "oa", "--credentials", str(f), "--cover-url",
               "https://example.org/bia.jpg").exit_code == 0
    r = loa("channel", "set", "oa", "--cover-picture", str(noisy_png(tmp_path / "b.png", (400, 300))))
    assert r.exit_code == 1 and "public address" in r.output and "--public-url" in r.output
    assert "Traceback" not in r.output
    assert loa("campaign", "set", "--public-url", "https://loa.xa.example").exit_code == 0
    r = loa("channel", "set", "oa", "--cover-picture", str(tmp_path / "zalo.json"))
    assert r.exit_code == 1 and "is not a picture loa can read" in r.output and "JPEG or PNG" in r.output


@pytest.mark.slow
def test_zalo_fetches_the_made_cover_from_the_served_public_pages_and_the_article_goes_out(loa, tmp_path, monkeypatch):
    """End to end: the portal served on a loopback port as the campaign's public address; the
    sandbox's Zalo fetches the cover from it at verify (a cover it cannot read fails the article)."""
    from content_queue.models import Campaign
    from loa import settings
    from loa.portal.app import Portal

    folder = settings.find(loa.folder)
    with folder.sessions() as s:
        campaign_id = s.query(Campaign).one().id
    portal = Portal(folder.sessions, campaign_id=campaign_id, media_dir=folder.media_dir,
                    upload_dir=folder.root / "uploads")
    asked: list[str] = []

    def counting(environ, start_response):  # what Zalo (the sandbox) asked the public pages for
        asked.append(environ["PATH_INFO"])
        return portal(environ, start_response)

    with SandboxServer(Sandbox(processing_seconds=0.1)) as sandbox, served(counting) as (_server, base):
        monkeypatch.setenv("LOA_API_BASE", sandbox.base)
        assert loa("campaign", "set", "--public-url", base).exit_code == 0
        f = tmp_path / "zalo.json"
        f.write_text(json.dumps(sandbox.sandbox.new_account("zalo")))
        assert loa("channel", "add", "zalo", "--name", "oa", "--credentials", str(f), "--cover-url",
                   "https://example.org/bia.jpg").exit_code == 0
        assert loa("channel", "set", "oa", "--cover-picture", str(noisy_png(tmp_path / "bia.png"))).exit_code == 0
        assert loa("post", "add", "--title", "Không một mình", "--text", "Cùng nhau an toàn trực tuyến", "--now",
                   "--to", "zalo").exit_code == 0
        r = loa("run", "--until-idle", "--timeout", "60")
        assert r.exit_code == 0, r.output
        status = json.loads(loa("status", "--json").output)
        assert status["counts"] == {"published": 1}, status
        assert len(sandbox.sandbox.ledger) == 1
        assert [p for p in asked if "/covers/" in p] != []  # Zalo fetched the cover loa made, and took it


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(loa, tmp_path):
    """Issue 28's rule for every picture loa opens: a small file of 9500x9500 pixels would take the
    server to about 1 GB decoded; it is refused from its header, with what to give instead."""
    big = tmp_path / "bia-khong-lo.png"
    Image.new("1", (9500, 9500)).save(big)
    assert big.stat().st_size < 200_000
    sb = Sandbox()
    f = tmp_path / "zalo.json"
    f.write_text(json.dumps(sb.new_account("zalo")))
    assert loa("channel", "add", "zalo", "--name", "oa", "--credentials", str(f), "--cover-url",
               "https://example.org/bia.jpg").exit_code == 0
    assert loa("campaign", "set", "--public-url", "https://loa.xa.example").exit_code == 0
    r = loa("channel", "set", "oa", "--cover-picture", str(big))
    assert r.exit_code == 1 and "9500x9500 pixels" in r.output and "50 million" in r.output
    assert "Traceback" not in r.output
