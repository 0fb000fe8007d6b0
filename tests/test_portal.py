"""The upload portal over HTTP: every refusal, a resumed upload, and the page in headless Chromium."""
from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, timedelta

import pytest
from werkzeug.test import Client

from tests.browser import artifact, browser
from tests.conftest import make_video


def meta(**form) -> str:
    base = {"name": "Nguyễn Thị Hoa", "school": "THCS Kon Chiêng", "class": "8A", "age": "17", "display": "first",
            "selfConfirmed": "yes", "filename": "VID_2025.mp4"}
    base.update(form)
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in base.items())


@pytest.fixture
def portal(loa):
    from content_queue.models import Campaign
    from loa import settings
    from loa.portal.app import Portal, ensure_token

    folder = settings.find()
    with folder.sessions() as s:
        cid = s.query(Campaign).one().id
    token = ensure_token(folder.sessions, cid)
    app = Portal(folder.sessions, campaign_id=cid, media_dir=folder.media_dir, upload_dir=folder.root / "uploads",
                 max_bytes=50 * 1024 * 1024, per_address=5)
    app.token = token
    app.folder = folder
    return app


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("p") / "clip.mp4", size="360x640", seconds=3)


def create(c: Client, token: str, length: int, **form):
    return c.post(f"/c/{token}/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(length),
                                                  "Upload-Metadata": meta(**form)})


def patch(c: Client, location: str, offset: int, data: bytes):
    return c.patch(location, data=data, headers={"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
                                                 "Content-Type": "application/offset+octet-stream"})


def result_of(c: Client, location: str, timeout: float = 30.0) -> dict:
    """The upload's result once the server has checked it (off the request: "checking" meanwhile)."""
    import time

    end = time.monotonic() + timeout
    while True:
        got = c.get(location + "/result").json
        if got["status"] not in ("checking", "uploading") or time.monotonic() > end:
            return got
        time.sleep(0.05)


def test_page_in_vietnamese_and_wrong_token_is_404(portal):
    c = Client(portal)
    r = c.get(f"/c/{portal.token}")
    assert r.status_code == 200 and "Gửi video" in r.text and "Không một mình" in r.text
    assert c.get("/c/wrong-token").status_code == 404
    assert c.get("/").status_code == 404
    assert create(c, "wrong-token", 10).status_code == 404


def test_whole_upload_lands_as_clip_awaiting_review(portal, clip, loa):
    c = Client(portal)
    data = clip.read_bytes()
    r = create(c, portal.token, len(data))
    assert r.status_code == 201
    loc = r.headers["Location"]
    r = patch(c, loc, 0, data)
    assert r.status_code == 204 and r.headers["Upload-Offset"] == str(len(data))
    result = result_of(c, loc)
    assert result["status"] == "pending"
    [listed] = json.loads(loa("clips", "list", "--json").output)
    assert listed["status"] == "pending" and listed["source"] == "portal" and listed["shown_as"] == "Hoa"


def test_resumed_upload_is_identical_to_the_original(portal, clip, loa):
    c = Client(portal)
    data = clip.read_bytes()
    loc = create(c, portal.token, len(data)).headers["Location"]
    half = len(data) // 2
    assert patch(c, loc, 0, data[:half]).status_code == 204
    # the connection broke: the page asks how far it got, and goes on from there
    head = c.head(loc, headers={"Tus-Resumable": "1.0.0"})
    assert head.headers["Upload-Offset"] == str(half)
    assert patch(c, loc, 0, data).status_code == 409  # never from zero again
    assert patch(c, loc, half, data[half:]).status_code == 204
    clip_id = result_of(c, loc)["clip"]
    shown = json.loads(loa("clips", "show", str(clip_id), "--json").output)
    assert shown["sha256"] == hashlib.sha256(data).hexdigest()
    stored = portal.folder.media_dir / shown["sha256"][:2] / (shown["sha256"] + ".mp4")
    assert stored.read_bytes() == data


def test_refusals(portal, clip, monkeypatch):
    c = Client(portal)
    assert create(c, portal.token, 60 * 1024 * 1024).status_code == 413  # over the size limit
    assert create(c, portal.token, 0).status_code == 400
    r = create(c, portal.token, 100, age="14")  # under 16 without a guardian
    assert r.status_code == 400 and "cha mẹ" in r.json["error"]
    r = create(c, portal.token, 100, age="14", guardian="Nguyễn Văn Nam", guardianConfirmed="yes")
    assert r.status_code == 201
    loc = r.headers["Location"]
    assert patch(c, loc, 0, b"x" * 150).status_code == 413  # more than declared, refused while streaming
    r = c.post(f"/c/{portal.token}/uploads", headers={"Upload-Length": "10", "Upload-Metadata": meta()})
    assert r.status_code == 412  # not a tus client


def test_rate_limit_per_address(portal):
    c = Client(portal)
    codes = [create(c, portal.token, 100).status_code for _ in range(7)]
    assert codes[:5] == [201] * 5 and codes[5:] == [429, 429]


def test_closed_after_the_campaign_end(portal, loa):
    loa("campaign", "set", "--end", (date.today() - timedelta(days=2)).isoformat())
    c = Client(portal)
    r = create(c, portal.token, 100)
    assert r.status_code == 410 and "đã kết thúc" in r.json["error"]
    assert "đã kết thúc" in c.get(f"/c/{portal.token}").text


def test_content_is_probed_not_trusted_and_names_never_paths(portal, loa):
    c = Client(portal)
    fake = "Đây là văn bản, không phải video".encode() * 10
    loc = create(c, portal.token, len(fake), filename="../../../etc/passwd.mp4").headers["Location"]
    patch(c, loc, 0, fake)
    result = result_of(c, loc)
    assert result["status"] == "rejected" and "không phải tệp video" in result["reason"]  # Vietnamese end to end
    shown = json.loads(loa("clips", "show", str(result["clip"]), "--json").output)
    assert shown["file"] == "passwd.mp4"
    assert not (portal.folder.root.parent / "etc").exists()
    assert list((portal.folder.root / "uploads").iterdir()) == []  # nothing left half-way


@pytest.mark.slow
def test_phone_browser_sends_a_clip(portal, clip, loa):

    from tests.serving import served

    errors: list[str] = []
    with served(portal, threads=2) as (_server, base), browser() as b:
        page = b.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                          has_touch=True, locale="vi-VN")
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/c/{portal.token}")
        page.fill("#name", "Trần Minh Khang")
        page.fill("#school", "THCS Kon Chiêng")
        page.fill("#class", "9B")
        page.fill("#age", "15")
        assert page.locator('#display option[value="full"]').is_disabled()  # under 16: never the full name
        page.fill("#guardian", "Trần Thị Lan")
        page.check("#guardianConfirmed")
        page.set_input_files("#file", str(clip))
        page.screenshot(path=str(artifact("portal-form.png")), full_page=True)
        page.click("#send")
        page.wait_for_selector("#done", state="visible", timeout=30000)
        assert "Cảm ơn em" in page.inner_text("#done")
        page.screenshot(path=str(artifact("portal-done.png")), full_page=True)
    assert errors == []
    [listed] = json.loads(loa("clips", "list", "--json").output)
    assert listed["status"] == "pending" and listed["participant"] == "Khang"  # 15: the given name only is kept
    assert listed["display"] == "first" and listed["consent"] == "guardian" and listed["guardian"] == "Trần Thị Lan"


def test_portal_link_and_qr(loa):
    from PIL import Image

    r = loa("portal", "link", "--public-url", "https://video.example.org/")
    assert r.exit_code == 0, r.output
    url = r.output.splitlines()[0]
    assert url.startswith("https://video.example.org/c/") and len(url.rsplit("/", 1)[1]) >= 20
    qr = loa.folder / "portal-qr.png"
    assert Image.open(qr).size[0] > 200
    assert _qr_modules(qr) == _modules_of(url)  # the picture carries exactly the printed link
    assert _qr_modules(qr) != _modules_of(url + "x")
    again = loa("portal", "link", "--public-url", "https://video.example.org").output.splitlines()[0]
    assert again == url  # the token is made once and kept


def _qr_modules(png, box: int = 12, border: int = 4) -> list[list[bool]]:
    """Read the QR code's dark and light modules off the picture (the centre pixel of each box)."""
    from PIL import Image

    img = Image.open(png).convert("L")
    n = img.size[0] // box - 2 * border
    return [[img.getpixel(((border + x) * box + box // 2, (border + y) * box + box // 2)) < 128 for x in range(n)]
            for y in range(n)]


def _modules_of(text: str) -> list[list[bool]]:
    """The modules a QR code of ``text`` has (its matrix, without the quiet zone)."""
    import qrcode

    q = qrcode.QRCode(border=0)
    q.add_data(text)
    q.make(fit=True)
    return [list(row) for row in q.get_matrix()]


def test_stored_text_is_escaped_on_the_public_page(portal, loa):
    """The campaign's own words, whatever they hold, are text on the page: never markup, never a
    way out of the script that carries the settings."""
    hostile = 'Chiến dịch </script><script>alert(1)</script> <img src=x onerror=alert(2)> "&'
    assert loa("campaign", "set", "--name", hostile, "--message", hostile).exit_code == 0
    r = Client(portal).get(f"/c/{portal.token}")
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in r.text  # the title, escaped
    assert r.text.count("</script>") == 2  # only the page's data block and its script file end


def test_the_last_chunk_returns_before_the_check_and_a_check_is_claimed_once(portal, clip, loa):
    """The video is probed off the request: the last chunk's answer comes first, the result says
    "checking" until it is done; a complete upload is claimed by one worker only (a second portal
    on the same database, as a second process would be, does not check it again)."""
    import threading

    from loa.portal.app import Portal

    c = Client(portal)
    data = clip.read_bytes()
    loc = create(c, portal.token, len(data)).headers["Location"]
    upload_id = loc.rsplit("/", 1)[1]
    gate = threading.Event()
    real_finish = portal._finish

    def slow_finish(uid):  # the check takes its time (a long video, a slow disk)
        gate.wait(10)
        real_finish(uid)

    portal._finish = slow_finish
    assert patch(c, loc, 0, data).status_code == 204  # answered while the check waits
    assert c.get(loc + "/result").json["status"] == "checking"
    other = Portal(portal.sessions, campaign_id=portal.campaign_id, media_dir=portal.media_dir,
                   upload_dir=portal.upload_dir)  # another process would find it claimed
    assert other._claim(upload_id) is False
    gate.set()
    assert result_of(c, loc)["status"] == "pending"
    [listed] = json.loads(loa("clips", "list", "--json").output)
    assert listed["source"] == "portal"  # one clip, not two
