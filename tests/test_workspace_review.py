"""Chờ duyệt and Chiến dịch in the workspace: the approver's queue with the same previews as the
composer, approving and sending back from it through content_queue.approvals (the rule of `loa post
approve`), and turning approvals on from the campaign's page (the rule of `loa campaign set`)."""
from __future__ import annotations

from sqlalchemy import select

from tests.test_workspace import count_statements, MARKUP, sign_in, token, ws  # noqa: F401 (fixture)
from tests.test_workspace_posts import _soon


def _add(ws, text: str, hours: int = 3) -> None:  # noqa: F811
    r = ws.loa("post", "add", "--text", text, "--at", _soon(hours).replace("T", " "), "--to", "fanpage")
    assert r.exit_code == 0, r.output


def test_an_approver_turns_approvals_on_from_the_campaign_page(ws):  # noqa: F811
    """(An officer may not: tests/test_approvals.py.)"""
    from content_queue.models import Activity, Campaign

    officer = ws.test_client()  # an approver, who also changes the campaign's details
    sign_in(officer, "lanh-dao")
    page = officer.get("/campaign").get_data(as_text=True)
    assert "Không một mình" in page and "lanh-dao" in page and 'value="off" selected' in page
    r = officer.post("/campaign", data={"csrf_token": token(page), "name": "Không một mình", "approval": "required",
                                        "starts_on": "2025-11-30", "ends_on": "2025-10-01"}, follow_redirects=True)
    assert "Hãy kiểm tra ngày bắt đầu và ngày kết thúc" in r.get_data(as_text=True)  # refused, the web's fix
    with ws.folder.sessions() as s:
        assert s.scalars(select(Campaign)).one().approval == "off"
    r = officer.post("/campaign", data={"csrf_token": token(page), "name": "Không một mình", "approval": "required",
                                        "starts_on": "2025-10-06", "ends_on": "2025-11-30"}, follow_redirects=True)
    assert "Đã cập nhật chiến dịch" in r.get_data(as_text=True)
    with ws.folder.sessions() as s:
        assert s.scalars(select(Campaign)).one().approval == "required"
        assert s.scalar(select(Activity).where(Activity.action == "campaign_changed"))
    viewer = ws.test_client()
    sign_in(viewer, "xem")
    page = viewer.get("/campaign").get_data(as_text=True)
    assert "disabled" in page
    assert viewer.post("/campaign", data={"csrf_token": token(page), "approval": "off"}).status_code == 403


def test_the_approver_s_queue_shows_the_previews_and_approves_or_sends_back(ws):  # noqa: F811
    from content_queue.models import Post

    assert ws.loa("campaign", "set", "--approval", "required").exit_code == 0
    _add(ws, f"Đừng chuyển tiền cho người lạ {MARKUP}")
    _add(ws, "Bài thứ hai", 5)
    approver = ws.test_client()
    sign_in(approver, "lanh-dao")
    page = approver.get("/approvals").get_data(as_text=True)
    assert "2 bài đăng đang chờ duyệt" in page and "#khongmotminh" in page  # what Facebook receives
    assert MARKUP not in page and "&lt;img" in page
    r = approver.post("/posts/2/send-back", data={"csrf_token": token(page), "back": "approvals", "comment": ""},
                      follow_redirects=True)
    assert "Hãy ghi điều cần sửa" in r.get_data(as_text=True)
    r = approver.post("/posts/2/send-back", data={"csrf_token": token(page), "back": "approvals",
                                                  "comment": "Thêm số điện thoại đường dây nóng"})
    assert r.status_code == 302 and r.headers["Location"] == "/approvals"
    r = approver.post("/posts/1/approve", data={"csrf_token": token(page), "back": "https://evil.example"})
    assert r.headers["Location"] == "/"  # only pages of ours
    page = approver.get("/approvals").get_data(as_text=True)
    assert "1 bài đăng đang chờ duyệt" in page and "Thêm số điện thoại đường dây nóng" in page
    with ws.folder.sessions() as s:
        assert s.get(Post, 1).approved_by == "lanh-dao" and s.get(Post, 2).approved_at is None
    officer = ws.test_client()
    sign_in(officer, "can-bo")
    page = officer.get("/approvals").get_data(as_text=True)
    assert "Thêm số điện thoại" in page and 'action="/posts/2/approve"' not in page  # an officer does not approve
    assert officer.post("/posts/2/approve", data={"csrf_token": token(page)}).status_code == 403


def test_the_approval_queue_s_statements_do_not_grow_with_the_campaign(ws):  # noqa: F811
    assert ws.loa("campaign", "set", "--approval", "required").exit_code == 0
    client = ws.test_client()
    sign_in(client, "lanh-dao")

    def statements() -> int:
        return count_statements(ws, client, "/approvals")

    _add(ws, "một")
    few = statements()
    for i in range(8):
        _add(ws, f"bài {i}", 4 + i)
    assert statements() == few
