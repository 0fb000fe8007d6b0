"""Trang công khai in the workspace: the officer approves the wall's signatures (the same rule as
`loa pledge approve`), sets the pledge, its moderation and how long what people sent is kept (the
privacy notice then says so); a withdrawn clip in a public recap shows on the overview."""
from __future__ import annotations

from werkzeug.test import Client

from tests.test_workspace import sign_in, token, ws  # noqa: F401 (fixture and helpers)


def test_the_officer_approves_signatures_and_sets_the_pledge_on_the_public_pages_page(ws):
    from datetime import datetime, timezone

    from content_queue import pledges as P
    from content_queue.models import Campaign, Pledge
    from content_queue.store import transaction
    from loa.portal.app import Portal, ensure_token

    with transaction(ws.folder.sessions) as s:
        c = s.query(Campaign).one()
        now = datetime.now(timezone.utc)
        ok = P.sign(s, c, P.Signature("Trần Văn Minh", "full", "THPT Kon Chiêng", "19-24"), now=now).id
        held = P.sign(s, c, P.Signature("Minh vcl", "full", "", "19-24"), now=now).id
        cid = c.id
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/public").get_data(as_text=True)
    assert "Trần Văn Minh" in page and "bị giữ lại vì: vcl" in page and "/wall" in page
    r = client.post("/public/pledges", data={"csrf_token": token(page), "action": "approve", "id": [str(ok)]},
                    follow_redirects=True)
    assert "Đã đưa 1 chữ ký lên tường" in r.get_data(as_text=True)
    r = client.post("/public/pledges", data={"csrf_token": token(page), "action": "reject", "id": [str(held)]},
                    follow_redirects=True)
    r = client.post("/public/pledges", data={"csrf_token": token(page), "action": "approve", "id": ["999"]},
                    follow_redirects=True)
    assert "Chiến dịch không có chữ ký số 999" in r.get_data(as_text=True)  # the CLI's rule, in its words
    r = client.post("/public/settings", data={"csrf_token": token(page), "text": "Em cam kết an toàn số.",
                                              "auto": "1", "words": "cờ bạc", "keep_days": "30"},
                    follow_redirects=True)
    assert "Đã lưu cài đặt" in r.get_data(as_text=True)
    r = client.post("/public/settings", data={"csrf_token": token(page), "keep_days": "-4"}, follow_redirects=True)
    assert "0 đến 3650" in r.get_data(as_text=True)
    with ws.folder.sessions() as s:
        c = s.query(Campaign).one()
        assert (c.pledge_text, c.pledge_auto, c.pledge_words, c.keep_days) == ("Em cam kết an toàn số.", True,
                                                                                 "cờ bạc", 30)
        states = {p.id: p.status.value for p in s.query(Pledge)}
    assert states == {ok: "approved", held: "rejected"}
    portal = Portal(ws.folder.sessions, campaign_id=cid, media_dir=ws.folder.media_dir,
                    upload_dir=ws.folder.root / "uploads")
    public = Client(portal)
    wall = public.get(f"/c/{ensure_token(ws.folder.sessions, cid)}/wall").get_data(as_text=True)
    assert "Em cam kết an toàn số." in wall and "Trần Văn Minh" in wall and "vcl" not in wall
    privacy = public.get(f"/c/{ensure_token(ws.folder.sessions, cid)}/privacy").get_data(as_text=True)
    assert "Đến 30 ngày sau khi chiến dịch kết thúc" in privacy
