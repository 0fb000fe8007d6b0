"""The message catalogue is complete and checked: every message marked in the code has a
Vietnamese translation that keeps its placeholders, the catalogue holds nothing the code no longer
says, and the compiled catalogue loa reads is the one the translations say."""
from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

babel = pytest.importorskip("babel")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "content_queue" / "locale"
PACKAGES = ("content_queue", "loa", "scheduler", "recap")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
FIELD = re.compile(r"\{([^{}]*)\}")


def marked() -> set[str]:
    found = set()
    for package in PACKAGES:
        for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()):
            found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def catalogue(lang: str):
    with open(LOCALE / lang / "LC_MESSAGES" / "loa.po", "rb") as f:
        return read_po(f)


def test_every_marked_message_has_a_vietnamese_translation_and_nothing_is_stale():
    code, vi = marked(), catalogue("vi")
    translated = {m.id: m.string for m in vi if m.id}
    assert code, "no message is marked"
    missing = sorted(m for m in code if not translated.get(m))
    stale = sorted(set(translated) - code)
    assert missing == [], f"{len(missing)} message(s) without a vi translation: {missing[:5]}"
    assert stale == [], f"the catalogue holds message(s) the code no longer says: {stale[:5]}"


def test_translations_keep_their_placeholders():
    wrong = [(m.id, m.string) for m in catalogue("vi") if m.id and sorted(FIELD.findall(m.id)) != sorted(
        FIELD.findall(m.string if isinstance(m.string, str) else m.string[0]))]
    assert wrong == []


def test_the_compiled_catalogue_is_the_translations():
    compiled = gettext.GNUTranslations(open(LOCALE / "vi" / "LC_MESSAGES" / "loa.mo", "rb"))
    differs = [m.id for m in catalogue("vi") if m.id and compiled.gettext(m.id) != m.string]
    assert differs == [], "loa.mo is out of date: run `pybabel compile -d content_queue/locale -D loa`"
    assert catalogue("vi").plural_forms == "nplurals=1; plural=0;"  # Vietnamese has one form


def test_messages_follow_the_language():
    from content_queue.clip_probe import ClipRejected, probe_clip
    from content_queue.i18n import _, use

    with use("vi"):
        assert _("this is a picture, not a video") == "đây là ảnh, không phải video"
    with use("en"):
        assert _("this is a picture, not a video") == "this is a picture, not a video"
    with use("xx"):  # a language loa does not speak: Vietnamese
        assert _("Page not found.") == "Không tìm thấy trang."
    assert ClipRejected and probe_clip
