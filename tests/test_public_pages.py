"""The campaign's public pages beside the upload page, over HTTP: a participant's own withdrawal
with the code shown once, the privacy notice, the pledge wall; every refusal, and markup shown as
text. (In Debian's chromium on a throttled phone: tests/test_public_browser.py.)"""
from __future__ import annotations

import re

import pytest
from werkzeug.test import Client

from content_queue.errors import UserError

from tests.test_portal import clip, create, patch, portal, result_of  # noqa: F401 (fixtures and helpers)


def send(c: Client, portal, data: bytes, **form) -> dict:
    r = create(c, portal.token, len(data), **form)
    assert r.status_code == 201, r.text
    loc = r.headers["Location"]
    assert patch(c, loc, 0, data).status_code == 204
    return result_of(c, loc) | {"location": loc}


def test_the_withdrawal_code_is_shown_once_and_only_its_hash_is_kept(portal, clip):
    from sqlalchemy import select

    from content_queue.models import Clip, Upload

    c = Client(portal)
    got = send(c, portal, clip.read_bytes())
    assert got["status"] == "pending" and re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", got["code"])
    again = c.get(got["location"] + "/result").json
    assert again["status"] == "pending" and "code" not in again  # shown once
    with portal.folder.sessions() as s:
        stored = s.scalars(select(Clip)).one()
        assert stored.withdraw_hash and got["code"].replace("-", "") not in stored.withdraw_hash
        assert all(u.code == "" for u in s.scalars(select(Upload)))


def test_a_participant_sees_and_withdraws_their_clip_with_the_code(portal, clip, loa):
    from sqlalchemy import select

    from content_queue.models import Campaign, Clip
    from recap.plan import choose_clips

    c = Client(portal)
    code = send(c, portal, clip.read_bytes())["code"]
    [listed] = __import__("json").loads(loa("clips", "list", "--json").output)
    assert loa("clips", "approve", str(listed["id"])).exit_code == 0
    with portal.folder.sessions() as s:
        assert [x.id for x, _ in choose_clips(s, s.query(Campaign).one(), seconds=30)] == [listed["id"]]
        stored = portal.folder.media_dir / s.get(Clip, listed["id"]).media.relpath
    assert stored.is_file()
    page = f"/c/{portal.token}/withdraw"
    assert "Mã của em" in c.get(page).text or "mã" in c.get(page).text.lower()
    r = c.post(page, data={"code": code.lower().replace("-", " ")})  # as typed from a screenshot
    assert r.status_code == 200 and "Đã duyệt" in r.text and "Rút lại video" in r.text
    r = c.post(page, data={"code": code, "action": "withdraw"})  # without ticking the box: nothing happens
    assert r.status_code == 200 and stored.is_file()
    r = c.post(page, data={"code": code, "action": "withdraw", "confirm": "yes"})
    assert r.status_code == 200 and "Đã rút lại" in r.text
    assert not stored.exists()  # the video left the store at once
    with portal.folder.sessions() as s:
        clip_row = s.get(Clip, listed["id"])
        assert clip_row.status.value == "withdrawn" and "mã" in clip_row.reason  # the officer sees why
        with pytest.raises(UserError, match="No clip can go into a public recap"):  # no recap picks it now
            choose_clips(s, s.query(Campaign).one(), seconds=30)
    [listed] = __import__("json").loads(loa("clips", "list", "--json").output)
    assert listed["status"] == "withdrawn"
    assert c.post(page, data={"code": code}).status_code == 200  # the state can still be seen


def test_a_wrong_code_is_a_404_that_says_nothing_about_other_clips(portal, clip):
    c = Client(portal)
    send(c, portal, clip.read_bytes())
    page = f"/c/{portal.token}/withdraw"
    wrong = c.post(page, data={"code": "ABCD-EFGH-JKLM"})
    malformed = c.post(page, data={"code": "<script>alert(1)</script>"})
    empty = c.post(page, data={})
    assert wrong.status_code == malformed.status_code == empty.status_code == 404
    assert wrong.text == malformed.text == empty.text  # the same answer, whatever was tried
    assert "<script>alert(1)" not in malformed.text
    assert c.post(f"/c/wrong-token/withdraw", data={"code": "ABCD-EFGH-JKLM"}).status_code == 404


def test_withdrawal_lookups_are_limited_per_address_and_hour(portal):
    c = Client(portal)
    page = f"/c/{portal.token}/withdraw"
    answers = [c.post(page, data={"code": "ABCD-EFGH-JKLM"}).status_code for _ in range(31)]
    assert answers[:30] == [404] * 30 and answers[30] == 429
    other = Client(portal)  # another phone
    assert other.post(page, data={"code": "ABCD-EFGH-JKLM"}, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 404


def test_the_privacy_notice_is_linked_from_every_form_and_says_how_long(portal, loa):
    assert loa("campaign", "set", "--help-line", "Công an xã: 0269 3812 345").exit_code == 0
    c = Client(portal)
    r = c.get(f"/c/{portal.token}/privacy")
    assert r.status_code == 200 and "0269 3812 345" in r.text and "90 ngày" in r.text
    assert "không bao giờ" in r.text.lower()  # never asked: phone, address, e-mail
    for page in ("", "/withdraw"):
        assert f"/c/{portal.token}/privacy" in c.get(f"/c/{portal.token}{page}").text, page
    assert r.headers["Cache-Control"] == "no-store" and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_a_withdrawn_clip_in_a_published_recap_is_listed_for_the_officer_to_take_down(portal, clip, loa, channels):
    """The participant withdraws a clip that is in a recap already out: `loa status` and the
    workspace's overview say which recap to take down, with its public links."""
    import json
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import select

    from content_queue.models import Campaign, Delivery, DeliveryState, Post, Recap
    from content_queue.store import transaction

    c = Client(portal)
    code = send(c, portal, clip.read_bytes())["code"]
    [listed] = json.loads(loa("clips", "list", "--json").output)
    soon = (datetime.now(timezone.utc) + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M")
    assert loa("post", "add", "--text", "Video tóm tắt thử thách", "--at", soon, "--to", "fanpage").exit_code == 0
    with transaction(portal.folder.sessions) as s:
        campaign = s.query(Campaign).one()
        recap = Recap(campaign_id=campaign.id, clip_ids={"ids": [listed["id"]]}, settings={"format": "vertical"})
        s.add(recap)
        s.flush()
        post = s.scalars(select(Post)).one()
        post.source = f"recap {recap.id}"
        d = s.scalars(select(Delivery)).one()
        d.state, d.remote_url = DeliveryState.published, "https://www.facebook.com/1001/posts/99"
        d.published_at = datetime.now(timezone.utc)
        recap_id = recap.id
    assert json.loads(loa("status", "--json").output)["take_down"] == []
    r = c.post(f"/c/{portal.token}/withdraw", data={"code": code})
    assert "đã đăng" in r.text  # the participant is told the recap is out
    c.post(f"/c/{portal.token}/withdraw", data={"code": code, "action": "withdraw", "confirm": "yes"})
    [item] = json.loads(loa("status", "--json").output)["take_down"]
    assert item == {"recap": recap_id, "links": ["https://www.facebook.com/1001/posts/99"], "clips": [listed["id"]]}
    text = loa("status").output
    assert f"Recap {recap_id} is public" in text and "https://www.facebook.com/1001/posts/99" in text


from tests.conftest import channels  # noqa: E402,F401 (fixture)


PHONES = iter(range(1, 10_000))


def wall(c: Client, portal, phone: int | None = None, **form):
    """Sign the wall, each time from another phone (the limit per address has its own test)."""
    address = f"10.1.{(phone or next(PHONES)) // 250}.{(phone or next(PHONES)) % 250}"
    return c.post(f"/c/{portal.token}/wall", data=form, environ_base={"REMOTE_ADDR": address})


def test_signing_the_wall_waits_for_the_officer_and_a_minor_shows_only_a_first_name(portal, loa):
    """A 14-year-old signs: a full name is refused (under the guardian age), the first name is
    kept (only it: the full name is not stored), the signature waits for `loa pledge approve`,
    then shows on the wall with the school's count; the report counts it."""
    import json

    from sqlalchemy import select

    from content_queue.models import Pledge

    c = Client(portal)
    r = wall(c, portal, name="Nguyễn Thị Hoa", style="full", organisation="THCS Kon Chiêng", age_band="12-15")
    assert r.status_code == 400 and "Dưới 16 tuổi" in r.text
    r = wall(c, portal, name="Nguyễn Thị Hoa", style="first", organisation="THCS Kon Chiêng", age_band="12-15")
    assert r.status_code == 200 and "Cảm ơn Hoa" in r.text and "ban tổ chức xem xong" in r.text
    with portal.folder.sessions() as s:
        stored = s.scalars(select(Pledge)).one()
    assert (stored.name, stored.status.value) == ("Hoa", "pending")  # the full name never stored
    page = c.get(f"/c/{portal.token}/wall").text
    assert "Hoa" not in page.split("Những chữ ký mới nhất")[-1] and ">0<" in page  # not on the wall yet
    [row] = json.loads(loa("pledge", "list", "--status", "pending", "--json").output)
    assert loa("pledge", "approve", str(row["id"])).exit_code == 0
    page = c.get(f"/c/{portal.token}/wall").text
    assert "<b>Hoa</b>" in page and "THCS Kon Chiêng: <b>1</b>" in page
    data = json.loads(loa("report", "--format", "json").output)
    assert data["pledges"]["approved"] == 1 and data["pledges"]["by_school"] == {"THCS Kon Chiêng": 1}
    assert "1 on the wall" in loa("report").output


def test_the_wall_refuses_what_it_must_and_shows_markup_as_text(portal, loa):
    c = Client(portal)
    assert wall(c, portal, name="", style="first", age_band="19-24").status_code == 400
    r = wall(c, portal, name="A" * 61, style="full", age_band="19-24")
    assert r.status_code == 400 and "tối đa 60" in r.text
    r = wall(c, portal, name="Lan 0912 345 678", style="full", age_band="19-24")
    assert r.status_code == 400 and "số điện thoại" in r.text
    r = wall(c, portal, name="lan@example.com", style="full", age_band="19-24")
    assert r.status_code == 400
    assert wall(c, portal, name="Lan", style="full", age_band="99").status_code == 400
    assert c.post(f"/c/{portal.token}/wall", data={"name": "x" * 20000}).status_code == 413
    hostile = '<img src=x onerror=alert(1)>'
    assert loa("pledge", "set-text", "Em cam kết <b>an toàn</b>", "--auto").exit_code == 0
    r = wall(c, portal, name=f"Minh {hostile}", style="full", organisation=f"<script>x</script>", age_band="19-24")
    assert r.status_code == 200, r.text
    page = c.get(f"/c/{portal.token}/wall").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>x</script>" not in page and "&lt;b&gt;an toàn&lt;/b&gt;" in page  # shown at once, as text
    r = wall(c, portal, name="Tuấn vcl", style="full", organisation="THPT", age_band="19-24")
    assert "ban tổ chức xem xong" in r.text  # held back by the word list although signatures show at once
    assert "Tuấn" not in c.get(f"/c/{portal.token}/wall").text


def test_signatures_are_limited_per_address_and_hour(portal):
    c = Client(portal)
    answers = [wall(c, portal, phone=7, name=f"Bạn {i}", style="first", age_band="19-24").status_code
               for i in range(6)]
    assert answers == [200] * 5 + [429]  # the portal fixture allows 5 an hour


def test_the_wall_pages_newest_first(portal, loa):
    from datetime import datetime, timedelta, timezone

    from content_queue import pledges as P
    from content_queue.models import Campaign
    from content_queue.store import transaction

    t0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with transaction(portal.folder.sessions) as s:
        campaign = s.query(Campaign).one()
        campaign.pledge_auto = True
        for i in range(65):
            P.sign(s, campaign, P.Signature(f"Bạn Số{i}", "first", "THCS Kon Chiêng", "19-24"), now=t0 + timedelta(minutes=i))
    c = Client(portal)
    first = c.get(f"/c/{portal.token}/wall").text
    assert "Số64" in first and "Số35" in first and "Số34" not in first and "Trang 1/3" in first
    last = c.get(f"/c/{portal.token}/wall?page=3").text
    assert "Số0<" in last and "Số5<" not in last
    assert c.get(f"/c/{portal.token}/wall?page=abc").status_code == 200


def png(path, size=(1080, 1080), alpha=True, fmt="PNG"):
    from PIL import Image, ImageDraw

    img = Image.new("RGBA" if alpha else "RGB", size, (20, 40, 90, 255) if alpha else (20, 40, 90))
    if alpha:
        ImageDraw.Draw(img).ellipse([100, 100, size[0] - 100, size[1] - 100], fill=(0, 0, 0, 0))
    img.save(path, fmt)
    return path


def test_loa_frame_set_checks_the_file_and_never_changes_it(loa, tmp_path):
    import hashlib

    for bad, said in ((png(tmp_path / "small.png", (800, 800)), "at least 1000x1000"),
                      (png(tmp_path / "flat.png", alpha=False), "no transparent part"),
                      (png(tmp_path / "wide.png", (1400, 1080)), "not square"),
                      (png(tmp_path / "photo.jpg", alpha=False, fmt="JPEG"), "not PNG")):
        r = loa("frame", "set", str(bad))
        assert r.exit_code == 1 and said in r.output and "Traceback" not in r.output, r.output
    (tmp_path / "notes.png").write_text("not a picture", encoding="utf-8")
    assert "not a picture loa can read" in loa("frame", "set", str(tmp_path / "notes.png")).output
    good = png(tmp_path / "khung.png", (2000, 2000))
    before = hashlib.sha256(good.read_bytes()).hexdigest()
    r = loa("frame", "set", str(good), "--out", str(tmp_path / "served.png"))
    assert r.exit_code == 0, r.output
    assert hashlib.sha256(good.read_bytes()).hexdigest() == before
    from PIL import Image

    served = Image.open(tmp_path / "served.png")
    assert served.size == (1080, 1080) and served.convert("RGBA").getpixel((540, 540))[3] == 0
    assert loa("frame", "set", "--default").exit_code == 0
    assert loa("frame", "set").exit_code == 1


def test_the_frame_page_counts_downloads_and_takes_no_data(portal, loa):
    import json

    c = Client(portal)
    page = c.get(f"/c/{portal.token}/frame")
    assert page.status_code == 200 and "Ảnh của em chỉ nằm trên điện thoại" in page.text
    assert "#khongmotminh" in page.text  # the caption to post with it
    image = c.get(f"/c/{portal.token}/frame.png")
    assert image.status_code == 200 and image.data[:8] == b"\x89PNG\r\n\x1a\n" and len(image.data) < 60 * 1024
    assert c.post(f"/c/{portal.token}/frame-downloaded", data=b"x" * 1000).status_code == 413  # no data, ever
    for _ in range(3):
        assert c.post(f"/c/{portal.token}/frame-downloaded").status_code == 204
    assert c.get(f"/c/{portal.token}/frame-downloaded").status_code == 405
    assert json.loads(loa("report", "--format", "json").output)["frame_downloads"] == 3


def test_every_public_page_refuses_framing_and_other_sites_forms_and_runs_no_inline_script(portal, loa):
    """The upload page, the wall, the frame, the withdrawal page, the privacy notice and a 404: one
    policy (no inline script, forms sent only here, never framed); the scripts are loa's files."""
    c = Client(portal)
    base = f"/c/{portal.token}"
    for page in ("", "/wall", "/frame", "/withdraw", "/privacy", "/no-such-page"):
        r = c.get(base + page)
        if r.mimetype != "text/html":
            continue
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp and "script-src 'self'" in csp, page
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], page
        assert "Strict-Transport-Security" not in r.headers  # plain http here
        for tag in re.findall(r"<script\b[^>]*>", r.text):
            assert "src=" in tag or 'type="application/json"' in tag, (page, tag)
        for src in re.findall(r'<script src="([^"]+)"', r.text):
            js = c.get(src)
            assert js.status_code == 200 and js.mimetype == "text/javascript" and b"function" in js.data, src
    assert c.get(base + "/js/../app.py").status_code == 404 and c.get(base + "/js/nothing.js").status_code == 404
    assert loa("campaign", "set", "--public-url", "https://loa.congan-xa.example").exit_code == 0
    r = c.get(base + "/privacy")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
