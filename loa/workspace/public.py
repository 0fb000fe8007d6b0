"""Trang công khai: what the campaign's public pages show and collect, for the officer: the pledge
wall's signatures to approve or reject, the pledge's text and moderation, how long what people
sent is kept, and the links to every public page. Through content_queue.pledges and
content_queue.campaigns, as `loa pledge` and `loa campaign set` do."""
from __future__ import annotations

from flask import g, render_template, request

from content_queue.errors import UserError
from content_queue.i18n import _

from .common import apply_change, context, requires, upload_dir



def register(app) -> None:
    app.add_url_rule("/public", "public", public_page)
    app.add_url_rule("/public/pledges", "pledges_decide", pledges_decide, methods=["POST"])
    app.add_url_rule("/public/settings", "public_set", public_set, methods=["POST"])
    app.add_url_rule("/public/frame", "frame_set", frame_set, methods=["POST"])
    app.add_url_rule("/public/frame.png", "frame_image", frame_image)


def public_page():
    from content_queue import pledges as P
    from content_queue.campaigns import portal_link
    from content_queue.timeutil import local

    ctx = context()
    with ctx["sessions"]() as s:
        c = ctx["campaign"](s)

        def row(p):
            return {"id": p.id, "name": p.name, "organisation": p.organisation, "age_band": P.band_label(p.age_band),
                    "signed": local(p.signed_at, c.timezone), "flagged": p.flagged}

        pending = [row(p) for p in P.listed(s, c, "pending", limit=200)]
        approved = [row(p) for p in P.listed(s, c, "approved", limit=30)]
        counts = P.counts(s, c)
        settings = {"text": c.pledge_text, "default_text": P.pledge_text(c) if not c.pledge_text else "",
                    "auto": c.pledge_auto, "words": c.pledge_words, "keep_days": c.keep_days}
        link = portal_link(s, c)
        downloads = c.frame_downloads
    return render_template("workspace/public.html", pending=pending, approved=approved, counts=counts,
                           settings=settings, link=link, frame_downloads=downloads, nav="public")


@requires("change")
def pledges_decide():
    from content_queue import pledges as P
    from content_queue.users import record

    approve = request.form.get("action") == "approve"
    try:
        ids = [int(v) for v in request.form.getlist("id")]
    except ValueError:
        ids = []

    def act(s, campaign):
        if not ids:
            raise UserError(_("Tick the signatures first."), web_fix=_("Tick the box beside each signature."))
        P.decide(s, campaign, ids, approve, now=context()["now"]())
        record(s, g.user.name, "pledges_approved" if approve else "pledges_rejected", detail=",".join(map(str, ids)))
        return (_("{count} signature(s) put on the wall.", count=len(ids)) if approve else
                _("{count} signature(s) kept off the wall.", count=len(ids)))

    return apply_change(act, "public")


@requires("change")
def public_set():
    from content_queue import pledges as P
    from content_queue.campaigns import update_campaign
    from content_queue.users import record

    f = request.form

    def act(s, campaign):
        try:
            keep = int(f.get("keep_days", ""))
        except ValueError:
            raise UserError(_("Write a number of days from 0 to 3650.")) from None
        update_campaign(s, campaign, keep_days=keep)
        P.configure(s, campaign, text=f.get("text", ""), auto=f.get("auto") == "1", words=f.get("words", ""))
        record(s, g.user.name, "public_pages_changed", detail=f"auto={campaign.pledge_auto}")
        return _("The public pages' settings are saved.")

    return apply_change(act, "public")


@requires("change")
def frame_set():
    """The officer's frame (checked as `loa frame set` checks it), or back to the drawn one."""
    import secrets

    from loa import frame as F
    from content_queue.users import record


    media_dir = context()["folder"].media_dir
    f = request.files.get("frame")
    default = request.form.get("default") == "1"
    path = None
    if not default and f is not None and f.filename:
        folder = upload_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"frame-{secrets.token_hex(8)}.png"
        f.save(path)

    def act(s, campaign):
        try:
            if default:
                F.use_default(media_dir, campaign.name, campaign.hashtags)
            elif path is None:
                raise UserError(_("Choose the frame's file first."), web_fix=_("Choose a PNG file, then press Set."))
            else:
                F.set_frame(path, media_dir)
        finally:
            if path is not None:
                path.unlink(missing_ok=True)
        record(s, g.user.name, "frame_set", detail="default" if default else "file")
        return _("The frame is set: the public page uses it now.")

    return apply_change(act, "public")


def frame_image():
    """The frame people get, to look at before sharing the page."""
    from flask import send_file

    from loa.frame import ensure_frame

    ctx = context()
    with ctx["sessions"]() as s:
        c = ctx["campaign"](s)
        name, hashtags = c.name, c.hashtags
    return send_file(ensure_frame(ctx["folder"].media_dir, name, hashtags), mimetype="image/png", max_age=0)
