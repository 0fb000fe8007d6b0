"""The campaign's public pages beside the upload page, behind the same link (``/c/TOKEN/...``):
a participant's own withdrawal, the privacy notice, the pledge wall and the avatar frame. Made for
a phone on a slow line: server-rendered, small, no outside requests; every value escaped; the
forms are small and limited per address and hour; a wrong withdrawal code is a plain 404."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, ContextManager, Protocol

from werkzeug.wrappers import Request, Response

from content_queue.i18n import _


class Portal(Protocol):
    """What these pages need of the portal (app.py's Portal, which registers them): its database,
    its campaign, its per-address limits and its clock. The pages sit below the application and
    never import it."""

    def sessions(self) -> ContextManager[Any]: ...

    def campaign(self, s: Any) -> Any: ...

    def allow(self, address: str, kind: str = "upload", limit: int | None = None) -> bool: ...

    def clock(self) -> datetime: ...

FORM_LIMIT = 16 * 1024  # a public form is a few short fields
LOOKUPS_PER_HOUR = 30  # withdrawal codes tried per address: enough for a family, too few to guess
# Every public page: scripts only from loa's own files (no inline script runs), forms sent only
# here, never framed by another site (the upload page holds a child's name).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "no-store"}
HSTS = "max-age=31536000"  # under https only: a year of https for this host
SCRIPTS = {"upload.js", "frame.js", "withdraw.js"}  # loa/portal/static, the public pages' only scripts


def script(name: str) -> Response:
    """One of the public pages' scripts (a file of loa's, never a name from the request)."""
    from pathlib import Path

    if name not in SCRIPTS:
        return Response(_("Page not found."), status=404, content_type="text/plain; charset=utf-8")
    body = (Path(__file__).resolve().parent / "static" / name).read_bytes()
    return Response(body, content_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


def html(portal: "Portal", token: str, template: str, status: int = 200, **context) -> Response:
    from content_queue.privacy import erase_on

    from ..templating import render

    with portal.sessions() as s:
        c = portal.campaign(s)
        campaign = {"name": c.name, "message": c.message, "hashtags": c.hashtags, "help_line": c.help_line,
                    "guardian_age": c.guardian_age, "keep_days": c.keep_days,
                    "ends_on": c.ends_on.strftime("%d/%m/%Y") if c.ends_on else "",
                    "erase_on": erase_on(c).strftime("%d/%m/%Y") if erase_on(c) else ""}
    body = render(template, campaign=campaign, base=f"/c/{token}", **context)
    return Response(body, status=status, content_type="text/html; charset=utf-8", headers=HEADERS)


def _form(r: Request) -> dict[str, str] | None:
    """The posted form, or None when it is larger than a public form can be."""
    if (r.content_length or 0) > FORM_LIMIT:
        return None
    r.max_content_length = FORM_LIMIT
    r.max_form_memory_size = FORM_LIMIT
    return {k: v for k, v in r.form.items()}


def _too_many(portal: "Portal", token: str) -> Response:
    return html(portal, token, "public/said.html", status=429, title=_("Please wait a little"),
                said=_("Too many tries from this connection in one hour; please try again later."))


# --- a participant's own withdrawal ----------------------------------------------------------
def withdraw(portal: "Portal", r: Request, token: str) -> Response:
    from content_queue.clips import clip_by_code, published_recaps_with, withdraw_by_code

    if r.method == "GET":
        return html(portal, token, "public/withdraw.html", found=None, code="")
    if r.method != "POST":
        return Response(status=405)
    form = _form(r)
    if form is None:
        return html(portal, token, "public/said.html", status=413, title=_("Too long"), said=_("The form is too long."))
    if not portal.allow(r.remote_addr or "?", "withdraw", LOOKUPS_PER_HOUR):
        return _too_many(portal, token)
    code = form.get("code", "")[:40]
    with portal.sessions.begin() as s:
        campaign = portal.campaign(s)
        if form.get("action") == "withdraw" and form.get("confirm") == "yes":
            done = withdraw_by_code(s, campaign, code, media_dir=portal.media_dir)
            clip = done.clip if done else None
        else:
            clip = clip_by_code(s, campaign, code)
        if clip is None:  # the same answer whether or not any clip exists
            return html(portal, token, "public/withdraw.html", status=404, found=None, code="", wrong=True)
        from content_queue.timeutil import local

        found = {"status": clip.status.value, "received": local(clip.received_at, campaign.timezone),
                 "in_recaps": bool(published_recaps_with(s, campaign, {clip.id})), "kept": clip.media_id is not None}
    return html(portal, token, "public/withdraw.html", found=found, code=code)


# --- the privacy notice ----------------------------------------------------------------------
def privacy(portal: "Portal", r: Request, token: str) -> Response:
    return html(portal, token, "public/privacy.html")


# --- the pledge wall -------------------------------------------------------------------------
def wall(portal: "Portal", r: Request, token: str) -> Response:
    from content_queue import pledges as P

    said, problems, values, status = "", [], {}, 200
    if r.method == "POST":
        form = _form(r)
        if form is None:
            return html(portal, token, "public/said.html", status=413, title=_("Too long"),
                        said=_("The form is too long."))
        if not portal.allow(r.remote_addr or "?", "pledge"):
            return _too_many(portal, token)
        values = {k: form.get(k, "")[:300] for k in ("name", "style", "organisation", "age_band")}
        sig = P.Signature(values["name"], values["style"], values["organisation"], values["age_band"])
        with portal.sessions.begin() as s:
            campaign = portal.campaign(s)
            problems = P.check(campaign, sig)
            if not problems:
                pledge = P.sign(s, campaign, sig, now=portal.clock())
                said = (_("Thank you, {name}: your signature is on the wall.", name=pledge.name)
                        if pledge.status.value == "approved" else
                        _("Thank you, {name}: your signature will appear once the organisers have seen it.",
                          name=pledge.name))
                values = {}
        status = 400 if problems else 200
    elif r.method != "GET":
        return Response(status=405)
    try:
        page = int(r.args.get("page", "1"))
    except ValueError:
        page = 1
    with portal.sessions() as s:
        campaign = portal.campaign(s)
        data = P.wall(s, campaign, page)
        text = P.pledge_text(campaign)
    bands = [(code, P.band_label(code), P.is_minor_band(code, campaign.guardian_age)) for code, *_r in P.AGE_BANDS]
    return html(portal, token, "public/wall.html", status=status, wall=data, pledge=text, said=said,
                problems=problems, values=values, bands=bands,
                styles=[(k, _(v)) for k, v in P.STYLE_LABELS.items()])


# --- the avatar frame ------------------------------------------------------------------------
FRAME_COUNTS_PER_HOUR = 30


def frame(portal: "Portal", r: Request, token: str) -> Response:
    """The page: the photo is chosen, moved, zoomed and framed in the browser; nothing of it is sent."""
    with portal.sessions() as s:
        c = portal.campaign(s)
        caption = " ".join(x for x in (c.message.strip(), c.hashtags.strip()) if x)
    return html(portal, token, "public/frame.html", caption=caption)


def frame_image(portal: "Portal", r: Request, token: str) -> Response:
    from loa.frame import ensure_frame

    with portal.sessions() as s:
        c = portal.campaign(s)
        name, hashtags = c.name, c.hashtags
    data = ensure_frame(portal.media_dir, name, hashtags).read_bytes()
    return Response(data, content_type="image/png", headers={"Cache-Control": "public, max-age=3600",
                                                            "X-Content-Type-Options": "nosniff"})


def frame_downloaded(portal: "Portal", r: Request, token: str) -> Response:
    """One more framed picture saved on a phone (an empty request: the count is all the report gets)."""
    if r.method != "POST":
        return Response(status=405)
    if (r.content_length or 0) > 0:
        return Response(status=413)
    if portal.allow(r.remote_addr or "?", "frame", FRAME_COUNTS_PER_HOUR):
        from sqlalchemy import update

        from content_queue.models import Campaign

        with portal.sessions.begin() as s:
            s.execute(update(Campaign).where(Campaign.id == portal.campaign_id)
                      .values(frame_downloads=Campaign.frame_downloads + 1))
    return Response(status=204, headers={"Cache-Control": "no-store"})


ROUTES: dict[str, Callable[["Portal", Request, str], Response]] = {
    "frame": frame,
    "frame.png": frame_image,
    "frame-downloaded": frame_downloaded,
    "wall": wall,
    "withdraw": withdraw,
    "privacy": privacy,
}
