"""Trang công khai: what the campaign's public pages show and collect, for the officer: the pledge
wall's signatures to approve or reject, the pledge's text and moderation, how long what people
sent is kept, and the links to every public page. Through content_queue.pledges and
content_queue.campaigns, as `loa pledge` and `loa campaign set` do."""
from __future__ import annotations

from flask import current_app, g, render_template, request

from content_queue.errors import UserError
from content_queue.i18n import _

from .app import apply_change, requires


def _ctx():
    return current_app.extensions["loa"]


def register(app) -> None:
    app.add_url_rule("/public", "public", public_page)
    app.add_url_rule("/public/pledges", "pledges_decide", pledges_decide, methods=["POST"])
    app.add_url_rule("/public/settings", "public_set", public_set, methods=["POST"])


def public_page():
    from content_queue import pledges as P
    from content_queue.campaigns import portal_link
    from content_queue.timeutil import local

    ctx = _ctx()
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
    return render_template("workspace/public.html", pending=pending, approved=approved, counts=counts,
                           settings=settings, link=link, nav="public")


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
        P.decide(s, campaign, ids, approve, now=_ctx()["now"]())
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
