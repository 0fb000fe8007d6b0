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
import sys
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

DOMAIN = "loa"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("vi", "en")
DEFAULT = "vi"

# The process's language (a command's, set once it is known; threads the command starts speak it too),
# and a block's own (a web request's, by ``use``).
_process = DEFAULT
_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("loa_language", default=None)


def choose(*candidates: str | None) -> str:
    """The first of ``candidates`` that is a language loa speaks (LOA_LANG, then the campaign's)."""
    for c in candidates:
        code = (c or "").strip().lower().split("_")[0].split("-")[0]
        if code in LANGUAGES:
            return code
    return DEFAULT


def set_language(lang: str | None) -> None:
    """Speak ``lang`` in this process, from now on (a command, once it knows the campaign's)."""
    global _process
    _process = choose(lang)
    _language.set(None)


def current() -> str:
    return _language.get() or _process


@contextmanager
def use(lang: str | None) -> Iterator[str]:
    """Speak ``lang`` inside the block (a command, a request)."""
    token = enter(lang)
    try:
        yield current()
    finally:
        leave(token)


def enter(lang: str | None) -> contextvars.Token:
    """Speak ``lang`` from now on in this context (a web request), until :func:`leave`."""
    return _language.set(choose(lang))


def leave(token: contextvars.Token) -> None:
    _language.reset(token)


@lru_cache(maxsize=None)
def _catalogue(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str, /, **params) -> str:
    catalogue = _catalogue(current())
    text = catalogue.gettext(message)
    return text.format(**{k: _said(v, catalogue) for k, v in params.items()}) if params else text


def ngettext(singular: str, plural: str, n: int, /, **params) -> str:
    catalogue = _catalogue(current())
    text = catalogue.ngettext(singular, plural, n)
    return text.format(n=n, **{k: _said(v, catalogue) for k, v in params.items()})


def say(value: object) -> str:
    """``value`` as a person reads it: a connector's message (or an error carrying one) translated,
    anything else as ``str`` gives it. Secrets are scrubbed from what an error says."""
    return str(_said(value, _catalogue(current())))


def _said(value, catalogue):
    text_module = sys.modules.get("connectors.text")  # no connector loaded: no connector's message
    if text_module is None:
        return value
    out = text_module.translated(value, catalogue.gettext)  # ``value`` itself when it is not a message
    if out is not value and isinstance(value, BaseException):
        from connectors.credentials import scrub

        out = scrub(out)
    return out


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; translate it with ``_`` where it is shown."""
    return message
