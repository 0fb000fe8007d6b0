"""Queue-time checks, one table per platform rule, and the text and time helpers."""
from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone

import pytest

from content_queue.errors import UserError
from content_queue.media import MediaFacts, probe
from content_queue.text import parse_hashtags, with_hashtags
from content_queue.timeutil import parse_when, show
from content_queue.validation import Draft, Target, check, is_reel, platform_text, zalo_description

NOW = datetime(2025, 10, 1, 1, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=1)
TAGS = ["#khongmotminh", "#antoantructuyen", "#niemtinso"]
FB = Target("facebook", "fanpage")
ZALO = Target("zalo", "zalo-oa", {"cover_url": "https://example.org/bia.jpg"})
TT = Target("tiktok", "tiktok")
CHOSEN = {"privacy": "PUBLIC_TO_EVERYONE", "music": "yes"}  # what the person chose for a TikTok post
MB = 1024 * 1024


def video(**kw) -> MediaFacts:
    base = dict(kind="video", size=5 * MB, suffix=".mp4", width=1080, height=1920, duration=30.0, fps=30.0)
    base.update(kw)
    return MediaFacts(**base)


def photo(**kw) -> MediaFacts:
    base = dict(kind="image", size=1 * MB, suffix=".jpg", width=1200, height=800)
    base.update(kw)
    return MediaFacts(**base)


def problems(draft: Draft, *targets: Target, now=NOW) -> list[str]:
    found, _ = check(draft, list(targets), TAGS, now)
    return [str(p) for p in found]


CASES = [
    # (id, draft, targets, expected substring or None for no problem)
    ("fb text ok", Draft(text="Xin chào", due_at=LATER), [FB], None),
    ("fb text too long", Draft(text="a" * 63_207, due_at=LATER), [FB], "facebook: the text has"),
    ("fb photo over 4 MB", Draft(text="x", media=photo(size=5 * MB), due_at=LATER), [FB], "Facebook takes photos up to 4.0 MB"),
    ("fb photo ok", Draft(text="x", media=photo(), due_at=LATER), [FB], None),
    ("fb landscape video ok", Draft(text="x", media=video(width=1920, height=1080), due_at=LATER), [FB], None),
    ("fb video too big", Draft(text="x", media=video(width=1920, height=1080, size=11 * 1024 * MB), due_at=LATER), [FB], "over the 10240.0 MB limit"),
    ("zalo ok", Draft(text="Tiêu đề\n\nNội dung", due_at=LATER), [ZALO], None),
    ("zalo title too long", Draft(text="x", title="t" * 141, due_at=LATER), [ZALO], "zalo: the title has 141 characters, over Zalo's 140"),
    ("zalo derived title too long", Draft(text="t" * 151, due_at=LATER), [ZALO], "taken from the first line"),
    ("zalo title exactly 140 (150 is refused by Zalo in production)", Draft(text="x", title="t" * 140, due_at=LATER), [ZALO], None),
    ("zalo description too long", Draft(text="x", variants={"zalo": {"description": "d" * 251}}, due_at=LATER), [ZALO], "over Zalo's 250"),
    ("zalo no cover", Draft(text="x", due_at=LATER), [Target("zalo", "z")], "needs a cover photo given as a public web address"),
    ("zalo cover not a url", Draft(text="x", cover_url="bia.jpg", due_at=LATER), [Target("zalo", "z")], "is not a web address"),
    ("zalo video over 50 MB", Draft(text="x", media=video(size=51 * MB), due_at=LATER), [ZALO], "over the 50.0 MB limit"),
    ("zalo mov refused", Draft(text="x", media=video(suffix=".mov"), due_at=LATER), [ZALO], ".mov files are not accepted"),
    ("tiktok needs video", Draft(text="x", due_at=LATER), [TT], "TikTok publishes videos only"),
    ("tiktok photo refused", Draft(text="x", media=photo(), due_at=LATER), [TT], "TikTok publishes videos only"),
    ("tiktok ok", Draft(text="x", media=video(), due_at=LATER, variants={"tiktok": CHOSEN}), [TT], None),
    ("tiktok caption 2200 units ok", Draft(text="a" * (2200 - 43), media=video(), due_at=LATER,
                                           variants={"tiktok": CHOSEN}), [TT], None),
    # TikTok's posting rules: the person chooses; nothing is chosen for them
    ("tiktok nobody chose who sees it", Draft(text="x", media=video(), due_at=LATER, variants={"tiktok": {"music": "yes"}}),
     [TT], "nobody has chosen who may see this video"),
    ("tiktok no music confirmation", Draft(text="x", media=video(), due_at=LATER,
                                           variants={"tiktok": {"privacy": "SELF_ONLY"}}),
     [TT], "Music Usage Confirmation has not been agreed to"),
    ("tiktok branded content private", Draft(text="x", media=video(), due_at=LATER, variants={
        "tiktok": {**CHOSEN, "privacy": "SELF_ONLY", "disclose": "partner"}}), [TT], "cannot be private"),
    ("tiktok unknown level", Draft(text="x", media=video(), due_at=LATER, variants={
        "tiktok": {**CHOSEN, "privacy": "FRIENDS"}}), [TT], "'FRIENDS' is not a TikTok privacy level"),
    ("tiktok unknown interaction", Draft(text="x", media=video(), due_at=LATER, variants={
        "tiktok": {**CHOSEN, "allow": "comment,share"}}), [TT], "share is not an interaction"),
    ("tiktok inbox needs no choice", Draft(text="x", media=video(), due_at=LATER),
     [Target("tiktok", "tiktok", {"mode": "inbox"})], None),
    ("tiktok the account's own levels", Draft(text="x", media=video(), due_at=LATER, variants={"tiktok": CHOSEN}),
     [Target("tiktok", "tiktok", facts={"privacy_level_options": ["SELF_ONLY"]})], "does not offer PUBLIC_TO_EVERYONE"),
    ("tiktok the account's own interactions", Draft(text="x", media=video(), due_at=LATER, variants={
        "tiktok": {**CHOSEN, "allow": "comment,stitch"}}),
     [Target("tiktok", "tiktok", facts={"privacy_level_options": ["PUBLIC_TO_EVERYONE"], "stitch_disabled": True})],
     "turned off stitch in the TikTok app"),
    ("tiktok the account's own longest video", Draft(text="x", media=video(duration=90.0), due_at=LATER,
                                                     variants={"tiktok": CHOSEN}),
     [Target("tiktok", "tiktok", facts={"privacy_level_options": ["PUBLIC_TO_EVERYONE"],
                                        "max_video_post_duration_sec": 60})], "may post at most 60 s"),
    ("tiktok caption over", Draft(text="a" * (2201 - 43), media=video(), due_at=LATER), [TT], "2201 UTF-16 units"),
    ("tiktok emoji count twice", Draft(text="😀" * 1079, media=video(), due_at=LATER), [TT], "2201 UTF-16 units"),
    ("tiktok 120 fps", Draft(text="x", media=video(fps=120.0), due_at=LATER), [TT], "over 60"),
    ("tiktok 15 fps", Draft(text="x", media=video(fps=15.0), due_at=LATER), [TT], "under 23"),
    ("tiktok too long", Draft(text="x", media=video(duration=601.0), due_at=LATER), [TT], "over the 600 s maximum"),
    ("tiktok too small", Draft(text="x", media=video(width=320, height=240), due_at=LATER), [TT], "at least 360 px"),
    ("tiktok too big", Draft(text="x", media=video(width=4100, height=2000), due_at=LATER), [TT], "at most 4096 px"),
    ("past time", Draft(text="x", due_at=NOW - timedelta(hours=1)), [FB], "the time is in the past"),
    ("within tolerance", Draft(text="x", due_at=NOW - timedelta(seconds=30)), [FB], None),
    ("empty post", Draft(text="  ", due_at=LATER), [FB], "no text and no media"),
    ("bad link", Draft(text="x", link="example.org", due_at=LATER), [FB], "is not a web address"),
    ("no targets", Draft(text="x", due_at=LATER), [], "goes nowhere"),
]


@pytest.mark.parametrize("draft,targets,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_platform_rules(draft, targets, expected):
    found = problems(draft, *targets)
    if expected is None:
        assert found == []
    else:
        assert any(expected in p for p in found), found


def test_every_problem_names_a_fix():
    found, _ = check(Draft(text="", media=video(size=60 * MB, fps=120.0, suffix=".avi"), due_at=NOW - timedelta(days=1)),
                     [FB, Target("zalo", "z"), TT], TAGS, NOW)
    assert len(found) >= 5
    for p in found:
        assert p.fix, p


def test_reel_detection():
    assert is_reel(video())
    assert not is_reel(video(width=1920, height=1080))
    assert not is_reel(video(duration=91.0))
    assert not is_reel(video(duration=2.5))
    assert not is_reel(video(width=480, height=854))
    assert not is_reel(video(fps=20.0))


def test_vertical_non_reel_goes_as_page_video_with_a_warning():
    found, warnings = check(Draft(text="x", media=video(duration=120.0), due_at=LATER), [FB], TAGS, NOW)
    assert found == []
    assert any("not a Reel" in w for w in warnings)


def test_zalo_photo_is_not_silently_dropped():
    _, warnings = check(Draft(text="x", media=photo(), due_at=LATER), [ZALO], TAGS, NOW)
    assert any("not sent to Zalo" in w for w in warnings)


def test_handoff_outside_facebook_window_warns():
    _, warnings = check(Draft(text="x", due_at=NOW + timedelta(minutes=5), facebook_handoff=True), [FB], TAGS, NOW)
    assert any("10 minutes to 30 days" in w for w in warnings)


def test_zalo_description_derived_and_trimmed_at_a_word():
    desc, given = zalo_description(Draft(text=("từ " * 200).strip()))
    assert not given and len(desc) <= 250 and desc.endswith("…") and not desc.endswith(" …")


@pytest.mark.parametrize("text,expected", [
    ("Xin chào", "Xin chào\n\n#khongmotminh #antoantructuyen #niemtinso"),
    ("Xin chào #KhongMotMinh", "Xin chào #KhongMotMinh\n\n#antoantructuyen #niemtinso"),
    ("#khongmotminh #antoantructuyen #niemtinso", "#khongmotminh #antoantructuyen #niemtinso"),
    ("", "#khongmotminh #antoantructuyen #niemtinso"),
])
def test_hashtags_added_once(text, expected):
    assert with_hashtags(text, TAGS) == expected
    assert with_hashtags(with_hashtags(text, TAGS), TAGS) == expected


def test_hashtags_can_be_turned_off():
    assert platform_text(Draft(text="Xin chào", add_hashtags=False), "facebook", TAGS) == "Xin chào"


def test_nfd_text_comes_out_nfc():
    nfd = unicodedata.normalize("NFD", "Không một mình")
    out = platform_text(Draft(text=nfd), "facebook", TAGS)
    assert out.startswith("Không một mình") and unicodedata.is_normalized("NFC", out)


def test_parse_hashtags():
    assert parse_hashtags("#a, b  #a ;#c") == ["#a", "#b", "#c"]
    assert parse_hashtags("#an toàn") == ["#an", "#toàn"]
    with pytest.raises(UserError, match="not a hashtag"):
        parse_hashtags("#")
    with pytest.raises(UserError, match="not a hashtag"):
        parse_hashtags("#an-toan")


@pytest.mark.parametrize("typed", ["2025-10-20 08:00", "20/10/2025 08:00", "2025-10-20T08:00", "2025-10-20T01:00Z",
                                   "2025-10-20T08:00:00+07:00"])
def test_times_are_read_in_the_campaign_zone(typed):
    dt = parse_when(typed, "Asia/Ho_Chi_Minh")
    assert dt == datetime(2025, 10, 20, 1, 0, tzinfo=timezone.utc)
    assert show(dt, "Asia/Ho_Chi_Minh") == "2025-10-20 08:00"


def test_time_that_does_not_exist_is_refused():
    with pytest.raises(UserError, match="does not exist"):
        parse_when("2025-03-30 02:30", "Europe/Paris")


def test_probe_reads_real_media(media_dir):
    f = probe(media_dir / "reel.mp4")
    assert (f.kind, f.width, f.height, f.fps, f.video_codec, f.audio_codec) == ("video", 540, 960, 30.0, "h264", "aac")
    assert f.duration == pytest.approx(4.0, abs=0.1)
    assert probe(media_dir / "photo.jpg").kind == "image"
    with pytest.raises(UserError, match="neither a picture nor a video"):
        probe(media_dir / "notes.mp4")


def test_probe_applies_rotation(tmp_path):
    from tests.conftest import ffmpeg_exe, make_video
    import subprocess

    src = make_video(tmp_path / "land.mp4", size="640x360", audio=False)
    rotated = tmp_path / "phone.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-display_rotation", "90", "-i", str(src), "-c", "copy",
                    str(rotated)], check=True)
    f = probe(rotated)
    assert (f.width, f.height, f.rotation % 180) == (360, 640, 90)
