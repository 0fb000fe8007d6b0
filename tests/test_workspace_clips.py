"""Video hưởng ứng in the workspace: the gallery (filters, the name as the participant chose to be
shown, markup as text), a clip served with HTTP range requests, and its review through the rules
of `loa clips ...`: approve, reject with a reason, a guardian's consent, withdraw (the video
leaves the store), a clip added on a participant's behalf."""
from __future__ import annotations

import io
import json

import pytest

from tests.conftest import make_video
from tests.test_workspace import count_statements, sign_in, token, ws  # noqa: F401 (fixture)


KID = "Em Bé<img/src=x/onerror=alert(1)>"  # a given name holding markup (a 13-year-old's: only it is kept)


@pytest.fixture
def clips(ws, tmp_path):  # noqa: F811
    """Three clips: a 17-year-old who consented, a 13-year-old without a guardian's consent yet
    (whose name holds markup), and one more from another school."""
    made = []
    for i, (name, school, age, consent) in enumerate([("Nguyễn Thị Hoa", "THCS Kon Chiêng", 17, "self"),
                                                      (KID, "THCS Kon Chiêng", 13, "none"),
                                                      ("Lê Văn Tám", "THPT Ia Grai", 19, "self")]):
        video = make_video(tmp_path / f"clip{i}.mp4", seconds=2 + i, size="360x640")
        r = ws.loa("clips", "add", str(video), "--participant", name, "--school", school, "--age", str(age),
                   "--consent", consent, "--display", "first", "--json")
        assert r.exit_code == 0, r.output
        made.append(json.loads(r.output)[0]["id"])
    return made


def test_the_gallery_shows_each_clip_as_chosen_and_filters(ws, clips):  # noqa: F811
    client = ws.test_client()
    sign_in(client, "can-bo")
    body = client.get("/clips").get_data(as_text=True)
    assert "3 video" in body and "#1 Hoa" in body and "Nguyễn Thị" not in body  # shown by given name only
    assert "<img/src" not in body and "&lt;img/src=x" in body
    assert "chưa vào video tóm tắt công khai" in body  # the 13-year-old without a guardian's consent
    assert "THPT Ia Grai" in body and "16–18" in body and "12–15" in body and "19–24" in body  # age bands
    only = client.get("/clips?school=THPT+Ia+Grai").get_data(as_text=True)
    assert "1 video" in only and "#3 Tám" in only and "#1 Hoa" not in only
    none_yet = client.get("/clips?consent=none").get_data(as_text=True)
    assert "1 video" in none_yet
    poster = client.get(f"/clips/{clips[0]}/poster.jpg")
    assert poster.status_code == 200 and poster.mimetype == "image/jpeg"


def test_a_clip_plays_with_range_requests(ws, clips):  # noqa: F811
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get(f"/clips/{clips[0]}").get_data(as_text=True)
    assert f'src="/clips/{clips[0]}/video"' in page and "<video" in page
    whole = client.get(f"/clips/{clips[0]}/video")
    assert whole.status_code == 200 and whole.mimetype == "video/mp4" and whole.headers["Accept-Ranges"] == "bytes"
    size = len(whole.data)
    part = client.get(f"/clips/{clips[0]}/video", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and len(part.data) == 100 and part.data == whole.data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{size}"
    assert "no-store" in part.headers["Cache-Control"]
    assert ws.test_client().get(f"/clips/{clips[0]}/video").status_code == 302  # signed-in users only
    assert client.get("/clips/999/video").status_code == 404


def test_review_approve_reject_consent_and_withdraw(ws, clips):  # noqa: F811
    from content_queue.models import Activity, Clip, ClipStatus

    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get(f"/clips/{clips[1]}").get_data(as_text=True)
    t = token(page)
    r = client.post(f"/clips/{clips[1]}/approve", data={"csrf_token": t}, follow_redirects=True)
    assert "Đã duyệt video" in r.get_data(as_text=True) and "phụ huynh" in r.get_data(as_text=True)
    r = client.post(f"/clips/{clips[1]}/consent", data={"csrf_token": t, "consent": "guardian", "guardian": ""},
                    follow_redirects=True)
    assert "phụ huynh" in r.get_data(as_text=True)  # a guardian's consent needs the guardian's name
    r = client.post(f"/clips/{clips[1]}/consent", data={"csrf_token": t, "consent": "guardian",
                                                        "guardian": "Trần Văn Bình"}, follow_redirects=True)
    assert "Đã ghi nhận sự đồng ý" in r.get_data(as_text=True)
    r = client.post(f"/clips/{clips[2]}/reject", data={"csrf_token": t, "reason": ""}, follow_redirects=True)
    assert "Hãy ghi lý do loại video" in r.get_data(as_text=True)
    client.post(f"/clips/{clips[2]}/reject", data={"csrf_token": t, "reason": "Lộ số điện thoại trong video"})
    with ws.folder.sessions() as s:
        stored = ws.folder.media_dir / s.get(Clip, clips[0]).media.relpath
    assert stored.exists()
    r = client.post(f"/clips/{clips[0]}/withdraw", data={"csrf_token": t, "delete_media": "1"}, follow_redirects=True)
    assert "Đã rút lại video" in r.get_data(as_text=True) and "xoá khỏi kho" in r.get_data(as_text=True)
    assert not stored.exists()
    assert client.get(f"/clips/{clips[0]}/video").status_code == 404
    with ws.folder.sessions() as s:
        got = {c.id: c for c in s.query(Clip)}
        assert got[clips[1]].status is ClipStatus.approved and got[clips[1]].guardian_name == "Trần Văn Bình"
        assert got[clips[2]].status is ClipStatus.rejected and got[clips[2]].reason == "Lộ số điện thoại trong video"
        assert got[clips[0]].status is ClipStatus.withdrawn
        acts = {a.action for a in s.query(Activity).filter(Activity.who == "can-bo")}
    assert {"clip_approved", "clip_consent", "clip_rejected", "clip_withdrawn"} <= acts
    body = client.get("/clips?status=rejected").get_data(as_text=True)
    assert "Lộ số điện thoại trong video" in body  # the reason, in plain words


def test_a_clip_added_on_a_participant_s_behalf_follows_the_consent_rules(ws, tmp_path):  # noqa: F811
    video = make_video(tmp_path / "nop-ho.mp4", seconds=2, size="360x640").read_bytes()
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/clips/new").get_data(as_text=True)
    form = {"csrf_token": token(page), "participant": "Phạm Minh Khôi", "school": "THCS Kon Chiêng", "age": "14",
            "consent": "self", "display": "first"}
    r = client.post("/clips/new", data={**form, "video": (io.BytesIO(video), "nop-ho.mp4")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "phụ huynh" in r.get_data(as_text=True)  # 14: a guardian must consent
    r = client.post("/clips/new", data={**form, "consent": "guardian", "guardian": "Phạm Văn Lợi",
                                        "video": (io.BytesIO(video), "nop-ho.mp4")}, content_type="multipart/form-data")
    assert r.status_code == 302
    body = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Đã thêm video" in body and "Phạm Văn Lợi" in body
    assert not list((ws.folder.root / "uploads" / "workspace").glob("*"))


def test_the_gallery_s_statements_do_not_grow_with_the_clips(ws, tmp_path):  # noqa: F811
    client = ws.test_client()
    sign_in(client, "can-bo")

    def statements() -> int:
        return count_statements(ws, client, "/clips")

    video = make_video(tmp_path / "v.mp4", seconds=1, size="320x568")
    ws.loa("clips", "add", str(video), "--participant", "A", "--age", "18", "--consent", "self")
    few = statements()
    for i in range(6):
        ws.loa("clips", "add", str(video), "--participant", f"Bạn {i}", "--age", "18", "--consent", "self")
    assert statements() == few


def test_a_folder_of_clips_is_checked_whole_then_imported_as_a_job(ws, tmp_path):  # noqa: F811
    from sqlalchemy import func, select

    from content_queue.models import Clip, Job
    from loa.jobs import JobRunner
    from tests.test_workspace_recap import _wait

    a = make_video(tmp_path / "a.mp4", seconds=2, size="360x640").read_bytes()
    b = make_video(tmp_path / "b.mp4", seconds=2, size="360x640").read_bytes()
    bad = ("file,participant,school,age,consent,guardian\n"
           "a.mp4,Nguyễn Thị Hoa,THCS Kon Chiêng,17,self,\n"
           "b.mp4,Lê Văn Tám,THCS Kon Chiêng,13,self,\n")  # 13 and consenting alone: refused
    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/clips/import").get_data(as_text=True)
    r = client.post("/clips/import", data={"csrf_token": token(page),
                                           "manifest": (io.BytesIO(bad.encode()), "danh-sach.csv"),
                                           "videos": [(io.BytesIO(a), "a.mp4"), (io.BytesIO(b), "b.mp4")]},
                    content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "Chưa nhập gì" in body and "dòng 3" in body and "người giám hộ" in body
    with ws.folder.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 0
    good = bad.replace("13,self,", "13,guardian,Lê Văn Bảy")
    r = client.post("/clips/import", data={"csrf_token": token(page),
                                           "manifest": (io.BytesIO(good.encode()), "danh-sach.csv"),
                                           "videos": [(io.BytesIO(a), "a.mp4"), (io.BytesIO(b), "b.mp4")]},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    with ws.folder.sessions() as s:
        job_id = s.scalar(select(Job.id))
    assert f'data-job="{job_id}"' in client.get("/clips").get_data(as_text=True)
    runner = JobRunner(ws.folder, poll=0.2).start()
    try:
        job = _wait(ws, job_id)
    finally:
        runner.stop()
    assert job.status == "done", job.error
    with ws.folder.sessions() as s:
        names = sorted(c.participant_name for c in s.scalars(select(Clip)))
    assert names == ["Nguyễn Thị Hoa", "Tám"]  # under 16: the given name only is kept, as on the wall
    assert not list((ws.folder.root / "uploads" / "workspace").glob("clips-*"))  # in the store now
    assert "2 video" in client.get("/clips").get_data(as_text=True)
