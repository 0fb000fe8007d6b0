"""Bài đăng in the workspace: the composer checks a post with the same rules as `loa post add`
(every problem with its fix before saving, nothing saved meanwhile), previews exactly what each
platform receives, uploads a video, and the post's page reschedules and cancels through the same
core functions as the CLI, with who did what on record."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from tests.conftest import make_video
from tests.test_workspace import MARKUP, sign_in, token, ws  # noqa: F401 (fixture)


def _soon(hours: int = 3) -> str:
    return (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def _channel_ids(ws):  # noqa: F811
    from content_queue.models import Channel

    with ws.folder.sessions() as s:
        return {c.name: str(c.id) for c in s.scalars(select(Channel))}


def _posts(ws) -> int:  # noqa: F811
    from content_queue.models import Post

    with ws.folder.sessions() as s:
        return s.scalar(select(func.count()).select_from(Post))


def test_the_composer_shows_every_problem_before_saving_and_saves_nothing(ws):  # noqa: F811
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/posts/new").get_data(as_text=True)
    ids = _channel_ids(ws)
    r = client.post("/posts/new", data={"csrf_token": token(page), "text": "Không một mình " * 200,
                                        "to": [ids["tiktok"]], "at": "2020-01-01T08:00", "action": "save"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "vấn đề cần sửa" in body
    assert "thời gian đã qua rồi" in body and "TikTok chỉ đăng video" in body
    assert _posts(ws) == 0


def test_preview_then_save_a_video_post_to_two_platforms(ws, tmp_path):  # noqa: F811
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/posts/new").get_data(as_text=True)
    ids = _channel_ids(ws)
    video = make_video(tmp_path / "reel.mp4", size="540x960", seconds=4).read_bytes()
    form = {"csrf_token": token(page), "text": "Đừng gửi ảnh riêng tư cho người lạ 🙏", "at": _soon(),
            "to": [ids["fanpage"], ids["tiktok"]], "variant_tiktok_text": "Chú thích TikTok 👀", "action": "preview",
            "media": (io.BytesIO(video), "reel.mp4")}
    r = client.post("/posts/new", data=form, content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "Mỗi nền tảng nhận được gì" in body
    assert "thành Reel" in body and "Chú thích TikTok 👀" in body and "#khongmotminh" in body
    assert "đơn vị UTF-16, như TikTok đếm" in body
    assert _posts(ws) == 0
    upload = __import__("re").search(r'name="upload" value="([^"]+)"', body).group(1)
    assert upload  # the video waits under a name of ours, not the sender's
    form = {k: v for k, v in form.items() if k != "media"} | {"upload": upload, "action": "save",
                                                              "csrf_token": token(body)}
    r = client.post("/posts/new", data=form)
    assert r.status_code == 302 and r.headers["Location"].startswith("/posts/")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu bài đăng" in page and "can-bo: đã tạo bài đăng" in page
    from content_queue.models import Post

    with ws.folder.sessions() as s:
        post = s.scalars(select(Post)).one()
        assert post.media is not None and post.media.kind == "video" and post.source == "workspace"
        assert {d.channel.name for d in post.deliveries} == {"fanpage", "tiktok"}
    assert not list((ws.folder.root / "uploads" / "workspace").glob("*"))  # moved into the media store


def test_reschedule_and_cancel_from_the_post_page(ws):  # noqa: F811
    from content_queue.models import Activity, Delivery, DeliveryState

    assert ws.loa("post", "add", "--text", f"Lịch {MARKUP}", "--at", _soon().replace("T", " "),
                  "--to", "fanpage").exit_code == 0
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/posts/1").get_data(as_text=True)
    assert MARKUP not in page and "&lt;img src=x" in page
    r = client.post("/posts/1/reschedule", data={"csrf_token": token(page), "at": "2020-01-01T08:00"},
                    follow_redirects=True)
    assert "Thời gian mới đã qua rồi" in r.get_data(as_text=True)
    later = _soon(30)
    r = client.post("/posts/1/reschedule", data={"csrf_token": token(page), "at": later}, follow_redirects=True)
    assert "Bài đăng 1: 1 lượt đăng đã được đổi giờ" in r.get_data(as_text=True)
    r = client.post("/posts/1/cancel", data={"csrf_token": token(page)}, follow_redirects=True)
    body = r.get_data(as_text=True)
    assert "đã huỷ 1 lượt đăng" in body and "can-bo: đã đổi giờ" in body and "can-bo: đã huỷ" in body
    with ws.folder.sessions() as s:
        assert s.scalars(select(Delivery)).one().state is DeliveryState.cancelled
        assert [a.action for a in s.scalars(select(Activity).where(Activity.post_id == 1))] == ["rescheduled",
                                                                                           "cancelled"]


def test_the_post_list_pages_and_a_viewer_cannot_write(ws):  # noqa: F811
    for i in range(3):
        ws.loa("post", "add", "--text", f"Bài {i}", "--at", _soon(4 + i).replace("T", " "), "--to", "fanpage")
    viewer = ws.test_client()
    sign_in(viewer, "xem")
    body = viewer.get("/posts").get_data(as_text=True)
    assert "Bài 0" in body and "Bài 2" in body and "Viết bài đăng" not in body
    page = viewer.get("/posts/new").get_data(as_text=True)
    assert viewer.post("/posts/new", data={"csrf_token": token(page), "text": "x"}).status_code == 403
    assert viewer.get("/posts/999").status_code == 404


def test_the_post_list_s_statements_do_not_grow_with_the_campaign(ws):  # noqa: F811
    from sqlalchemy import event

    client = ws.test_client()
    sign_in(client, "can-bo")

    def statements() -> int:
        seen = []
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(ws.folder.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/posts").status_code == 200
        finally:
            event.remove(ws.folder.engine, "before_cursor_execute", listener)
        return len(seen)

    ws.loa("post", "add", "--text", "một", "--at", _soon().replace("T", " "), "--to", "fanpage")
    ws.loa("post", "add", "--text", "một", "--at", _soon().replace("T", " "), "--to", "fanpage")
    few = statements()
    for i in range(12):
        ws.loa("post", "add", "--text", f"bài {i}", "--at", _soon(5 + i).replace("T", " "), "--to", "fanpage,zalo-oa")
    assert statements() == few
