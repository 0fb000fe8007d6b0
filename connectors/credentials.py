"""Credentials that cannot leak: a secret value prints as ``***`` everywhere.

``Secret`` keeps its value out of ``str``, ``repr``, f-strings and exception messages; the only
way to the value is ``reveal()``, called at the moment a request is built. Every revealed value
is also remembered so that :func:`scrub` (used by the HTTP helper and the log filter) can remove
it from any text that reaches a log or an error message by another path.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Any, Mapping

MASK = "***"

# Which credential keys are secret, per platform, by the platforms' own names.
SECRET_KEYS = frozenset(
    {"access_token", "refresh_token", "app_secret", "client_secret", "page_token", "user_token"}
)
OPTIONAL_KEYS = ("expires_at", "refresh_expires_at")  # any platform's; the rest are on its connector class

_known: set[str] = set()
_known_lock = threading.Lock()
_MIN_SCRUB_LEN = 6  # shorter values would mask ordinary words


def remember(value: str) -> None:
    """Remember a secret value so that :func:`scrub` removes it from text."""
    if value and len(value) >= _MIN_SCRUB_LEN:
        with _known_lock:
            _known.add(value)


_QUERY_SECRET = re.compile(
    r"(?i)((?:access_token|refresh_token|client_secret|app_secret|fb_exchange_token|"
    r"input_token|code_verifier|secret_key)[\"']?\s*[=:]\s*[\"']?)[^&\s\"',}]+"
)
_AUTH_HEADER = re.compile(r"(?i)((?:Bearer|OAuth)\s+)[A-Za-z0-9._~+/=\-|]+")


def scrub(text: Any) -> str:
    """Return ``text`` with every known secret and every token-looking parameter masked."""
    s = str(text)
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in s:
            s = s.replace(value, MASK)
    s = _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, s)
    return _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, s)


class Secret:
    """A secret string. ``str()`` and ``repr()`` give ``***``; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        self._value = str(value)
        remember(self._value)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __reduce__(self):  # never pickle a secret by accident
        raise TypeError("Secret values are not picklable")


def mask(value: str | None) -> str:
    """A short, safe hint of a secret for listings: ``EAAB…(212 chars)``, never the value."""
    if not value:
        return "(none)"
    return f"{MASK} ({len(value)} chars)"


def split_credentials(data: Mapping[str, Any]) -> dict[str, Any]:
    """Wrap the secret keys of a credential mapping in :class:`Secret`."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in SECRET_KEYS and value is not None and not isinstance(value, Secret):
            out[key] = Secret(value)
        else:
            out[key] = value
    return out


class ScrubFilter(logging.Filter):
    """A logging filter that masks secrets in every record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
