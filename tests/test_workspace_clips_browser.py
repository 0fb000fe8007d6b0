"""The clips and the recap in Debian's chromium, against the sandbox platforms: review generated
clips (one plays: the video element's time advances; one approved, one rejected with a reason, one
withdrawn), build a recap of four clips, reorder two by dragging, render it (a job, its progress
live), watch it, publish it to the sandbox channels, let the scheduler send it, and find its links
on the report page. No console error; screenshots under artifacts/."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from sandbox import Sandbox, SandboxServer
from tests.browser import artifact, browser
from tests.conftest import make_video
from tests.test_workspace import PASSWORDS
from tests.test_workspace_journey import REHEARSAL, _fits, _sign_in, serve_at_its_own_address

PEOPLE = [("Nguyễn Thị Hoa", "THCS Kon Chiêng", 17), ("Lê Văn Tám", "THPT Ia Grai", 18),
          ("Rơ Châm Hiếu", "THCS Kon Chiêng", 19), ("Đinh Thị Mai", "THPT Ia Grai", 20),
          ("Phạm Minh Khôi", "THCS Ia Der", 21), ("Siu H'Nhung", "THCS Ia Der", 22)]


@pytest.fixture
def studio(loa, monkeypatch, tmp_path):
    """A campaign with its three sandbox channels, six clips sent in (none reviewed), the workspace
    served with its job runner."""

    from content_queue import users
    from content_queue.store import transaction
    from loa import settings
    from loa.jobs import JobRunner
    from loa.workspace import create_app

    monkeypatch.delenv("LOA_LANG", raising=False)
    with SandboxServer(Sandbox(processing_seconds=0.5)) as sandbox:
        monkeypatch.setenv("LOA_API_BASE", sandbox.base)
        for k, v in REHEARSAL.items():
            monkeypatch.setenv(k, v)
        for platform, name, extra in (("facebook", "fanpage-cax", []),
                                      ("zalo", "zalo-oa-cax", ["--cover-url", "https://example.org/bia.jpg"]),
                                      ("tiktok", "tiktok-doan", [])):
            f = tmp_path / f"{platform}.json"
            f.write_text(json.dumps(sandbox.sandbox.new_account(platform)), encoding="utf-8")
            assert loa("channel", "add", platform, "--name", name, "--credentials", str(f), *extra).exit_code == 0
        for i, (name, school, age) in enumerate(PEOPLE):
            video = make_video(tmp_path / f"clip-{i}.mp4", seconds=3 + 0.2 * i, size="540x960")  # each its own file
            r = loa("clips", "add", str(video), "--participant", name, "--school", school, "--age", str(age),
                    "--consent", "self")
            assert r.exit_code == 0, r.output
        folder = settings.find(loa.folder)
        with transaction(folder.sessions) as s:
            users.add_user(s, "can-bo", "officer", PASSWORDS["can-bo"])
        with serve_at_its_own_address(lambda base: create_app(folder, public_url=base)) as base:
            jobs = JobRunner(folder, poll=0.3).start()
            try:
                yield folder, base, sandbox
            finally:
                jobs.stop()


def _playing(page, selector: str) -> float:
    """Play the video muted and return how far it got after a moment (seconds)."""
    video = page.locator(selector)
    video.evaluate("v => { v.muted = true; return v.play(); }")
    time.sleep(1.2)
    return video.evaluate("v => v.currentTime")


@pytest.mark.slow
def test_review_clips_build_render_and_publish_a_recap_in_the_browser(studio):
    from content_queue.models import Clip, ClipStatus, Delivery, DeliveryState, Post
    from loa import settings
    from scheduler.engine import Engine
    from scheduler.runner import Runner, SpeedClock

    folder, base, sandbox = studio
    errors: list[str] = []
    with browser() as b:
        phone = b.new_page(viewport={"width": 390, "height": 844})
        _sign_in(phone, base, "can-bo")
        phone.goto(base + "/clips")
        _fits(phone, 390)
        phone.screenshot(path=str(artifact("clips-gallery-phone.png")), full_page=True)
        phone.close()

        page = b.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text} {m.location}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        _sign_in(page, base, "can-bo")
        page.click("nav >> text=Video hưởng ứng")
        assert page.locator(".clip").count() == 6
        page.screenshot(path=str(artifact("clips-gallery-desktop.png")), full_page=True)

        # one clip plays in the page, seeking works (range requests), then it is approved
        page.locator(".clip", has_text="Hoa").click()
        assert _playing(page, "video") > 0.3
        page.screenshot(path=str(artifact("clips-clip-desktop.png")), full_page=True)
        page.get_by_role("button", name="Duyệt", exact=True).click()
        assert "Đã duyệt video" in page.locator(".flash.ok").inner_text()
        # one rejected with a reason, one withdrawn (the participant asked)
        page.goto(base + "/clips")
        page.locator(".clip", has_text="Khôi").click()
        page.fill("input[name=reason]", "Lộ số điện thoại trong video")
        page.get_by_role("button", name="Loại", exact=True).click()
        page.goto(base + "/clips")
        page.locator(".clip", has_text="H'Nhung").click()
        withdrawn = page.url.rstrip("/").rsplit("/", 1)[1]
        page.get_by_role("button", name="Rút lại (người tham gia yêu cầu)").click()
        assert "Đã rút lại video" in page.locator(".flash.ok").inner_text()
        assert page.locator("video").count() == 0  # its page no longer offers the erased file
        # the file is erased at once, under the page that was playing it: a range request the
        # browser still had in flight is refused (logged as a 404), and nothing else is
        errors[:] = [e for e in errors if f"/clips/{withdrawn}/video" not in e or "404" not in e]
        page.goto(base + "/clips?status=rejected")
        assert "Lộ số điện thoại trong video" in page.locator("main").inner_text()
        with folder.sessions() as s:
            for c in s.scalars(select(Clip).where(Clip.status == ClipStatus.pending)):  # the other three
                ids = c.id
        assert ids
        for name in ("Tám", "Hiếu", "Mai"):
            page.goto(base + "/clips?status=pending")
            page.locator(".clip", has_text=name).click()
            page.get_by_role("button", name="Duyệt", exact=True).click()

        # Video tóm tắt: four clips in the strip; the second dragged before the first; render
        page.click("nav >> text=Video tóm tắt")
        strip = page.locator("#strip li[data-clip]")
        assert strip.count() == 4
        before = [strip.nth(i).get_attribute("data-clip") for i in range(4)]
        page.drag_and_drop("#strip li[data-clip]:nth-child(2)", "#strip li[data-clip]:nth-child(1)")
        after = [strip.nth(i).get_attribute("data-clip") for i in range(4)]
        assert after == [before[1], before[0], before[2], before[3]]
        page.select_option("select[name=fmt]", "square")
        page.screenshot(path=str(artifact("recap-builder-desktop.png")), full_page=True)
        page.click("button[value=render]")
        assert "Đang dựng video tóm tắt" in page.locator(".flash.ok").inner_text()
        page.wait_for_selector("#recap-1 video", timeout=180_000)  # the page reloads when the job ends
        assert _playing(page, "#recap-1 video") > 0.3
        page.screenshot(path=str(artifact("recap-made-desktop.png")), full_page=True)
        with folder.sessions() as s:
            from content_queue.models import Recap

            assert [str(i) for i in s.get(Recap, 1).clip_ids["ids"]] == after

        # published through the ordinary queue, sent by the scheduler
        page.locator("#recap-1 summary").click()
        page.check("#recap-1 input[name=now]")
        page.select_option("#recap-1 select[name=variant_tiktok_privacy]", "PUBLIC_TO_EVERYONE")
        page.check("#recap-1 input[name=variant_tiktok_allow][value=comment]")
        page.check("#recap-1 input[name=variant_tiktok_music]")
        page.locator("#recap-1 .tiktok").screenshot(path=str(artifact("recap-publish-tiktok-desktop.png")))
        page.locator("#recap-1").get_by_role("button", name="Đưa vào lịch đăng").click()
        assert "Đã đưa video tóm tắt 1 vào lịch đăng" in page.locator(".flash.ok").inner_text()
        env = settings.Settings.read()
        clock = SpeedClock(1.0)
        engine = Engine(folder.sessions, media_dir=folder.media_dir, clock=clock, policy=env.policy(),
                        http=env.http())
        report = Runner(engine, clock, echo=lambda m: None).until_idle(timeout=180)
        assert report.published == 3, report
        with folder.sessions() as s:
            links = [d.remote_url for d in s.scalars(select(Delivery).join(Post).where(Post.source == "recap 1"))
                     if d.state is DeliveryState.published]
        assert len(links) == 3

        # Báo cáo: the recap and its links
        page.click("nav >> text=Báo cáo")
        recaps = page.locator("#video-tom-tat").inner_text()
        assert all(link in recaps for link in links), (links, recaps)
        page.screenshot(path=str(artifact("report-desktop.png")), full_page=True)
    assert errors == []
