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
from tests.test_workspace import count_statements, MARKUP, sign_in, token, ws  # noqa: F401 (fixture)


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
            "variant_tiktok_privacy": "PUBLIC_TO_EVERYONE", "variant_tiktok_allow": ["comment", "stitch"],
            "variant_tiktok_music": "yes",
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
        assert post.variants["tiktok"] == {"text": "Chú thích TikTok 👀", "privacy": "PUBLIC_TO_EVERYONE",
                                           "allow": "comment,stitch", "music": "yes"}
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
        assert [a.action for a in s.scalars(select(Activity).where(Activity.post_id == 1))] == [
            "created", "rescheduled", "cancelled"]  # `loa post add` records its author too


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

    client = ws.test_client()
    sign_in(client, "can-bo")

    def statements() -> int:
        return count_statements(ws, client, "/posts")

    ws.loa("post", "add", "--text", "một", "--at", _soon().replace("T", " "), "--to", "fanpage")
    ws.loa("post", "add", "--text", "một", "--at", _soon().replace("T", " "), "--to", "fanpage")
    few = statements()
    for i in range(12):
        ws.loa("post", "add", "--text", f"bài {i}", "--at", _soon(5 + i).replace("T", " "), "--to", "fanpage,zalo-oa")
    assert statements() == few


def _upload(client, page: str, data: bytes, name: str):
    return client.post(f"/uploads?name={name}", data=data, headers={"X-CSRFToken": token(page)},
                       content_type="application/octet-stream")


def test_an_upload_streams_to_a_name_of_ours_and_the_form_refers_to_it(ws, tmp_path):  # noqa: F811
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/posts/new").get_data(as_text=True)
    video = make_video(tmp_path / "Video của em.mp4", size="540x960", seconds=3).read_bytes()
    assert client.post("/uploads?name=x.mp4", data=video, content_type="application/octet-stream").status_code == 400
    r = _upload(client, page, video, "../../Video của em.mp4")
    assert r.status_code == 200, r.get_data(as_text=True)
    name = r.get_json()["upload"]
    assert r.get_json()["size"] == len(video) and name.endswith(".mp4") and "/" not in name and "em" not in name
    stored = ws.folder.root / "uploads" / "workspace" / name
    assert stored.read_bytes() == video
    assert _upload(client, page, b"", "empty.mp4").status_code == 400
    ids = _channel_ids(ws)
    r = client.post("/posts/new", data={"csrf_token": token(page), "text": "Video hưởng ứng", "at": _soon(),
                                        "to": [ids["tiktok"]], "upload": name, "action": "save",
                                        "variant_tiktok_privacy": "PUBLIC_TO_EVERYONE", "variant_tiktok_music": "yes"})
    assert r.status_code == 302
    from content_queue.models import Post

    with ws.folder.sessions() as s:
        assert s.scalars(select(Post)).one().media.kind == "video"
    assert not stored.exists()
    viewer = ws.test_client()
    sign_in(viewer, "xem")
    assert _upload(viewer, page, video, "v.mp4").status_code in (400, 403)


def test_a_full_disk_during_an_upload_is_said_and_leaves_nothing(ws, monkeypatch):  # noqa: F811
    import builtins

    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/posts/new").get_data(as_text=True)
    real_open, fired = builtins.open, []

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.f.close()

        def write(self, piece):
            fired.append(len(piece))
            self.f.write(piece[:10])
            raise OSError(28, "No space left on device")

    def full_open(path, mode="r", *a, **k):
        f = real_open(path, mode, *a, **k)
        return Full(f) if "uploads" in str(path) and "x" in mode else f

    monkeypatch.setattr(builtins, "open", full_open)
    r = _upload(client, page, b"0" * 5000, "big.mp4")
    monkeypatch.setattr(builtins, "open", real_open)
    assert fired and r.status_code == 507
    assert "No space left on device" in r.get_json()["error"] and "dung lượng" in r.get_json()["error"]
    assert not list((ws.folder.root / "uploads" / "workspace").glob("*"))


def test_the_live_check_answers_the_problems_and_the_previews_and_saves_nothing(ws):  # noqa: F811
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/posts/new").get_data(as_text=True)
    ids = _channel_ids(ws)
    r = client.post("/posts/check", data={"csrf_token": token(page), "text": f"Đi học an toàn {MARKUP}",
                                          "to": [ids["zalo-oa"]], "at": _soon(), "title": "x" * 160})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body  # the part of the page, not a page
    assert "vượt giới hạn 140 của Zalo" in body and "Hãy rút gọn tiêu đề" in body and "--title" not in body
    r = client.post("/posts/check", data={"csrf_token": token(page), "text": f"Đi học an toàn {MARKUP}",
                                          "to": [ids["fanpage"]], "at": _soon()})
    body = r.get_data(as_text=True)
    assert "Mỗi nền tảng nhận được gì" in body and MARKUP not in body and "&lt;img" in body
    assert _posts(ws) == 0


def test_edit_a_waiting_post_asks_for_approval_again_and_keeps_its_media(ws, tmp_path):  # noqa: F811
    from content_queue.models import Activity, Post

    video = make_video(tmp_path / "v.mp4", size="540x960", seconds=3)
    assert ws.loa("campaign", "set", "--approval", "required").exit_code == 0
    r = ws.loa("post", "add", "--text", "Bản đầu", "--media", str(video), "--at", _soon().replace("T", " "),
               "--to", "fanpage,tiktok", "--tiktok-text", "TikTok cũ", "--tiktok-privacy", "SELF_ONLY",
               "--tiktok-music-ok")
    assert r.exit_code == 0, r.output
    assert ws.loa("post", "approve", "1", "--by", "lanh-dao").exit_code == 0
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/posts/1/edit").get_data(as_text=True)
    assert "Bản đầu" in page and "TikTok cũ" in page and "Để trống để giữ" in page
    r = client.post("/posts/1/edit", data={"csrf_token": token(page), "text": "Bản sửa " * 400,
                                           "variant_tiktok_text": "", "action": "save"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "vấn đề cần sửa" in body  # the caption now too long for TikTok
    with ws.folder.sessions() as s:
        assert s.get(Post, 1).text == "Bản đầu"
    assert '<option value="SELF_ONLY" selected>' in page  # the person's choice, shown as it was made
    r = client.post("/posts/1/edit", data={"csrf_token": token(page), "text": "Bản sửa", "variant_tiktok_text": "",
                                           "variant_tiktok_privacy": "SELF_ONLY", "variant_tiktok_music": "yes",
                                           "action": "save"})
    assert r.status_code == 302
    with ws.folder.sessions() as s:
        p = s.get(Post, 1)
        assert p.text == "Bản sửa" and p.approved_at is None and p.media is not None
        # emptied: TikTok gets the post's own text again; the person's choices stay as they were
        assert p.variants["tiktok"] == {"privacy": "SELF_ONLY", "music": "yes"}
        assert s.scalar(select(Activity).where(Activity.action == "edited", Activity.who == "can-bo"))


def test_duplicate_starts_a_new_post_from_a_copy(ws, tmp_path):  # noqa: F811
    from content_queue.models import Post

    video = make_video(tmp_path / "v.mp4", size="540x960", seconds=3)
    assert ws.loa("post", "add", "--text", "Bài gốc", "--media", str(video), "--at", _soon().replace("T", " "),
                  "--to", "tiktok", "--tiktok-privacy", "SELF_ONLY", "--tiktok-music-ok").exit_code == 0
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/posts/new?from=1").get_data(as_text=True)
    assert "Bài gốc" in page
    upload = __import__("re").search(r'name="upload" value="([^"]+)"', page).group(1)
    ids = _channel_ids(ws)
    assert f'value="{ids["tiktok"]}" checked' in page
    assert '<option value="" selected>' in page  # TikTok's choices are the person's again, not copied
    r = client.post("/posts/new", data={"csrf_token": token(page), "text": "Bài gốc, lần hai", "at": _soon(30),
                                        "to": [ids["tiktok"]], "upload": upload, "action": "save"})
    assert r.status_code == 200 and "chưa ai chọn ai được xem video này" in r.get_data(as_text=True)
    r = client.post("/posts/new", data={"csrf_token": token(page), "text": "Bài gốc, lần hai", "at": _soon(30),
                                        "to": [ids["tiktok"]], "upload": upload, "action": "save",
                                        "variant_tiktok_privacy": "PUBLIC_TO_EVERYONE", "variant_tiktok_music": "yes"})
    assert r.status_code == 302
    with ws.folder.sessions() as s:
        a, b = s.scalars(select(Post).order_by(Post.id)).all()
        assert b.text == "Bài gốc, lần hai" and b.media_id == a.media_id  # the same stored file, once
    assert client.get("/posts/new?from=99").status_code == 404


def test_a_csv_is_checked_whole_shown_as_a_table_then_imported_all_or_nothing(ws, tmp_path):  # noqa: F811
    from content_queue.models import Activity, Post

    video = make_video(tmp_path / "v.mp4", size="540x960", seconds=3).read_bytes()
    when = _soon(6).replace("T", " ")
    bad = ("at,to,text,media,privacy_tiktok,music_tiktok\n"
           f"{when},fanpage,Bài một {MARKUP},,,\n"
           "2020-01-01 08:00,fanpage,Bài đã qua,,,\n"
           f"{when},tiktok,Bài TikTok,video clip.mp4,PUBLIC_TO_EVERYONE,yes\n"
           f"{when},kenh-la,Bài kênh lạ,,,\n")
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/posts/import").get_data(as_text=True)
    assert "Nhập từ bảng tính" in page and "text_tiktok" in page
    r = client.post("/posts/import", data={"csrf_token": token(page), "action": "check",
                                           "csv": (io.BytesIO(bad.encode("utf-8-sig")), "lich-thang-10.csv"),
                                           "media": [(io.BytesIO(video), "../video clip.mp4")]},
                    content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "2 dòng cần sửa; chưa nhập bài nào" in body
    assert "thời gian đã qua rồi" in body and "kenh-la" in body and "--at" not in body
    assert MARKUP not in body and "&lt;img" in body and 'value="import"' not in body
    assert _posts(ws) == 0
    assert not (ws.folder.root / "uploads" / "video clip.mp4").exists()  # the name cannot climb out
    good = "\n".join(line for line in bad.splitlines() if "2020" not in line and "kenh-la" not in line) + "\n"
    r = client.post("/posts/import", data={"csrf_token": token(page), "action": "check",
                                           "csv": (io.BytesIO(good.encode()), "lich.csv"),
                                           "media": [(io.BytesIO(video), "video clip.mp4")]},
                    content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert "2 dòng sẵn sàng để nhập" in body and 'value="import"' in body and _posts(ws) == 0
    import_id = __import__("re").search(r'name="import" value="([0-9a-f]+)"', body).group(1)
    r = client.post("/posts/import", data={"csrf_token": token(body), "action": "import", "import": import_id})
    assert r.status_code == 302
    assert "Đã nhập 2 bài đăng từ lich.csv" in client.get("/posts").get_data(as_text=True)
    with ws.folder.sessions() as s:
        posts = s.scalars(select(Post).order_by(Post.id)).all()
        assert [p.text for p in posts] == [f"Bài một {MARKUP}", "Bài TikTok"] and posts[1].media.kind == "video"
        assert s.scalar(select(func.count()).select_from(Activity).where(Activity.action == "created")) == 2
    assert not (ws.folder.root / "uploads" / "workspace" / f"import-{import_id}").exists()
    r = client.post("/posts/import", data={"csrf_token": token(body), "action": "check",
                                           "csv": (io.BytesIO(b"\xff\xfeat,to"), "excel.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "CSV UTF-8" in r.get_data(as_text=True)


def test_uploads_never_saved_are_swept_after_two_days(tmp_path):
    import os
    import time

    from loa.workspace.composer import sweep

    (tmp_path / "old.mp4").write_bytes(b"x")
    (tmp_path / "import-old").mkdir()
    (tmp_path / "import-old" / "a.csv").write_text("at,to")
    (tmp_path / "new.mp4").write_bytes(b"y")
    two_days_ago = time.time() - 49 * 3600
    for p in (tmp_path / "old.mp4", tmp_path / "import-old"):
        os.utime(p, (two_days_ago, two_days_ago))
    assert sweep(tmp_path) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["new.mp4"]
