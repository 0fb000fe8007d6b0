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
    """Only a path of this site (never another site's address) after signing in: no scheme, no
    host, no backslash, and no control character or space anywhere (a browser drops a tab or a
    newline from an address, so "/<tab>/evil.example" would become "//evil.example"; a newline
    would also break the Location header)."""
    from urllib.parse import urlsplit

    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target)):
        return url_for("overview")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
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


def form_choices(form) -> dict[str, dict[str, str]]:
    """The per-post choices a form sent (TikTok's privacy, interactions, disclosure, music), as
    the post's variants: ``variant_<platform>_<field>``, several ticked boxes joined."""
    from connectors import CONNECTORS

    out: dict[str, dict[str, str]] = {}
    for platform, c in CONNECTORS.items():
        for f in c.choice_fields:
            value = ",".join(v for v in form.getlist(f"variant_{platform}_{f}") if v.strip())
            if value:
                out.setdefault(platform, {})[f] = value
    return out


def tiktok_panel(s, campaign, channel_ids=None) -> dict | None:
    """TikTok's part of the composer, as its posting rules want it: each TikTok account's
    nickname, read from TikTok now (creator_info, through the same reader the rules use), the
    privacy levels it offers (none chosen), the interactions it turned off, its longest video,
    whether the app is audited, and which channels send drafts to the inbox instead."""
    from connectors.tiktok import PRIVACY_LABELS, TikTokConnector, privacy_label
    from content_queue.channels import list_channels
    from content_queue.i18n import say
    from content_queue.posts import ACCOUNT_FACTS

    channels = [c for c in list_channels(s, campaign) if c.active and c.platform.value == TikTokConnector.platform
                and (channel_ids is None or c.id in channel_ids)]
    if not channels:
        return None
    read = ACCOUNT_FACTS.get()
    accounts, offered, off, longest = [], None, set(), None
    for c in channels:
        inbox = (c.settings or {}).get("mode") == "inbox"
        facts = None if inbox or read is None else read(c)
        unreadable = (facts or {}).get("unreadable")
        if facts and not unreadable:
            levels = facts.get("privacy_level_options") or []
            offered = [x for x in (offered if offered is not None else levels) if x in levels]
            off |= {i for i in ("comment", "duet", "stitch") if facts.get(f"{i}_disabled")}
            if facts.get("max_video_post_duration_sec"):
                longest = min(longest or 10 ** 9, int(facts["max_video_post_duration_sec"]))
        accounts.append({"name": c.name, "inbox": inbox, "nickname": (facts or {}).get("nickname") or "",
                         "unreadable": unreadable or "", "audited": (facts or {}).get("audited", True)})
    levels = offered if offered is not None else list(PRIVACY_LABELS)
    return {"accounts": accounts, "levels": [(x, say(privacy_label(x))) for x in levels], "off": off,
            "longest": longest, "direct": any(not a["inbox"] for a in accounts),
            "unaudited": any(not a["audited"] for a in accounts if not a["inbox"])}
