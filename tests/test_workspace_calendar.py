"""Lịch đăng: month, week and list views in the campaign's time zone, coloured by state, filtered
by channel; moving a post goes through the same rule as `loa post reschedule`; the number of SQL
statements does not grow with the campaign; drag and drop in chromium."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.browser import artifact, browser
from tests.test_workspace import count_statements, PASSWORDS, sign_in, token, ws  # noqa: F401 (fixture)
from tests.test_workspace_browser import served  # noqa: F401 (fixture)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _at(days: int, hour: int = 9) -> datetime:
    return (datetime.now(TZ) + timedelta(days=days)).replace(hour=hour, minute=30, second=0, microsecond=0)


def _add(ws, text, when: datetime, to="fanpage"):  # noqa: F811
    r = ws.loa("post", "add", "--text", text, "--at", when.strftime("%Y-%m-%d %H:%M"), "--to", to)
    assert r.exit_code == 0, r.output


def test_month_week_and_list_show_posts_in_the_campaign_s_zone(ws):  # noqa: F811
    when = _at(2)
    _add(ws, "Mẹo an toàn số", when, "fanpage,zalo-oa")
    client = ws.test_client()
    sign_in(client, "can-bo")
    month = client.get(f"/calendar?date={when.date().isoformat()}").get_data(as_text=True)
    assert "Lịch đăng" in month and f'data-date="{when.date().isoformat()}"' in month
    assert "09:30 fanpage: Mẹo an toàn số" in month and "09:30 zalo-oa: Mẹo an toàn số" in month
    assert "Chờ đăng" in month and 'draggable="true"' in month
    week = client.get(f"/calendar?view=week&date={when.date().isoformat()}").get_data(as_text=True)
    assert "09:30 fanpage: Mẹo an toàn số" in week
    listed = client.get(f"/calendar?view=list&date={when.date().isoformat()}").get_data(as_text=True)
    assert "09:30 fanpage: Mẹo an toàn số" in listed
    from content_queue.models import Channel

    with ws.folder.sessions() as s:
        zalo = s.scalar(select(Channel.id).where(Channel.name == "zalo-oa"))
    only = client.get(f"/calendar?date={when.date().isoformat()}&channel={zalo}").get_data(as_text=True)
    assert "zalo-oa: Mẹo" in only and "fanpage: Mẹo" not in only
    viewer = ws.test_client()
    sign_in(viewer, "xem")
    assert 'draggable="true"' not in viewer.get(f"/calendar?date={when.date().isoformat()}").get_data(as_text=True)


def test_the_calendar_s_statements_do_not_grow_with_the_campaign(ws):  # noqa: F811
    client = ws.test_client()
    sign_in(client, "can-bo")

    def statements() -> int:
        return count_statements(ws, client, "/calendar")

    _add(ws, "một", _at(1))
    few = statements()
    for i in range(12):
        _add(ws, f"bài {i}", _at(i % 5 + 1, 8 + i % 9), "fanpage,zalo-oa")
    assert statements() == few


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_drag_a_post_to_the_next_day(served, size):  # noqa: F811
    ws_app, base = served
    when = _at(3)
    _add(ws_app, "Kéo sang ngày mai", when)
    errors: list[str] = []
    name = "desktop" if size[0] > 500 else "phone"
    with browser() as b:
        page = b.new_page(viewport={"width": size[0], "height": size[1]})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/sign-in")
        page.fill("input[name=username]", "can-bo")
        page.fill("input[name=password]", PASSWORDS["can-bo"])
        page.click("button[type=submit]")
        page.goto(f"{base}/calendar?date={when.date().isoformat()}")
        page.screenshot(path=str(artifact(f"workspace-calendar-{name}.png")), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size[0] + 1, f"the page is {width} px wide at {size[0]} px"
        target = (when + timedelta(days=1)).date().isoformat()
        with page.expect_navigation():
            page.drag_and_drop(".chip[draggable=true]", f'.cell[data-date="{target}"]')
        assert "đã được đổi giờ" in page.locator(".flash.ok").inner_text()
        assert page.locator(f'.cell[data-date="{target}"] .chip').count() == 1
    assert errors == []
    from content_queue.models import Post

    with ws_app.folder.sessions() as s:
        moved = s.scalars(select(Post)).one().due_at.astimezone(TZ)
    assert moved.date().isoformat() == target and (moved.hour, moved.minute) == (9, 30)
