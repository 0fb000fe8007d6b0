"""Inputs that hold (issue 28): a sheet or a manifest sent to the workspace reads only the files
sent with it, and a problem names only a file's own name; every picture loa opens is measured from
its header before it is decoded (a small file claiming 20000x20000 is a clear refusal, never a 500
or gigabytes); the workspace takes no file that would eat the disk's margin."""
from __future__ import annotations

import io
import struct
import zlib
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.test_workspace import sign_in, token, ws  # noqa: F401 (fixture)
from tests.test_workspace_posts import _posts, _soon


def lying_png(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header claims ``width`` x ``height`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def test_a_sheet_sent_to_the_workspace_reads_only_the_files_sent_with_it(ws, tmp_path):  # noqa: F811
    secret = tmp_path / "bi-mat.png"  # a file the server can read, outside what was sent
    secret.write_bytes(lying_png(10, 10))
    when = _soon(6).replace("T", " ")
    sheet = ("at,to,text,media\n"
             f"{when},fanpage,Tuyệt đối,{secret}\n"
             f"{when},fanpage,Ngã ba,../../{secret.name}\n"
             f"{when},fanpage,Nhà,~/{secret.name}\n"
             f"{when},fanpage,Không có,khong-co.png\n")
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/posts/import").get_data(as_text=True)
    r = client.post("/posts/import", data={"csrf_token": token(page), "action": "check",
                                           "csv": (io.BytesIO(sheet.encode()), "lich.csv")},
                    content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "4 dòng cần sửa" in body
    assert body.count("chưa được gửi kèm bảng tính") == 4  # the same words, whether it exists or not
    assert str(tmp_path) not in body and "/uploads/" not in body and "..%2F" not in body
    assert _posts(ws) == 0


def test_a_manifest_sent_to_the_workspace_names_only_the_videos_sent_with_it(ws, tmp_path):  # noqa: F811
    from content_queue.models import Job

    outside = tmp_path / "ngoai.mp4"
    outside.write_bytes(b"\0" * 100)
    manifest = ("file,participant,age,consent\n"
                f"{outside},Nguyễn Văn A,20,self\n"
                f"../../{outside.name},Nguyễn Văn B,20,self\n")
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/clips/import").get_data(as_text=True)
    r = client.post("/clips/import", data={"csrf_token": token(page),
                                           "manifest": (io.BytesIO(manifest.encode()), "danh-sach.csv"),
                                           "videos": [(io.BytesIO(b"\0" * 10), "khac.mp4")]},
                    content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and body.count("ngoai.mp4") == 2 and "các video gửi kèm" in body
    assert str(tmp_path) not in body and "/uploads/" not in body
    with ws.folder.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 0


@pytest.mark.parametrize("size", [(9500, 9500), (20000, 20000)])
def test_a_picture_of_too_many_pixels_is_refused_everywhere_loa_opens_one(loa, ws, tmp_path, size):  # noqa: F811
    bomb = tmp_path / "khung.png"
    bomb.write_bytes(lying_png(*size))
    said = f"{size[0]}x{size[1]} điểm ảnh" if size[0] < 10000 else "400 triệu điểm ảnh"
    r = loa("frame", "set", str(bomb))  # the avatar frame
    assert r.exit_code == 1 and said in r.output and "Traceback" not in r.output
    r = loa("post", "add", "--text", "Ảnh", "--media", str(bomb), "--now", "--to", "fanpage")  # a post's picture
    assert r.exit_code == 1 and said in r.output and "Traceback" not in r.output
    from content_queue.errors import UserError
    from recap.render import Look, _check_inputs

    with pytest.raises(UserError, match="quá lớn để mở"):  # the recap's logo
        _check_inputs(SimpleNamespace(segments=[]), Look(title="Không một mình", logo=bomb), None)
    client = ws.test_client()  # the frame sent on the workspace's page: a refusal, not a 500
    sign_in(client, "can-bo")
    page = client.get("/public").get_data(as_text=True)
    r = client.post("/public/frame", data={"csrf_token": token(page), "frame": (io.BytesIO(bomb.read_bytes()),
                                                                                "khung.png")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code in (200, 400) and "quá lớn" in r.get_data(as_text=True)


def test_the_workspace_takes_no_file_that_would_eat_the_disk_s_margin(ws, monkeypatch):  # noqa: F811
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/posts/new").get_data(as_text=True)
    free = ws.folder.space()["free_bytes"]
    monkeypatch.setattr(type(ws.folder), "disk_margin_bytes", property(lambda self: free - 100_000))
    before = {p for p in (ws.folder.root / "uploads").rglob("*")}
    r = client.post("/uploads", data={"csrf_token": token(page), "media": (io.BytesIO(b"\0" * 300_000), "v.mp4")},
                    content_type="multipart/form-data")
    assert r.status_code == 507 and "dung lượng" in r.get_data(as_text=True).lower()
    assert {p for p in (ws.folder.root / "uploads").rglob("*")} == before  # nothing written
