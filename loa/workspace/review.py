"""Chờ duyệt (the approver's queue, with the same previews as the composer) and Chiến dịch (the
campaign's details and its approval setting), through content_queue.approvals and
content_queue.campaigns, as `loa post approve` and `loa campaign set` do."""
from __future__ import annotations

from datetime import date

from flask import g, render_template, request

from content_queue.errors import UserError
from content_queue.i18n import _
from content_queue.users import may

from .common import apply_change, context, requires

PAGE_SIZE = 20



def register(app) -> None:
    app.add_url_rule("/approvals", "approvals", approvals_page)
    app.add_url_rule("/campaign", "campaign", campaign_page)
    app.add_url_rule("/campaign", "campaign_set", campaign_set, methods=["POST"])


def approvals_page():
    from content_queue import approvals
    from content_queue import posts as P
    from content_queue import validation as V
    from content_queue.timeutil import local, zone

    from .pages import AS_LABELS

    ctx = context()
    page = max(1, request.args.get("page", 1, type=int))
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        tz = zone(campaign.timezone)
        posts, total = approvals.awaiting(s, campaign, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        rows = [{"id": p.id, "due": local(p.due_at, tz), "state": approvals.state(p, campaign),
                 "comment": p.approval_comment, "channels": [d.channel.name for d in P.waiting_deliveries(p)],
                 "previews": V.preview(P.draft_of(p), P.targets_of([d.channel for d in P.waiting_deliveries(p)]),
                                       campaign.hashtag_list)}
                for p in posts]
        required = campaign.approval == approvals.REQUIRED
    return render_template("workspace/approvals.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), required=required, nav="approvals",
                           as_labels={k: _(v) for k, v in AS_LABELS.items()})


def campaign_page():
    from content_queue.users import list_users

    ctx = context()
    with ctx["sessions"]() as s:
        c = ctx["campaign"](s)
        data = {"name": c.name, "message": c.message, "hashtags": c.hashtags, "timezone": c.timezone,
                "starts_on": c.starts_on.isoformat() if c.starts_on else "",
                "ends_on": c.ends_on.isoformat() if c.ends_on else "", "approval": c.approval,
                "help_line": c.help_line, "public_url": c.public_url}
        people = [{"name": u.name, "role": u.role} for u in list_users(s)]
    return render_template("workspace/campaign.html", c=data, people=people, nav="campaign")


def _day(value: str, what: str):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(_("{what} {value!r} is not a date.", what=what, value=value),
                        fix=_("Write it like 2025-10-20.")) from None


@requires("change")
def campaign_set():
    from content_queue.campaigns import update_campaign
    from content_queue.users import record

    f = request.form

    def act(s, c):
        if f.get("approval") not in (None, c.approval) and not may(g.user, "approve"):
            raise UserError(_("Only an approver may turn approvals on or off."),
                            fix=_("Ask an approver; the other details can be saved with approvals as they are."))
        update_campaign(s, c, name=f.get("name"), message=f.get("message"), hashtags=f.get("hashtags"),
                        starts_on=_day(f.get("starts_on", ""), _("The first day")),
                        ends_on=_day(f.get("ends_on", ""), _("The last day")), approval=f.get("approval"),
                        help_line=f.get("help_line"), public_url=f.get("public_url"))
        record(s, g.user.name, "campaign_changed", detail=f"approval={c.approval}")
        return _("Campaign updated.")

    return apply_change(act, "campaign")
