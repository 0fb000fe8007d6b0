"""The officer's whole path in Debian's chromium, at a desktop size and at 390x844, against the
sandbox platforms: sign in, connect a Facebook Page, a Zalo OA and a TikTok account through their
consent screens, write a post with a video (its upload's progress, the refused caption, the live
preview), save it, see it on the calendar, drag it to the next day, approve it as the approver,
let the scheduler publish it, and see its links. No console error on any page; the screenshots
are written under artifacts/."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sandbox import Sandbox, SandboxServer
from tests.browser import artifact, browser
from tests.serving import served
from tests.test_workspace import PASSWORDS

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
REHEARSAL = {"LOA_FOLLOW_EVERY": "1", "LOA_RECONCILE_EVERY": "1", "LOA_PROCESSING_WINDOW": "2",
             "LOA_BACKOFF_BASE": "1", "LOA_HTTP_READ_TIMEOUT": "10"}


@contextmanager
def serve_at_its_own_address(make_app):
    """Waitress listening on a port the system gives, then serving ``make_app(base)``: the
    workspace has to know its own address (the platforms send the browser back there)."""
    with served(None) as (server, base):
        server.application = make_app(base)
        yield base


@pytest.fixture
def journey(loa, monkeypatch):
    """A fresh campaign that asks for approvals, no channel yet, its workspace served at a known
    address (the platforms send the browser back there), every platform call to the sandbox."""

    from content_queue import users
    from content_queue.store import transaction
    from loa import settings
    from loa.workspace import create_app

    monkeypatch.delenv("LOA_LANG", raising=False)
    with SandboxServer(Sandbox(processing_seconds=0.5)) as sandbox:
        monkeypatch.setenv("LOA_API_BASE", sandbox.base)
        for k, v in REHEARSAL.items():
            monkeypatch.setenv(k, v)
        assert loa("campaign", "set", "--approval", "required").exit_code == 0
        folder = settings.find(loa.folder)
        with transaction(folder.sessions) as s:
            users.add_user(s, "can-bo", "officer", PASSWORDS["can-bo"])
            users.add_user(s, "lanh-dao", "approver", PASSWORDS["lanh-dao"])
        with serve_at_its_own_address(lambda base: create_app(folder, public_url=base)) as base:
            yield folder, base, sandbox


def _sign_in(page, base: str, name: str) -> None:
    page.goto(base + "/sign-in")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _connect(page, base: str, shot: str | None, platform: str, name: str, key: str, secret: str) -> None:
    page.goto(base + "/channels")
    page.select_option("select[name=platform]", platform)
    page.fill("input[name=name]", name)
    page.fill("input[name=key]", key)
    page.fill("input[name=secret]", secret)
    page.click("text=Sang nền tảng để kết nối")
    page.wait_for_selector("button[value=allow]")  # the platform's consent screen
    if shot:
        page.screenshot(path=str(artifact(shot)), full_page=True)
    page.click("button[value=allow]")
    page.wait_for_url(base + "/channels")
    assert f"Đã kết nối kênh {name}" in page.locator(".flash.ok").inner_text()


def _fits(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"{page.url} is {scroll} px wide at {width} px"


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_officer_s_whole_path_in_the_browser(journey, size, tmp_path):
    from content_queue.models import Delivery, DeliveryState, Post
    from loa import settings
    from scheduler.engine import Engine
    from scheduler.runner import Runner, SpeedClock
    from tests.conftest import make_video

    folder, base, sandbox = journey
    name = "desktop" if size[0] > 500 else "phone"
    video = make_video(tmp_path / "video-trailer.mp4", size="540x960", seconds=4)
    zalo, tiktok = sandbox.sandbox.new_account("zalo"), sandbox.sandbox.new_account("tiktok")
    day = (datetime.now(TZ) + timedelta(days=2)).replace(hour=19, minute=30, second=0, microsecond=0)
    while day.weekday() == 6 or (day + timedelta(days=1)).month != day.month:
        day += timedelta(days=1)  # dragged to the next day: in the same week (a phone's view) and month
    errors: list[str] = []
    with browser() as b:
        page = b.new_page(viewport={"width": size[0], "height": size[1]})
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text} {m.location}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        page.on("dialog", lambda dlg: errors.append(f"dialog: {dlg.message}"))
        _sign_in(page, base, "can-bo")

        # Kênh: three accounts through their consent screens, back to the workspace each time
        _connect(page, base, f"journey-consent-{name}.png", "facebook", "fanpage-cax", "app-fb-1", "fb-secret-1")
        _connect(page, base, None, "zalo", "zalo-oa-cax", zalo["app_id"], zalo["app_secret"])
        _connect(page, base, None, "tiktok", "tiktok-doan", tiktok["client_key"], tiktok["client_secret"])
        assert page.locator(".chan").count() == 3
        _fits(page, size[0])
        page.screenshot(path=str(artifact(f"journey-channels-{name}.png")), full_page=True)

        # Bài đăng: a video post, the upload's progress, the refused caption, the live preview
        page.goto(base + "/posts/new")
        page.fill("textarea[name=text]", "Không một mình – Cùng nhau an toàn trực tuyến. " * 60)
        page.fill("input[name=title]", "Không một mình: video mở đầu chiến dịch")
        page.fill("input[name=cover_url]", "https://example.org/khong-mot-minh/bia.jpg")
        for label in ("fanpage-cax", "zalo-oa-cax", "tiktok-doan"):
            page.get_by_label(label, exact=False).check()
        page.fill("input[name=at]", day.strftime("%Y-%m-%dT%H:%M"))
        page.set_input_files("input[name=media]", str(video))
        page.wait_for_selector("#upload-state:has-text('Đã tải lên')")
        assert page.locator("input[name=upload]").input_value()
        page.wait_for_selector("#checked .problems")  # checked while typing, before any button
        assert "vượt giới hạn 2200 của TikTok" in page.locator("#checked .problems").inner_text()
        page.screenshot(path=str(artifact(f"journey-compose-refused-{name}.png")), full_page=True)
        page.locator("summary").click()
        page.fill("textarea[name=variant_tiktok_text]", "Không một mình 👀 #khongmotminh")
        # TikTok's own choices, the person's to make (its posting rules): who sees it, the music
        page.select_option("select[name=variant_tiktok_privacy]", "PUBLIC_TO_EVERYONE")
        page.check("input[name=variant_tiktok_music]")
        page.locator("#checked .problems").wait_for(state="detached")
        page.wait_for_selector("#checked .preview")
        preview = page.locator("#checked").inner_text()
        assert "như TikTok đếm" in preview and "thành Reel" in preview
        _fits(page, size[0])
        page.screenshot(path=str(artifact(f"journey-compose-preview-{name}.png")), full_page=True)
        page.click("button[value=save]")
        assert "Đã lưu bài đăng" in page.locator(".flash.ok").inner_text()
        post_url = page.url

        # Lịch đăng: on its day; dragged to the next day
        page.goto(f"{base}/calendar?date={day.date().isoformat()}")
        chip = page.locator(f'.cell[data-date="{day.date().isoformat()}"] .chip')
        assert chip.count() >= 1
        nxt = (day + timedelta(days=1)).date().isoformat()
        if name == "desktop":
            with page.expect_navigation():
                page.drag_and_drop(".chip[draggable=true]", f'.cell[data-date="{nxt}"]')
        else:  # a phone's browser does not drag (touch is not HTML drag and drop): the chip opens the post
            page.locator(".chip[draggable=true]").first.click()
            page.fill("input[name=at]", (day + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
            page.click("button:has-text('Đổi giờ')")
            assert "đã được đổi giờ" in page.locator(".flash.ok").inner_text()
            page.goto(f"{base}/calendar?date={nxt}")
            assert page.locator(f'.cell[data-date="{nxt}"] .chip').count() == 3
        if name == "desktop":
            assert "đã được đổi giờ" in page.locator(".flash.ok").inner_text()
        page.screenshot(path=str(artifact(f"journey-calendar-{name}.png")), full_page=True)
        page.click("text=Đăng xuất")

        # Chờ duyệt: the approver sees what each platform receives, and approves
        _sign_in(page, base, "lanh-dao")
        page.click("nav >> text=Chờ duyệt")
        assert "1 bài đăng đang chờ duyệt" in page.locator("main").inner_text()
        _fits(page, size[0])
        page.screenshot(path=str(artifact(f"journey-approvals-{name}.png")), full_page=True)
        page.get_by_role("button", name="Duyệt", exact=True).click()
        assert "Đã duyệt bài đăng" in page.locator(".flash.ok").inner_text()

        # the scheduler (as `loa serve` runs it), its clock at the post's new time
        with folder.sessions() as s:
            due = s.scalars(select(Post)).one().due_at
        assert due.astimezone(TZ).date().isoformat() == nxt
        env = settings.Settings.read()
        clock = SpeedClock(1.0, start=due + timedelta(minutes=1))
        engine = Engine(folder.sessions, media_dir=folder.media_dir, clock=clock, policy=env.policy(),
                        http=env.http())
        report = Runner(engine, clock, echo=lambda m: None).until_idle(timeout=120)
        assert report.published == 3, report

        # the post's page: every delivery published, with its link
        page.goto(post_url)
        links = page.locator("a", has_text="mở")
        assert links.count() == 3
        _fits(page, size[0])
        page.screenshot(path=str(artifact(f"journey-published-{name}.png")), full_page=True)
    assert errors == []
    with folder.sessions() as s:
        assert {d.state for d in s.scalars(select(Delivery))} == {DeliveryState.published}
    assert len(sandbox.sandbox.ledger) == 3 and sandbox.sandbox.duplicates() == []
