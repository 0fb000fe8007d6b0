"""What every page of the workspace shares: the request's campaign context, the role check, the
one way a form applies a change and says how it went, the uploads folder. The page modules import
this; the application factory (app.py) imports the pages; nothing here imports either."""
from __future__ import annotations

from functools import wraps
from pathlib import Path

from flask import abort, current_app, flash, g, redirect, url_for


def context() -> dict:
    """What create_app gave the pages: the folder, its sessions and campaign, the clock, settings."""
    return current_app.extensions["loa"]


def requires(what: str):
    """A route that changes something: refused (403) to a role that may not."""
    from content_queue.users import may

    def wrap(view):
        @wraps(view)
        def inner(*args, **kwargs):
            if g.get("user") is None or not may(g.user, what):
                abort(403)
            return view(*args, **kwargs)
        return inner
    return wrap


def safe_next(target: str | None) -> str:
    """Only a path of this site (never another site's address) after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("overview")
    return target


def apply_change(act, back: str, **back_args):
    """A form that changes something: ``act(session, campaign)`` runs in one transaction and
    returns what to tell the user; a rule it breaks (UserError) is shown with its reason instead.
    Either way the browser goes back to the page ``back``."""
    from content_queue.errors import UserError

    ctx = context()
    try:
        with ctx["sessions"]() as s:
            said = act(s, ctx["campaign"](s))
        say_done(said)
    except UserError as exc:
        say_refused(exc)
    return redirect(url_for(back, **back_args))


def say_done(message: str) -> None:
    flash(message, "ok")


def say_refused(refusal) -> None:
    """A refusal (a UserError, said in the workspace's terms, or a message) for the next page."""
    flash(refusal.on_the_web() if hasattr(refusal, "on_the_web") else str(refusal), "err")


def upload_dir() -> Path:
    """Where the workspace keeps what was sent and not yet saved with a post, a clip or a recap."""
    return context()["folder"].root / "uploads" / "workspace"


def file_suffix(filename: str) -> str:
    suffix = Path(filename or "").suffix.lower().lstrip(".")[:5]
    return suffix if suffix.isalnum() else "bin"


def file_name(name: str) -> str:
    """A sent file's own name, without any folder in it (``..``, ``/`` and ``\\`` cannot climb out)."""
    from content_queue.text import nfc

    base = nfc(name or "").replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip()[:200]
    return "" if base in ("", ".", "..") else base
