"""One message catalogue for every message a person reads: gettext catalogues in
``content_queue/locale`` (Vietnamese first; English is the source language), chosen per command or
request by :func:`use`.

Messages are written ``_("the video is too short ({seconds:.1f} s)", seconds=d)``: placeholders
are named, so that a translation may put them in its own order, and a test holds every
translation to the same placeholders (``tests/test_catalogue.py``). ``N_`` marks a message for
the catalogue where it is translated later (a constant, a default).
"""
from __future__ import annotations

import contextvars
import gettext
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

DOMAIN = "loa"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("vi", "en")
DEFAULT = "vi"

_language: contextvars.ContextVar[str] = contextvars.ContextVar("loa_language", default=DEFAULT)


def choose(*candidates: str | None) -> str:
    """The first of ``candidates`` that is a language loa speaks (LOA_LANG, then the campaign's)."""
    for c in candidates:
        code = (c or "").strip().lower().split("_")[0].split("-")[0]
        if code in LANGUAGES:
            return code
    return DEFAULT


def set_language(lang: str) -> None:
    _language.set(choose(lang))


def current() -> str:
    return _language.get()


@contextmanager
def use(lang: str | None) -> Iterator[str]:
    """Speak ``lang`` inside the block (a command, a request)."""
    token = _language.set(choose(lang))
    try:
        yield _language.get()
    finally:
        _language.reset(token)


@lru_cache(maxsize=None)
def _catalogue(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str, **params) -> str:
    text = _catalogue(_language.get()).gettext(message)
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, n: int, **params) -> str:
    text = _catalogue(_language.get()).ngettext(singular, plural, n)
    return text.format(n=n, **params)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; translate it with ``_`` where it is shown."""
    return message
