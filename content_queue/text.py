"""Text rules: NFC normalisation and the campaign's hashtags, added once where missing."""
from __future__ import annotations

import re
import unicodedata

from .errors import UserError
from .i18n import _

_HASHTAG = re.compile(r"#(\w+)", re.UNICODE)


def nfc(text: str | None) -> str:
    """NFC-normalise ``text`` (Vietnamese typed on some keyboards arrives decomposed)."""
    return unicodedata.normalize("NFC", text or "")


def parse_hashtags(value: str | list[str] | None) -> list[str]:
    """Split ``"#a #b, c"`` into ``["#a", "#b", "#c"]``, NFC, without duplicates."""
    if value is None:
        return []
    parts = value if isinstance(value, list) else re.split(r"[\s,;]+", value)
    tags: list[str] = []
    seen: set[str] = set()
    for raw in parts:
        raw = nfc(raw).strip()
        if not raw:
            continue
        tag = raw if raw.startswith("#") else "#" + raw
        if not _HASHTAG.fullmatch(tag):
            raise UserError(
                _("{raw!r} is not a hashtag.", raw=raw),
                fix=_("A hashtag is # followed by letters, digits or _ with no spaces, e.g. #khongmotminh."),
            )
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


def hashtags_in(text: str) -> set[str]:
    return {"#" + m.group(1).casefold() for m in _HASHTAG.finditer(nfc(text))}


def with_hashtags(text: str, hashtags: list[str]) -> str:
    """``text`` (NFC) with each of ``hashtags`` appended once if it is not already there."""
    text = nfc(text).rstrip()
    present = hashtags_in(text)
    missing = [t for t in hashtags if nfc(t).casefold() not in present]
    if not missing:
        return text
    sep = "\n\n" if text else ""
    return text + sep + " ".join(nfc(t) for t in missing)


def first_line(text: str) -> str:
    for line in nfc(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def first_paragraph(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", nfc(text)) if p.strip()]
    return " ".join(paragraphs[0].split()) if paragraphs else ""
