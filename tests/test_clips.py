"""Clip intake: phone clips of every shape, generated with the bundled ffmpeg at test time."""
from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from content_queue.clip_probe import ClipRejected, probe_clip
from tests.conftest import ffmpeg_exe, make_video


def ff(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *args], check=True)


@pytest.fixture
def vietnamese(monkeypatch):
    """The clips' reasons are read by participants and the officer: the tests that ask for this read
    them as they do, in the campaign's language (Vietnamese by default, LOA_LANG unset)."""
    from content_queue import i18n

    monkeypatch.delenv("LOA_LANG", raising=False)
    i18n.set_language(None)


@pytest.fixture(scope="module")
def phone(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("phone")
    clips = {}
    land = make_video(d / "land.mp4", size="640x360", seconds=3)
    ff("-display_rotation", "90", "-i", str(land), "-c", "copy", str(d / "rotated.mp4"))
    clips["rotated"] = d / "rotated.mp4"
    clips["silent"] = make_video(d / "silent.mp4", size="360x640", seconds=3, audio=False)
    clips["hevc10"] = make_video(d / "hevc10.mp4", size="360x640", seconds=3, codec=[
        "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1",
        "-x265-params", "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc"])
    ff("-f", "lavfi", "-i", "testsrc2=s=360x640:r=30:d=3", "-f", "lavfi", "-i", "sine=d=3:sample_rate=48000",
       "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k", "-c:a", "libopus",
       "-shortest", str(d / "android.webm"))
    clips["vp9"] = d / "android.webm"
    ff("-f", "lavfi", "-i", "testsrc2=s=360x640:r=30:d=1.5", "-f", "lavfi", "-i", "testsrc2=s=360x640:r=10:d=1.5",
       "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-fps_mode", "vfr", "-c:v", "libx264",
       "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(d / "vfr.mp4"))
    clips["vfr"] = d / "vfr.mp4"
    clips["60fps"] = make_video(d / "60fps.mp4", size="360x640", fps=60, seconds=3)
    whole = make_video(d / "whole.mp4", size="360x640", seconds=4, extra=["-movflags", "+faststart"])
    data = whole.read_bytes()
    (d / "truncated.mp4").write_bytes(data[: int(len(data) * 0.5)])
    clips["truncated"] = d / "truncated.mp4"
    noindex = make_video(d / "noindex.mp4", size="360x640", seconds=3)
    (d / "half-uploaded.mp4").write_bytes(noindex.read_bytes()[: noindex.stat().st_size // 2])
    clips["half"] = d / "half-uploaded.mp4"
    (d / "empty.mp4").write_bytes(b"")
    clips["empty"] = d / "empty.mp4"
    (d / "note.mp4").write_text("Đây không phải video", encoding="utf-8")
    clips["text"] = d / "note.mp4"
    ff("-f", "lavfi", "-i", "sine=d=3", "-c:a", "aac", str(d / "voice.mp4"))
    clips["audio"] = d / "voice.mp4"
    clips["short"] = make_video(d / "short.mp4", size="360x640", seconds=1)
    return clips


ACCEPTED = {  # the corrections are read by the officer: in the campaign's language (Vietnamese here)
    "rotated": lambda f: (f.width, f.height, f.rotation % 180) == (360, 640, 90) and "xoay 90°" in f.corrections,
    "silent": lambda f: not f.has_audio and "không có tiếng → thêm khoảng lặng" in f.corrections,
    "hevc10": lambda f: (f.video_codec == "hevc" and f.bit_depth == 10 and f.hdr == "PQ (HDR10)"
                         and "10-bit → 8-bit" in f.corrections and "HDR PQ (HDR10) → SDR" in f.corrections),
    "vp9": lambda f: f.video_codec == "vp9" and "webm" in f.container and f.audio_codec == "opus",
    "vfr": lambda f: f.variable_frame_rate and any("tốc độ khung hình thay đổi" in c for c in f.corrections),
    "60fps": lambda f: f.fps == 60 and "60 khung hình/giây → 30 khung hình/giây" in f.corrections,
}
REJECTED = {  # (English, Vietnamese): the reason is in the campaign's language
    "truncated": ("cut off", "bị cắt cụt"),
    "half": ("incomplete", "chưa trọn vẹn"),
    "empty": ("empty \\(0 bytes\\)", "tệp rỗng \\(0 byte\\)"),
    "text": ("not a video file", "không phải tệp video"),
    "audio": ("sound only", "chỉ có tiếng"),
    "short": ("too short", "quá ngắn"),
}


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_odd_but_valid_clips_are_accepted_with_their_facts(phone, name, vietnamese):
    facts = probe_clip(phone[name])
    assert ACCEPTED[name](facts), facts
    assert facts.duration == pytest.approx(3.0, abs=0.2)


@pytest.mark.parametrize("name", list(REJECTED))
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_unusable_files_are_rejected_with_a_plain_reason(phone, name, lang):
    from content_queue.i18n import use

    with use(lang), pytest.raises(ClipRejected, match=REJECTED[name][lang == "vi"]):
        probe_clip(phone[name])


def _digests(paths) -> dict:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_cli_add_keeps_originals_and_records_rejections(loa, phone, vietnamese):
    before = _digests(phone.values())
    out = {}
    for name, path in phone.items():
        r = loa("clips", "add", str(path), "--participant", "Lê Văn Tám", "--school", "THCS Kon Chiêng",
                "--age", "17", "--consent", "self", "--json")
        assert r.exit_code == 0, r.output
        out[name] = json.loads(r.output)[0]
    assert _digests(phone.values()) == before  # originals byte for byte unchanged
    for name in ACCEPTED:
        assert out[name]["status"] == "pending", out[name]
        assert out[name]["poster"] and (loa.folder / "media" / out[name]["poster"]).stat().st_size > 1000
    for name, (_english, reason) in REJECTED.items():  # the campaign speaks Vietnamese (the default)
        assert out[name]["status"] == "rejected" and reason.replace("\\", "") in out[name]["reason"]
    listing = loa("clips", "list").output
    assert "bị loại" in listing and "bị cắt cụt" in listing
    # rejected files are not kept in the store; accepted ones are, read-only
    stored = [p for p in (loa.folder / "media").rglob("*") if p.is_file() and "posters" not in p.parts]
    assert len(stored) == len(ACCEPTED)


def test_same_clip_twice_is_linked_to_the_first(loa, phone, vietnamese):
    a = json.loads(loa("clips", "add", str(phone["silent"]), "--participant", "A", "--consent", "self", "--age", "18",
                       "--json").output)[0]
    b = json.loads(loa("clips", "add", str(phone["silent"]), "--participant", "A", "--consent", "self", "--age", "18",
                       "--json").output)[0]
    assert b["duplicate_of"] == a["id"] and f"trùng với video số {a['id']}" in b["reason"]


def test_consent_rules_for_minors(loa, phone, vietnamese):
    r = loa("clips", "add", str(phone["silent"]), "--participant", "Trần Thị Mai", "--age", "14", "--consent", "self")
    assert r.exit_code == 1 and "không thể tự đồng ý" in r.output  # the campaign speaks Vietnamese
    r = loa("clips", "add", str(phone["silent"]), "--participant", "Trần Thị Mai", "--age", "14", "--consent", "guardian")
    assert r.exit_code == 1 and "cần ghi tên người giám hộ" in r.output
    r = loa("clips", "add", str(phone["silent"]), "--participant", "Trần Thị Mai", "--age", "14", "--consent", "none",
            "--json")
    clip = json.loads(r.output)[0]
    assert clip["consent_ok"] is False
    r = loa("clips", "approve", str(clip["id"]))
    assert "không có trong video tóm tắt công khai" in r.output
    assert json.loads(loa("clips", "show", str(clip["id"]), "--json").output)["in_public_recap"] is False
    loa("clips", "consent", str(clip["id"]), "--consent", "guardian", "--guardian", "Trần Văn Bình")
    assert json.loads(loa("clips", "show", str(clip["id"]), "--json").output)["in_public_recap"] is True


@pytest.mark.parametrize("display,shown", [("full", "Nguyễn Thị Hoa"), ("first", "Hoa"), ("anonymous", "")])
def test_names_shown_as_chosen(loa, phone, display, shown):
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Nguyễn  Thị Hoa")
    c = json.loads(loa("clips", "add", str(phone["silent"]), "--participant", nfd, "--age", "20", "--consent", "self",
                       "--display", display, "--json").output)[0]
    assert c["participant"] == unicodedata.normalize("NFC", "Nguyễn  Thị Hoa").strip()
    assert c["shown_as"] == shown


def test_withdraw_with_media_deletion(loa, phone):
    c = json.loads(loa("clips", "add", str(phone["60fps"]), "--participant", "B", "--age", "20", "--consent", "self",
                       "--json").output)[0]
    loa("clips", "approve", str(c["id"]))
    stored = [p for p in (loa.folder / "media").rglob("*.mp4")]
    assert stored
    r = loa("clips", "withdraw", str(c["id"]), "--delete-media")
    assert r.exit_code == 0 and "erased" in r.output
    assert not [p for p in (loa.folder / "media").rglob("*.mp4")]
    shown = json.loads(loa("clips", "show", str(c["id"]), "--json").output)
    assert shown["status"] == "withdrawn" and shown["in_public_recap"] is False
    assert phone["60fps"].exists()  # the sender's file is not ours to delete


def test_import_twelve_clips_with_a_manifest(loa, phone, tmp_path):
    import shutil

    folder = tmp_path / "clips"
    folder.mkdir()
    names = ["rotated", "silent", "hevc10", "vp9", "vfr", "60fps", "truncated", "text", "rotated", "silent", "vfr", "60fps"]
    rows = ["file,participant,school,class,age,consent,guardian,display"]
    for i, n in enumerate(names):
        f = f"clip{i:02d}{phone[n].suffix}"
        if n in ("rotated", "silent", "vfr", "60fps") and i >= 8:  # different files of the same kinds
            make_video(folder / f, size="360x640", seconds=2.5 + i / 10)
        else:
            shutil.copy(phone[n], folder / f)
        age = 13 + i
        consent = "guardian" if age < 16 else "self"
        rows.append(f'{f},Học sinh {i},THCS Kon Chiêng,{6 + i % 4}A,{age},{consent},{"Phụ huynh " + str(i) if consent == "guardian" else ""},first')
    (folder / "danh-sach.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = loa("clips", "import", str(folder), "--manifest", str(folder / "danh-sach.csv"))
    assert r.exit_code == 0, r.output
    assert "12 clips: 10 awaiting review, 2 rejected." in r.output
    listed = json.loads(loa("clips", "list", "--json").output)
    assert len(listed) == 12 and sum(c["status"] == "rejected" for c in listed) == 2


def test_bad_manifest_refused_whole(loa, phone, tmp_path, vietnamese):
    folder = tmp_path / "bad"
    folder.mkdir()
    import shutil

    shutil.copy(phone["silent"], folder / "a.mp4")
    (folder / "m.csv").write_text("file,participant,age,consent,guardian\n"
                                  "a.mp4,Em A,14,self,\n"
                                  "missing.mp4,Em B,17,self,\n"
                                  "a.mp4,,17,maybe,\n", encoding="utf-8")
    r = loa("clips", "import", str(folder), "--manifest", str(folder / "m.csv"))
    assert r.exit_code == 1
    assert "dòng 2: người tham gia dưới 16 tuổi không thể tự đồng ý" in r.output
    assert "dòng 3: tệp 'missing.mp4' không có trong" in r.output
    assert "dòng 4:" in r.output and "bị ghi hai lần" in r.output
    assert json.loads(loa("clips", "list", "--json").output) == []


def _ten_clips(d: Path) -> Path:
    d.mkdir()
    lines = ["file,participant,school,age,consent"]
    for i in range(10):
        make_video(d / f"clip{i}.mp4", size="360x640", seconds=2.5 + 0.1 * i)  # ten different files
        lines.append(f"clip{i}.mp4,Học sinh {i},THCS Kon Chiêng,17,self")
    (d / "danh-sach.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


def test_no_database_write_is_held_while_frames_are_decoded(loa, tmp_path, monkeypatch):
    """Every clip is examined before anything is recorded: while a clip is decoded, another
    process can take SQLite's write lock at once (before: the lock was held from the first clip's
    row to the last clip's decode)."""
    import sqlite3

    import content_queue.clips as intake

    folder = _ten_clips(tmp_path / "gui-ve")
    db = loa.folder / "loa.db"
    locked, probed = [], []
    real = intake.probe_clip

    def probe_and_try_the_lock(path):
        probed.append(path)
        other = sqlite3.connect(db, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
        except sqlite3.OperationalError as exc:
            locked.append(str(exc))
        finally:
            other.close()
        return real(path)

    monkeypatch.setattr(intake, "probe_clip", probe_and_try_the_lock)
    r = loa("clips", "import", str(folder), "--manifest", str(folder / "danh-sach.csv"))
    assert r.exit_code == 0, r.output
    assert "10 clips: 10 awaiting review" in r.output
    assert len(probed) == 10 and locked == []


@pytest.mark.slow
def test_loa_run_publishes_while_clips_are_imported(loa, tmp_path):
    """`loa run` publishing while `loa clips import` takes ten clips: no "database is locked",
    every delivery published on its first attempt."""
    import os
    import sys

    from sandbox import Sandbox, SandboxServer
    from content_queue.models import Delivery
    from loa import settings

    folder = _ten_clips(tmp_path / "gui-ve")
    with SandboxServer(Sandbox(processing_seconds=0.1)) as server:
        creds = server.sandbox.new_account("facebook")
        (tmp_path / "fb.json").write_text(json.dumps(creds))
        env = {**os.environ, "LOA_API_BASE": server.base, "LOA_HOME": str(loa.folder)}
        assert subprocess.run([sys.executable, "-m", "loa", "channel", "add", "facebook", "--name", "fanpage",
                               "--credentials", str(tmp_path / "fb.json")], env=env, capture_output=True).returncode == 0
        for i in range(10):
            subprocess.run([sys.executable, "-m", "loa", "post", "add", "--text", f"Đăng trong lúc nhập {i}",
                            "--now", "--to", "facebook"], env=env, check=True, capture_output=True)
        importing = subprocess.Popen([sys.executable, "-m", "loa", "clips", "import", str(folder), "--manifest",
                                      str(folder / "danh-sach.csv")], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        running = subprocess.run([sys.executable, "-m", "loa", "run", "--until-idle", "--timeout", "120"], env=env,
                                 capture_output=True, text=True)
        imported = importing.communicate(timeout=300)[0]
        assert importing.returncode == 0 and "10 clips: 10 awaiting review" in imported, imported
        assert running.returncode == 0, running.stdout + running.stderr
        assert "database is locked" not in running.stdout + running.stderr + imported
        with settings.find(loa.folder).sessions() as s:
            rows = list(s.query(Delivery))
            assert len(rows) == 10
            assert all(d.state.value == "published" and d.attempt_count == 1 for d in rows), \
                [(d.state, d.attempt_count, d.last_error) for d in rows]
        assert server.sandbox.duplicates() == [] and len(server.sandbox.ledger) == 10


def test_withdraw_erases_a_file_sent_twice_and_names_public_recaps(loa, phone, channels, vietnamese):
    """A participant sent the same clip twice and later withdraws: both rows are withdrawn, the
    video leaves the store, and the published recap that contains it is named with its link."""
    from datetime import datetime, timezone

    from sqlalchemy import select

    from content_queue.models import Campaign, Channel, Delivery, DeliveryState, Post, Recap
    from loa import settings

    add = ("--participant", "Lan", "--age", "19", "--consent", "self", "--json")
    first = json.loads(loa("clips", "add", str(phone["silent"]), *add).output)[0]
    again = json.loads(loa("clips", "add", str(phone["silent"]), *add).output)[0]
    assert again["status"] == "rejected" and "trùng với video số" in again["reason"]
    with settings.find(loa.folder).sessions.begin() as s:
        campaign = s.scalars(select(Campaign)).one()
        s.add(Recap(campaign_id=campaign.id, clip_ids={"ids": [first["id"]]}))
        s.flush()
        post = Post(campaign_id=campaign.id, text="Nhìn lại", due_at=datetime.now(timezone.utc), source="recap 1")
        s.add(post)
        s.flush()
        ch = s.scalars(select(Channel)).first()
        s.add(Delivery(post_id=post.id, channel_id=ch.id, state=DeliveryState.published, due_at=post.due_at,
                       remote_url="https://www.facebook.com/reel/42"))
    r = loa("clips", "withdraw", str(again["id"]), "--delete-media")
    assert r.exit_code == 0, r.output
    assert "video đã được xoá khỏi kho tệp" in r.output
    assert f"còn được gửi thành video số {first['id']}: cũng đã rút lại" in r.output
    assert "video tóm tắt 1 có video này và đang công khai" in r.output and "https://www.facebook.com/reel/42" in r.output
    assert "cảnh báo:" in r.output
    assert not list((loa.folder / "media").rglob("*.mp4")) and not list((loa.folder / "media").rglob("*.jpg"))
    for c in (first, again):
        assert json.loads(loa("clips", "show", str(c["id"]), "--json").output)["status"] == "withdrawn"
    assert phone["silent"].exists()


def test_loa_lang_and_the_campaign_choose_the_language(loa, phone, monkeypatch, vietnamese):
    """Vietnamese by default; `loa campaign set --language en` or LOA_LANG=en speak English."""
    def reason(name: str) -> str:
        return json.loads(loa("clips", "add", str(phone[name]), "--participant", "Lan", "--age", "19", "--consent",
                              "self", "--json").output)[0]["reason"]

    assert "không phải tệp video" in reason("text")
    assert loa("campaign", "set", "--language", "en").exit_code == 0
    assert "sound only" in reason("audio")
    monkeypatch.setenv("LOA_LANG", "vi")
    assert "quá ngắn" in reason("short")
    r = loa("campaign", "set", "--language", "fr")
    assert r.exit_code == 1 and "fr" in r.output


def test_a_folder_made_by_an_older_loa_is_closed_to_other_accounts_when_next_opened(loa, tmp_path):
    """Before, the campaign folder and media/ were 0755 and every stored clip 0444: the next loa
    command tightens them (folders 0700, files 0600, the store's read-only copies 0400)."""
    import os
    import stat

    from tests.conftest import make_video

    clip = make_video(tmp_path / "lan.mp4", seconds=3)
    r = loa("clips", "add", str(clip), "--participant", "Lan", "--age", "19", "--consent", "self")
    assert r.exit_code == 0, r.output
    root = loa.folder
    stored = [p for p in (root / "media").rglob("*.mp4")]
    assert stored and all(stat.S_IMODE(p.stat().st_mode) == 0o400 for p in stored)
    for dirpath, _dirs, files in os.walk(root):  # as an older loa left it
        os.chmod(dirpath, 0o755)
        for f in files:
            p = os.path.join(dirpath, f)
            os.chmod(p, 0o444 if "/media/" in p else 0o644)
    assert loa("clips", "list").exit_code == 0
    for dirpath, _dirs, files in os.walk(root):
        assert stat.S_IMODE(os.stat(dirpath).st_mode) == 0o700, dirpath
        for f in files:
            p = os.path.join(dirpath, f)
            assert stat.S_IMODE(os.stat(p).st_mode) == (0o400 if "/media/" in p else 0o600), p
