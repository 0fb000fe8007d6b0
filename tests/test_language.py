"""The officer's language, tried as a new user would: no language set, loa speaks Vietnamese with
its diacritics, from click's own words to the platforms' refusals; LOA_LANG=en gives the same in
English. What stays as it is: platform names, commands and options, codes, and what the officer or
a platform wrote (quoted)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata

import pytest

from tests.conftest import make_video
from tests.test_connector_facebook import rsps  # noqa: F401 (a fixture)
from tests.test_scheduler_engine import clock, server  # noqa: F401 (fixtures)

# Common English words that would betray an untranslated message (not "video", "clip", "in": they are
# Vietnamese words too; "an" is one in "an toàn", safe, which KEEP takes out).
ENGLISH = {"the", "is", "are", "not", "and", "or", "of", "to", "with", "an", "for", "on", "has", "have",
           "was", "no", "post", "posts", "channel", "channels", "error", "give", "use", "missing", "unknown",
           "usage", "options", "commands", "show", "this", "message", "time", "past", "caption"}
KEEP = re.compile(r"\b[Aa]n toàn\b|loa(?: [a-z][\w-]*)+|`[^`]*`|'[^']*'|\"[^\"]*\"|“[^”]*”|--[\w-]+|https?://\S+|\S+\.(mp4|json|csv|html|jpg)\b|"
                  r"\b(loa|facebook|zalo|tiktok|Facebook|Zalo|TikTok|Reels?|OA|UTF-16|ISO|NAME|ID|URL|"
                  r"[A-Z_]{3,})\b")


COMMAND_COLUMN = re.compile(r"^\s{2}[a-z]+(?=\s{2,})", re.M)  # the command names in `--help`'s list


def english_words(text: str) -> set[str]:
    """The English words left once what stays as it is has been taken out."""
    rest = KEEP.sub(" ", COMMAND_COLUMN.sub(" ", text))
    return {w for w in re.findall(r"\w+", rest) if w.isascii() and w.lower() in ENGLISH}


@pytest.fixture
def officer(loa, channels, monkeypatch):
    """A new officer's campaign folder: LOA_LANG unset, the campaign's language left as it was made."""
    from content_queue import i18n

    monkeypatch.delenv("LOA_LANG", raising=False)
    i18n.set_language(None)
    return loa


def test_help_and_click_s_own_words_are_vietnamese(officer, monkeypatch):
    r = officer("--help")
    assert r.exit_code == 0
    assert "Cách dùng:" in r.output and "Tuỳ chọn:" in r.output and "Lệnh:" in r.output
    assert "Hiện hướng dẫn này rồi thoát." in r.output and "Bài đăng: nói gì" in r.output
    assert english_words(r.output) == set(), r.output
    r = officer("post", "add", "--help")
    assert r.exit_code == 0 and "Xếp lịch một bài đăng" in r.output and "TikTok: nội dung riêng" in r.output
    assert english_words(r.output) == set(), r.output
    r = officer("post", "add", "--txt", "x")
    assert r.exit_code == 1 and "Không có tuỳ chọn '--txt'" in r.output and "Có phải ý bạn là" in r.output
    monkeypatch.setenv("LOA_LANG", "en")
    r = officer("post", "add", "--txt", "x")
    assert r.exit_code == 1 and "No such option '--txt'" in r.output
    assert "Usage:" in officer("--help").output


def test_post_add_problems_are_vietnamese_then_english(officer, tmp_path, monkeypatch):
    video = make_video(tmp_path / "v.mp4", seconds=3)
    args = ["post", "add", "--text", "Không một mình " * 200, "--media", str(video), "--at", "2020-01-01 08:00",
            "--to", "tiktok,instagram"]
    r = officer(*args)
    assert r.exit_code == 1
    said = r.output
    assert unicodedata.is_normalized("NFC", said)
    assert "vấn đề cần sửa" in said
    assert "không có kênh hay nền tảng nào tên 'instagram'" in said
    assert "thời gian đã qua rồi" in said
    assert english_words(said) == set(), said
    r = officer("post", "add", "--text", "Không một mình " * 200, "--media", str(video), "--at", "2030-01-01 08:00",
                "--to", "tiktok")
    assert r.exit_code == 1 and "đơn vị UTF-16" in r.output and "vượt giới hạn 2200 của TikTok" in r.output
    assert english_words(r.output) == set(), r.output
    monkeypatch.setenv("LOA_LANG", "en")
    r = officer(*args)
    assert r.exit_code == 1 and "problems found" in r.output and "no channel or platform named 'instagram'" in r.output
    assert "the time is in the past" in r.output


def test_the_campaign_s_language_is_english_when_set(officer):
    assert officer("campaign", "set", "--language", "en").exit_code == 0
    r = officer("post", "add", "--text", "x", "--at", "2020-01-01 08:00", "--to", "facebook")
    assert r.exit_code == 1 and "the time is in the past" in r.output
    assert "Usage:" in officer("--help").output


def test_status_and_show_speak_vietnamese_with_the_platform_s_words_beside(officer):
    """A post Zalo refuses: loa's explanation in Vietnamese, Zalo's own message kept beside it."""
    from sqlalchemy import select

    from content_queue.lifecycle import move, Action, ErrorKind, Outcome
    from content_queue.models import Delivery, DeliveryState
    from loa import settings

    assert officer("post", "add", "--text", "Chào các em", "--at", "2030-01-01 08:00", "--to", "fanpage").exit_code == 0
    with settings.find(officer.folder).sessions.begin() as s:
        d = s.scalars(select(Delivery)).one()
        move(s, d, DeliveryState.publishing, action=Action.publish, outcome=Outcome.started)
        move(s, d, DeliveryState.failed, action=Action.publish, outcome=Outcome.failed, kind=ErrorKind.rejected,
             reason="Facebook từ chối bài đăng.", platform_said="(#100) Invalid parameter")
    r = officer("status")
    assert r.exit_code == 0 and "Bây giờ là" in r.output and "Thất bại (1)" in r.output
    assert "TÌNH TRẠNG" in r.output and "Facebook từ chối bài đăng." in r.output
    assert english_words(r.output) == set(), r.output
    r = officer("post", "show", "1")
    assert "Facebook báo: “(#100) Invalid parameter”" in r.output and "thất bại" in r.output.lower()
    data = json.loads(officer("post", "show", "1", "--json").output)
    assert data["deliveries"][0]["state"] == "failed"  # codes stay English for scripts
    assert data["deliveries"][0]["platform_message"] == "(#100) Invalid parameter"


def test_a_refusal_is_explained_in_the_officer_s_language(rsps):
    """The connector says what happened and what to do (translated where it is read); the
    platform's own words stay in their field, as the platform wrote them."""
    from connectors import Rejected
    from content_queue.i18n import say, use
    from tests.test_connector_facebook import G, PAGE, err, fb
    from connectors.base import Item

    rsps.post(f"{G}/{PAGE}/feed", **err(506, "Duplicate status message"))
    with pytest.raises(Rejected) as info:
        fb().publish(Item(text="x"))
    with use("vi"):
        assert "Facebook không nhận bài giống hệt một bài vừa đăng" in say(info.value)
    with use("en"):
        assert "Facebook refuses a post identical to a recent one" in say(info.value)
    assert info.value.platform_message == "Duplicate status message"
    assert "[facebook said: Duplicate status message (code 506)]" in str(info.value)  # as logs keep it


def test_the_scheduler_records_a_refusal_in_the_campaign_s_language(db_url, tmp_path, server, clock):
    from content_queue import i18n
    from content_queue.models import DeliveryState
    from tests.scheduler_helpers import make_world

    world = make_world(db_url, tmp_path, server, clock)
    try:
        i18n.set_language("vi")
        world.add_channel("tiktok", "tiktok", privacy_options=["SELF_ONLY"])
        [d] = world.post("Riêng tư", "tiktok", media=make_video(tmp_path / "r.mp4", seconds=4))
        world.engine().run_pass()
        got = world.delivery(d)
        assert got.state is DeliveryState.failed
        assert "TikTok chưa duyệt (audit) ứng dụng này" in got.last_error
        assert "SELF_ONLY" in got.platform_message
    finally:
        world.engine_db.dispose()


def test_a_command_without_a_campaign_folder_speaks_vietnamese(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "loa", "status"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 1
    assert "Đây không phải thư mục chiến dịch" in r.stderr + r.stdout
    r = subprocess.run([sys.executable, "-m", "loa", "status"], cwd=tmp_path, env={**env, "LOA_LANG": "en"},
                       capture_output=True, text=True)
    assert "This is not a campaign folder" in r.stderr + r.stdout
