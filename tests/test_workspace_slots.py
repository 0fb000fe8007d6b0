"""The slots and series in the workspace: the officer sets a channel's posting slots on the
channels page (the same rule as `loa channel slots`), the calendar shows the free slots and each
series as one row of its entries, and the composer puts a post in the next free slots."""
from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from tests.test_workspace import sign_in, token, ws  # noqa: F401 (fixture and helpers)


def test_slots_on_the_channels_page_the_calendar_and_the_composer(ws):
    from content_queue import series as SE
    from content_queue.models import Campaign, Channel, Post
    from content_queue.store import transaction

    with transaction(ws.folder.sessions) as s:
        s.query(Campaign).one().ends_on = date(2031, 12, 31)
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/channels").get_data(as_text=True)
    with ws.folder.sessions() as s:
        fb = s.query(Channel).filter(Channel.name == "fanpage").one().id
    r = client.post(f"/channels/{fb}/slots", data={"csrf_token": token(page), "slots": "t3,t6 19h"},
                    follow_redirects=True)
    assert "khung giờ đăng tue,fri 19:00" in r.get_data(as_text=True)
    r = client.post(f"/channels/{fb}/slots", data={"csrf_token": token(page), "slots": "thu2 19:00"},
                    follow_redirects=True)
    assert "không phải là ngày" in r.get_data(as_text=True)  # the CLI's rule and words
    cal = client.get("/calendar?view=week").get_data(as_text=True)
    assert "19:00 fanpage: khung trống" in cal
    compose = client.get("/posts/new").get_data(as_text=True)
    r = client.post("/posts/new", data={"csrf_token": token(compose), "text": "Mẹo: đừng gửi ảnh cho người lạ",
                                        "to": ["fanpage"], "next_slot": "1", "action": "save"}, follow_redirects=True)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    with ws.folder.sessions() as s:
        post = s.query(Post).one()
        local = post.due_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
        assert post.queued and local.weekday() in (1, 4) and (local.hour, local.minute) == (19, 0)
        c = s.query(Campaign).one()
    with transaction(ws.folder.sessions) as s:
        c = s.query(Campaign).one()
        SE.add_series(s, c, "Mẹo an toàn", slots="sun 09:00", to="fanpage", title="Mẹo an toàn số {n}",
                      items=[SE.Entry(text="Mẹo 1"), SE.Entry(text="Mẹo 2")], media_dir=ws.folder.media_dir,
                      now=ws.clock())
    cal = client.get("/calendar").get_data(as_text=True)
    row = re.search(r'<div class="srow"><b>Mẹo an toàn</b>.*?</div></div>', cal, re.S).group(0)
    assert row.count('class="entry"') == 2 and "sun 09:00" in row


def test_the_overview_warns_when_a_series_runs_out_before_the_campaign_ends(ws):
    from content_queue import series as SE
    from content_queue.models import Campaign
    from content_queue.store import transaction

    with transaction(ws.folder.sessions) as s:
        c = s.query(Campaign).one()
        c.ends_on = date(2031, 12, 31)
        SE.add_series(s, c, "Hỏi đáp", slots="daily 19:00", to="fanpage", items=[SE.Entry(text="Câu 1")],
                      media_dir=ws.folder.media_dir, now=ws.clock())
    client = ws.test_client()
    sign_in(client, "can-bo")
    home = client.get("/").get_data(as_text=True)
    assert "Chuyên mục &#39;Hỏi đáp&#39; hết bài từ" in home or "Chuyên mục 'Hỏi đáp' hết bài từ" in home
