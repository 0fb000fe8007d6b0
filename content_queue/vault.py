"""Secrets at rest: the platforms' tokens and app secrets (a channel's credentials) and the SMTP
password are kept in the database sealed with Fernet (the ``cryptography`` library: AES-128-CBC
with an HMAC-SHA256, a vetted recipe, no crypto of ours), with a key kept outside the database:
``LOA_SECRET_KEY`` (a server's environment) or the campaign folder's ``.secret-key`` (owner only,
made on first use). A copy of ``loa.db`` alone, on a stick or in a dump, holds no usable token.

A sealed value names its key (``loa-fernet:<key id>:<token>``), so several campaign folders open
in one process each read their own; a value written before this (plain JSON) is still read, and
sealed the next time loa opens the folder (:func:`seal_plain_rows`)."""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from .errors import UserError
from .i18n import _

PREFIX = "loa-fernet:"
KEY_FILE = ".secret-key"
ENV = "LOA_SECRET_KEY"  # read in loa/settings.py, the one place for the environment

_lock = threading.Lock()
_keys: dict[str, object] = {}  # key id -> Fernet
_current: str | None = None  # the key new secrets are sealed with: the folder opened last


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:12]


def folder_key(root: Path, given: str = "") -> bytes:
    """The campaign's key: ``given`` (LOA_SECRET_KEY), else the folder's key file (made now if absent)."""
    from cryptography.fernet import Fernet

    if given:
        key = given.strip().encode()
    else:
        path = Path(root) / KEY_FILE
        if not path.exists():
            path.touch(mode=0o600)
            path.write_bytes(Fernet.generate_key())
        key = path.read_bytes().strip()
    try:
        Fernet(key)
    except ValueError:
        raise UserError(_("The campaign's secret key is not a key loa made ({where}).",
                          where=ENV if given else KEY_FILE),
                        fix=_("Put back the campaign folder's .secret-key from a backup, or give LOA_SECRET_KEY the "
                              "value printed by `python -c \"from cryptography.fernet import Fernet; "
                              "print(Fernet.generate_key().decode())\"` for a new campaign.")) from None
    return key


def use(root: Path, given: str = "") -> str:
    """Make the folder's key the one secrets are sealed with (and one they can be read with)."""
    from cryptography.fernet import Fernet

    global _current
    key = folder_key(root, given)
    kid = key_id(key)
    with _lock:
        _keys.setdefault(kid, Fernet(key))
        _current = kid
    return kid


def is_sealed(text: str | None) -> bool:
    return bool(text) and text.startswith(PREFIX)


def seal(text: str) -> str:
    """``text`` sealed with the current folder's key (as it is when no folder's key is loaded:
    only code that never opened a campaign folder, which has no secret to keep)."""
    with _lock:
        kid = _current
        f = _keys.get(kid) if kid else None
    if f is None:
        return text
    return f"{PREFIX}{kid}:{f.encrypt(text.encode()).decode()}"


def unseal(text: str) -> str:
    if not is_sealed(text):
        return text  # written before secrets were sealed: sealed when the folder is next opened
    from cryptography.fernet import InvalidToken

    kid, _sep, token = text[len(PREFIX):].partition(":")
    with _lock:
        f = _keys.get(kid)
    if f is None:
        raise UserError(_("The channels' tokens were sealed with a key that is not here."),
                        fix=_("Put back the campaign folder's .secret-key (or LOA_SECRET_KEY) it was made with; "
                              "otherwise connect each channel again."))
    try:
        return f.decrypt(token.encode()).decode()
    except InvalidToken:
        raise UserError(_("A sealed secret does not open with the campaign's key (it was changed)."),
                        fix=_("Connect the channel again.")) from None
