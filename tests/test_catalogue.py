"""The message catalogue is complete and checked: every message marked in the code (Python, the
command line's help texts, the HTML templates) and every message of click's own has a Vietnamese
translation that keeps its placeholders, the catalogue holds nothing the code no longer says, and
the compiled catalogue loa reads is the one the translations say. Extraction reads babel.cfg, as
`pybabel extract -F babel.cfg` does (README, "Languages")."""
from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

babel = pytest.importorskip("babel")
import click  # noqa: E402
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.frontend import parse_mapping_cfg  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402
from content_queue.i18n import _

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "content_queue" / "locale"
PACKAGES = ("content_queue", "loa", "scheduler", "recap", "connectors")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
FIELD = re.compile(r"\{([^{}]*)\}")


def marked() -> set[str]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for folder in [ROOT / p for p in PACKAGES] + [Path(click.__file__).parent]:
        for _file, _line, message, _comments, _context in extract_from_dir(
                folder, method_map=method_map, options_map=options_map, keywords=KEYWORDS, comment_tags=()):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(lang: str):
    with open(LOCALE / lang / "LC_MESSAGES" / "loa.po", "rb") as f:
        return read_po(f)


def test_every_marked_message_has_a_vietnamese_translation_and_nothing_is_stale():
    code, vi = marked(), catalogue("vi")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string if isinstance(m.string, str) else m.string[0]
                  for m in vi if m.id}
    assert code, "no message is marked"
    missing = sorted(m for m in code if not translated.get(m))
    stale = sorted(set(translated) - code)
    assert missing == [], f"{len(missing)} message(s) without a vi translation: {missing[:5]}"
    assert stale == [], f"the catalogue holds message(s) the code no longer says: {stale[:5]}"


def test_translations_keep_their_placeholders():
    """The same placeholders; Vietnamese's one plural form may use those of either English form
    (click fills both)."""
    wrong = []
    for m in catalogue("vi"):
        if not m.id:
            continue
        if isinstance(m.id, str):
            if sorted(FIELD.findall(m.id)) != sorted(FIELD.findall(m.string)):
                wrong.append((m.id, m.string))
        elif not set(FIELD.findall(m.string[0])) <= set(FIELD.findall(m.id[0])) | set(FIELD.findall(m.id[1])):
            wrong.append((m.id, m.string))
    assert wrong == []


def test_the_compiled_catalogue_is_the_translations():
    compiled = gettext.GNUTranslations(open(LOCALE / "vi" / "LC_MESSAGES" / "loa.mo", "rb"))
    differs = [m.id for m in catalogue("vi") if m.id and isinstance(m.id, str) and compiled.gettext(m.id) != m.string]
    differs += [m.id for m in catalogue("vi") if isinstance(m.id, tuple) and compiled.ngettext(*m.id, 2) != m.string[0]]
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
