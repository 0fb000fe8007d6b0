"""The recap, checked by probing what comes out: size, frame rate, codecs, length, sound,
upright pictures, captions, loudness, and no ffmpeg left running."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ffmpeg_exe, make_video

pytestmark = pytest.mark.slow


TIKTOK = ("--tiktok-privacy", "PUBLIC_TO_EVERYONE", "--tiktok-music-ok")  # the person's TikTok choices


def ff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ffmpeg_exe(), "-hide_banner", *args], check=True, capture_output=True, text=True)


def frame_at(path: Path, t: float, autorotate: bool = True) -> np.ndarray:
    from PIL import Image

    png = path.with_name(f"{path.stem}-{t:.2f}.png")
    ff("-v", "error", "-y", *([] if autorotate else ["-noautorotate"]), "-ss", str(t), "-i", str(path),
       "-frames:v", "1", str(png))
    return np.array(Image.open(png).convert("RGB")).astype(int)


@pytest.fixture(scope="module")
def clips_dir(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    out = {}
    # landscape, red on top and blue below, filmed with the phone turned: a display matrix of 90°
    ff("-v", "error", "-y", "-f", "lavfi", "-i", "color=c=blue:s=640x360:r=30:d=4,drawbox=x=0:y=0:w=640:h=180:color=red:t=fill",
       "-f", "lavfi", "-i", "sine=frequency=300:sample_rate=44100:duration=4", "-c:v", "libx264", "-preset", "ultrafast",
       "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(d / "flat.mp4"))
    ff("-v", "error", "-y", "-display_rotation", "90", "-i", str(d / "flat.mp4"), "-c", "copy", str(d / "rotated.mp4"))
    out["rotated"] = d / "rotated.mp4"
    out["silent"] = make_video(d / "silent.mp4", size="360x640", seconds=4, audio=False)
    out["fast"] = make_video(d / "fast.mp4", size="720x1280", fps=60, seconds=4)
    out["wide"] = make_video(d / "wide.mp4", size="640x360", seconds=4)
    out["minor"] = make_video(d / "minor.mp4", size="360x640", seconds=4)
    return out


@pytest.fixture
def recap_folder(loa, clips_dir):
    ids = {}
    people = {"rotated": ("Nguyễn Thị Hoa", "THCS Kon Chiêng", "17", "self", ""),
              "silent": ("Trần Văn Bình", "Tiểu học Kon Chiêng", "11", "guardian", "Trần Văn Nam"),
              "fast": ("Lê Thị Mai", "THCS Kon Chiêng", "15", "guardian", "Lê Văn Tư"),
              "wide": ("Phạm Minh Đức Hoàng Long Nguyễn Trường Giang", "THCS Đak Tơ Pang", "20", "self", ""),
              "minor": ("Đinh Thị Lan", "THCS Đak Tơ Pang", "14", "none", "")}
    for key, (name, school, age, consent, guardian) in people.items():
        args = ["clips", "add", str(clips_dir[key]), "--participant", name, "--school", school, "--age", age,
                "--consent", consent, "--display", "full" if int(age) >= 16 else "first", "--json"]
        if guardian:
            args += ["--guardian", guardian]
        r = loa(*args)
        assert r.exit_code == 0, r.output
        ids[key] = json.loads(r.output)[0]["id"]
    loa("clips", "approve", *[str(i) for i in ids.values()])
    return ids


def ffmpeg_children() -> list[str]:
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(os.getpid())], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "ffmpeg" in line]


def test_render_probe_and_publish(loa, recap_folder, clips_dir, tmp_path, channels):
    out = tmp_path / "recap.mp4"
    r = loa("recap", "render", "--seconds", "15", "--per-clip", "2", "--order", "time", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert ffmpeg_children() == []
    from content_queue.clip_probe import probe_clip

    facts = probe_clip(out)
    # 4 clips may be shown (the 14-year-old without a guardian's consent may not): 2.5 + 4 x 2 + 3
    assert (facts.width, facts.height, facts.fps) == (1080, 1920, 30.0)
    assert abs(facts.duration - 13.5) <= 2 / 30
    assert facts.video_codec == "h264" and facts.pixel_format == "yuv420p" and facts.audio_codec == "aac"
    import av

    with av.open(str(out)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.profile == "High"
        assert a.codec_context.sample_rate == 48000 and a.codec_context.channels == 2
        audio_seconds = float(a.duration * a.time_base)
    assert abs(audio_seconds - facts.duration) < 0.1  # sound all the way through, silence where none
    assert out.read_bytes()[4:8] == b"ftyp" and b"moov" in out.read_bytes()[:4096]  # +faststart

    # the turned phone's clip comes out upright: the side ffmpeg shows red is red in the recap
    src = frame_at(clips_dir["rotated"], 1.0)
    red_left = src[src.shape[0] // 2, src.shape[1] // 4][0] > 150
    frame = frame_at(out, 2.5 + 1.0)
    left, right = frame[700, 270], frame[700, 810]
    assert (left[0] > 150 and left[2] < 100) == red_left
    assert (right[2] > 150 and right[0] < 100) == red_left
    # the caption area (lower third, inside the safe area) carries text, not just the picture
    band = frame[1300:1500, 65:896]
    assert band.std() > 20
    # loudness about -14 LUFS, true peak at most -1 dBTP
    meter = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(out), "-af", "ebur128=peak=true",
                            "-f", "null", "-"], capture_output=True, text=True).stderr
    integrated = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", meter)[-1])
    peak = float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", meter)[-1])
    assert -16.5 <= integrated <= -11.5, integrated
    assert peak <= -0.5, peak
    # and it passes the connectors' own pre-publish checks on every platform
    r = loa("recap", "publish", str(out), "--now", "--to", "all", *TIKTOK)
    assert r.exit_code == 0, r.output
    posts = json.loads(loa("post", "list", "--json").output)
    assert sum(len(p["deliveries"]) for p in posts) == 3


def test_only_consented_approved_clips(loa, recap_folder):
    from content_queue.models import Campaign
    from loa import settings
    from recap.plan import plan_recap

    loa("clips", "withdraw", str(recap_folder["wide"]))
    folder = settings.find()
    with folder.sessions() as s:
        campaign = s.query(Campaign).one()
        plan = plan_recap(s, campaign, folder.media_dir, seconds=60, per_clip=3)
    used = {seg.clip_id for seg in plan.segments}
    assert recap_folder["minor"] not in used and recap_folder["wide"] not in used
    assert used == {recap_folder["rotated"], recap_folder["silent"], recap_folder["fast"]}
    schools = [seg.school for seg in plan.segments]
    assert schools[:2] == ["THCS Kon Chiêng", "Tiểu học Kon Chiêng"]  # a fair spread: each school before a second
    r = loa("recap", "render", "--clips", str(recap_folder["minor"]))
    assert r.exit_code == 1 and "may not appear in a public recap" in r.output


def test_loudest_seconds_are_chosen(tmp_path):
    from recap.plan import loudest_window

    quiet_then_loud = tmp_path / "ql.mp4"
    ff("-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x568:r=30:d=8", "-f", "lavfi",
       "-i", "aevalsrc='if(gt(t,5),0.8,0.01)*sin(2*PI*440*t)':s=44100:d=8", "-c:v", "libx264", "-preset", "ultrafast",
       "-c:a", "aac", "-shortest", str(quiet_then_loud))
    assert loudest_window(quiet_then_loud, 8.0, 2.0) >= 4.9


def test_cancelled_render_leaves_nothing_behind(clips_dir, tmp_path):
    import tempfile
    import threading

    from recap.plan import Plan, Segment
    from recap.render import Look, RenderCancelled, render

    plan = Plan(size=(540, 960))
    plan.segments = [Segment(1, clips_dir["silent"], 0.5, 3, "An", "THCS", 360, 640, False)]
    cancel = threading.Event()
    before = set(Path(tempfile.gettempdir()).glob("loa-recap-*"))
    out = tmp_path / "cancelled.mp4"

    def progress(fraction: float) -> None:
        if fraction > 0.2:
            cancel.set()  # the officer pressed Ctrl-C

    with pytest.raises(RenderCancelled):
        render(plan, out, Look("Không một mình"), progress=progress, cancel=cancel)
    assert not out.exists()
    assert set(Path(tempfile.gettempdir()).glob("loa-recap-*")) == before
    assert ffmpeg_children() == []


def _sound_level(path: Path, start: float, end: float) -> float:
    """RMS of the sound between two times, 0..1."""
    import av

    with av.open(str(path)) as c:
        chunks = [f.to_ndarray() for f in c.decode(audio=0) if start <= float(f.pts * f.time_base) < end]
    samples = np.concatenate([c.reshape(-1) for c in chunks]).astype(np.float64)
    return float(np.sqrt(np.mean(samples ** 2)))


def test_square_recap_with_logo_music_and_a_clip_that_runs_short(clips_dir, tmp_path):
    from PIL import Image

    from recap.plan import Plan, Segment
    from recap.render import Look, render

    logo = tmp_path / "logo.png"
    img = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    img.paste((230, 20, 20, 255), (0, 0, 200, 100))
    img.save(logo)
    music = tmp_path / "music.wav"
    ff("-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=660:sample_rate=44100:duration=3", str(music))
    plan = Plan(size=(1080, 1080))
    plan.segments = [Segment(1, clips_dir["wide"], 0.5, 2, "Phạm Minh Đức", "THCS Đak Tơ Pang", 640, 360, True),
                     # starts 0.5 s before the clip ends: its last frame is held, the length stays as planned
                     Segment(2, clips_dir["silent"], 3.5, 2, "Trần Văn Bình", "Tiểu học Kon Chiêng", 360, 640, False)]
    out = tmp_path / "square.mp4"
    render(plan, out, Look("Không một mình", "Em không một mình.", "#khongmotminh", logo=logo), music=music)
    from content_queue.clip_probe import probe_clip

    facts = probe_clip(out)
    assert (facts.width, facts.height, facts.fps) == (1080, 1080, 30.0)
    assert abs(facts.duration - plan.duration) <= 2 / 30
    # the logo sits in the top left corner (6% in) on the cards and on the clips, scaled to 14% of the width
    for t in (1.0, 3.5, 5.5):
        frame = frame_at(out, t)
        r, g, b = frame[int(1080 * 0.06) + 30, int(1080 * 0.06) + 60]
        assert r > 180 and g < 70 and b < 70, (t, frame[90, 120])
    # the held clip keeps its picture (not black, not the campaign colour) to the end of its slot
    held = frame_at(out, 2.5 + 2 + 1.9)
    assert held[540, 300:780].std() > 10
    # music under the cards (no speech there), and the whole at the loudness target
    assert _sound_level(out, 0.3, 2.0) > 0.01
    assert ffmpeg_children() == []


def test_bad_inputs_are_named_before_or_during_the_render(clips_dir, tmp_path):
    from content_queue.errors import UserError
    from recap.plan import Plan, Segment
    from recap.render import Look, render

    def plan_with(path: Path, has_audio: bool = False) -> Plan:
        plan = Plan(size=(540, 960))
        plan.segments = [Segment(7, path, 0.5, 2, "An", "THCS", 360, 640, has_audio)]
        return plan

    out = tmp_path / "r.mp4"
    with pytest.raises(UserError, match="Clip 7's file is missing"):
        render(plan_with(tmp_path / "gone.mp4"), out, Look("Không một mình"))
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all " * 1000)
    with pytest.raises(UserError, match=r"Clip 7 \(garbage.mp4\) could not be decoded"):
        render(plan_with(garbage), out, Look("Không một mình"))
    with pytest.raises(UserError, match=r"Clip 7 \(garbage.mp4\): its sound could not be read"):
        render(plan_with(garbage, has_audio=True), out, Look("Không một mình"))
    assert not out.exists() and not out.with_name(out.name + ".part").exists()
    assert ffmpeg_children() == []
    with pytest.raises(UserError, match="has no sound"):
        render(plan_with(clips_dir["silent"]), out, Look("Không một mình"), music=garbage)
    with pytest.raises(UserError, match="not a picture"):
        render(plan_with(clips_dir["silent"]), out, Look("Không một mình", logo=garbage))
    assert garbage.read_bytes() == b"not a video at all " * 1000  # the user's file untouched
    nowhere = tmp_path / "no-such-folder" / "r.mp4"  # the encoder cannot write (as on a full disk)
    with pytest.raises(UserError, match="ffmpeg could not write the recap to .*no-such-folder"):
        render(plan_with(clips_dir["silent"]), nowhere, Look("Không một mình"))
    assert ffmpeg_children() == []


def test_yuv_conversion_matches_ffmpeg():
    """The cards and overlays are converted to YUV by us: the same numbers ffmpeg gives."""
    from recap.cards import ACCENT, BRAND
    from recap.render import i420

    for color in (BRAND, ACCENT, (255, 255, 255), (0, 0, 0), (230, 20, 20)):
        raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=c=0x%02x%02x%02x:s=4x4" % color,
                              "-frames:v", "1", "-pix_fmt", "yuv420p", "-f", "rawvideo", "-"],
                             capture_output=True, check=True).stdout
        ours = i420(np.full((4, 4, 3), color, dtype=np.uint8), np)
        assert len(ours) == len(raw) == 24
        assert max(abs(a - b) for a, b in zip(ours, raw)) <= 1, (color, list(ours), list(raw))


def test_a_held_last_picture_is_composed_once(clips_dir, tmp_path):
    """A clip that runs out before its slot ends shows its last picture, band and all, unchanged
    (laying the semi-transparent band again on every held frame would darken it frame by frame)."""
    from recap.plan import Plan, Segment
    from recap.render import FADE, Look, _Timeline

    plan = Plan(size=(540, 960))
    plan.segments = [Segment(1, clips_dir["silent"], 3.5, 2, "Trần Văn Bình", "Tiểu học Kon Chiêng", 360, 640, False)]
    timeline = _Timeline(plan, Look("Không một mình"), tmp_path, np)
    try:
        first, count = timeline.parts[1][:2]
        frames = [timeline.frame(n / 30).copy() for n in range(first + count)]
        last = timeline.decoders[0].position  # the clip's last decoded picture, counted from its slot's start
    finally:
        timeline.close()
    assert 10 <= last <= 20  # about 0.5 s of the clip is left after 3.5 s
    held = frames[first + last:first + count - round(FADE * 30)]
    assert len(held) > 20
    assert all(np.array_equal(held[0], f) for f in held[1:])
    assert not np.array_equal(frames[first + last - 1], frames[first + last])  # the clip moved while it lasted


def test_feed_cut_goes_to_the_facebook_feed_beside_the_reel(loa, recap_folder, tmp_path, channels):
    from content_queue.models import Campaign, Channel, Delivery, Post
    from loa import settings
    from content_queue.clip_probe import probe_clip
    from scheduler.items import build_item

    feed = tmp_path / "feed.mp4"
    r = loa("recap", "render", "--format", "feed", "--seconds", "10", "--per-clip", "2", "--out", str(feed), "--json")
    assert r.exit_code == 0, r.output
    made = json.loads(r.stdout)  # the progress bar went to stderr
    assert made["file"] == str(feed) and made["format"] == "feed" and len(made["clips"]) == 2  # 10 s: 4.5 s for clips
    assert abs(made["duration"] - (2.5 + 2 * 2 + 3)) <= 2 / 30
    facts = probe_clip(feed)
    assert (facts.width, facts.height, facts.fps) == (1080, 1350, 30.0)
    vertical = make_video(tmp_path / "vertical.mp4", size="540x960", seconds=4)

    r = loa("recap", "publish", str(vertical), "--feed", str(feed), "--now", "--to", "tiktok,zalo", *TIKTOK)
    assert r.exit_code == 1 and "--feed is for Facebook" in r.output
    r = loa("recap", "publish", str(vertical), "--feed", str(vertical), "--now", "--to", "all", *TIKTOK)
    assert r.exit_code == 1 and "is a vertical cut" in r.output
    assert json.loads(loa("post", "list", "--json").output) == []  # nothing half-queued

    r = loa("recap", "publish", str(vertical), "--feed", str(feed), "--now", "--to", "all", "--json", *TIKTOK)
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)["posts"]) == 3  # the vertical cut, Zalo's, the feed cut
    folder = settings.find()
    with folder.sessions() as s:
        campaign = s.query(Campaign).one()
        routes = sorted((d.channel.platform.value, build_item(d.post, d.channel, campaign, folder.media_dir).route,
                         d.post.media.height) for d in s.query(Delivery).join(Post).join(Channel))
    assert routes == [("facebook", "reel", 960), ("facebook", "video", 1350), ("tiktok", "video", 960),
                      ("zalo", "video", 960)]


@pytest.mark.parametrize("transfer", ["smpte2084", "arib-std-b67"])
def test_hdr_clips_are_tone_mapped_to_sdr(clips_dir, tmp_path, transfer):
    """An HDR clip (PQ or HLG, as phones film it) looks like its SDR original in the recap, not
    grey and washed out as a plain 10-bit to 8-bit conversion leaves it."""
    from recap.plan import Plan, Segment
    from content_queue.clip_probe import probe_clip
    from recap.render import Look, render

    sdr = make_video(tmp_path / "sdr.mp4", size="540x960", seconds=3, audio=False)
    hdr = tmp_path / "hdr.mp4"
    ff("-v", "error", "-y", "-i", str(sdr), "-vf",
       f"zscale=tin=bt709:min=bt709:pin=bt709:rin=tv:t={transfer}:m=bt2020nc:p=bt2020:r=tv:npl=100,format=yuv420p10le",
       "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
       "-x265-params", f"log-level=error:colorprim=bt2020:transfer={transfer}:colormatrix=bt2020nc", str(hdr))
    facts = probe_clip(hdr)
    assert facts.hdr  # the intake promised "HDR → SDR" for it
    plan = Plan(size=(540, 960))
    plan.segments = [Segment(1, hdr, 0.5, 2, "An", "THCS", 540, 960, False, 0, facts.hdr)]
    out = tmp_path / "recap.mp4"
    render(plan, out, Look("Không một mình"))
    ours = frame_at(out, plan.intro + 1.0)[60:560]
    original = frame_at(sdr, 1.5)[60:560]
    plain = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", "1.5", "-i", str(hdr), "-frames:v", "1", "-f", "rawvideo",
                            "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    plain = np.frombuffer(plain, dtype=np.uint8).reshape(960, 540, 3).astype(int)[60:560]
    assert np.abs(plain - original).mean() > 60  # what an untreated conversion shows
    assert np.abs(ours - original).mean() < 40, np.abs(ours - original).mean()


def test_blurred_fill_around_a_landscape_clip(clips_dir, tmp_path):
    """--fill blur: above and below a landscape clip in a vertical recap, a blurred, darkened copy
    of the clip itself instead of the campaign colour; the clip itself stays sharp and whole."""
    from recap.cards import BRAND
    from recap.plan import Plan, Segment
    from recap.render import Look, render

    plan = Plan(size=(540, 960))
    plan.segments = [Segment(1, clips_dir["wide"], 0.5, 2, "An", "THCS", 640, 360, True)]
    frames = {}
    for fill in ("color", "blur"):
        out = tmp_path / f"{fill}.mp4"
        render(plan, out, Look("Không một mình", fill=fill))
        frames[fill] = frame_at(out, plan.intro + 1.0)
    # the clip fitted: 540x304 in the middle (rows 328..632)
    above_color, above_blur = frames["color"][40:300], frames["blur"][40:300]
    assert np.abs(above_color - np.array(BRAND)).max() <= 6  # bars of the campaign colour
    assert np.abs(above_blur - np.array(BRAND)).mean() > 25  # something else: the clip's colours
    assert above_blur[:, :, :].std(axis=1).mean() > 3  # not flat either
    middle = slice(360, 600)
    assert np.abs(frames["color"][middle] - frames["blur"][middle]).mean() < 3  # the clip itself unchanged
    # blurred: neighbouring pixels differ far less than in the sharp clip
    def roughness(a):
        return np.abs(np.diff(a.astype(int), axis=1)).mean()
    assert roughness(above_blur) < roughness(frames["blur"][middle]) / 4


def test_zalo_gets_a_copy_under_its_size_limit(loa, channels, tmp_path, monkeypatch):
    """A recap over Zalo's video limit is queued for Zalo as a re-encoded copy under it (here the
    limit is lowered to 2 MB so that a short, heavy video is over it); the other platforms get the
    original, byte for byte."""
    import dataclasses
    import hashlib

    from connectors import limits as L
    from content_queue.models import Channel, Delivery, Post
    from loa import settings
    from content_queue.clip_probe import probe_clip

    monkeypatch.setattr(L, "ZALO_VIDEO", dataclasses.replace(L.ZALO_VIDEO, max_bytes=2_000_000))
    heavy = tmp_path / "recap.mp4"
    ff("-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=540x960:r=30:d=6,noise=alls=40:allf=t",
       "-f", "lavfi", "-i", "sine=d=6", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p",
       "-c:a", "aac", "-ar", "48000", "-shortest", str(heavy))
    original = heavy.read_bytes()
    assert len(original) > 4_000_000
    r = loa("recap", "publish", str(heavy), "--now", "--to", "all", *TIKTOK)
    assert r.exit_code == 0, r.output
    folder = settings.find()
    with folder.sessions() as s:
        media = {d.channel.platform.value: d.post.media for d in s.query(Delivery).join(Post).join(Channel)}
        files = {platform: folder.media_dir / m.relpath for platform, m in media.items()}
    assert hashlib.sha256(files["tiktok"].read_bytes()).hexdigest() == hashlib.sha256(original).hexdigest()
    assert files["facebook"] == files["tiktok"]
    copy = probe_clip(files["zalo"])
    assert files["zalo"].stat().st_size <= 2_000_000
    assert (copy.width, copy.height, copy.video_codec, copy.audio_codec) == (540, 960, "h264", "aac")
    assert abs(copy.duration - 6.0) < 0.1
    assert heavy.read_bytes() == original  # the officer's file untouched
