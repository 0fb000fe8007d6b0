"""The workspace's routes. Each reads or changes the campaign through the same core functions as
the command line (content_queue.*), so that a rule checked in one is checked in the other."""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app, g, redirect, render_template, request, session, url_for

from content_queue.errors import UserError
from content_queue.i18n import _

from .app import requires, safe_next, say_done, say_refused

log = logging.getLogger("loa.workspace")


def _ctx():
    return current_app.extensions["loa"]


def register(app) -> None:
    app.add_url_rule("/health", "health", health)
    app.add_url_rule("/sign-in", "sign_in", sign_in, methods=["GET", "POST"])
    app.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])
    app.add_url_rule("/", "overview", overview)
    app.add_url_rule("/deliveries/<int:delivery_id>/retry", "retry", retry, methods=["POST"])
    app.add_url_rule("/posts/<int:post_id>/approve", "approve", approve, methods=["POST"])
    app.add_url_rule("/posts/<int:post_id>/send-back", "send_back", send_back, methods=["POST"])


def health():
    """For a load balancer or a benchmark: says only that the process answers."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


def sign_in():
    from content_queue.users import check_password, find_user, record

    ctx = _ctx()
    error = None
    if request.method == "POST":
        name = request.form.get("username", "")[:100]
        password = request.form.get("password", "")[:1000]
        address = request.remote_addr or "?"
        keys = (f"name:{name.strip().lower()}", f"address:{address}")
        wait = ctx["throttle"].wait(*keys)
        if wait > 0:
            log.warning("sign-in refused for %r from %s: too many wrong passwords, %.0f s to wait", name, address,
                        wait)
            error = _("Too many wrong passwords. Wait {seconds:.0f} seconds, then try again.", seconds=wait)
        else:
            with ctx["sessions"]() as s:
                user = find_user(s, name)
                ok = check_password(user, password)
                if ok:
                    user.last_sign_in_at = ctx["now"]()
                    record(s, user.name, "signed_in", detail=address)
                    uid = user.id
            if ok:
                ctx["throttle"].succeeded(*keys)
                session.clear()
                session.permanent = True
                now = ctx["now"]().isoformat()
                session.update(uid=uid, since=now, seen=now)
                return redirect(safe_next(request.args.get("next")))
            ctx["throttle"].failed(*keys)
            log.warning("sign-in failed for %r from %s", name, address)
            time.sleep(0.2)  # a little, every time: guessing is slow even below the throttle
            error = _("The user name or the password is wrong.")
    # The form again, with what went wrong (200: a page to read, not an error of the browser's).
    return render_template("workspace/sign_in.html", error=error, next=request.args.get("next", ""))


def sign_out():
    session.clear()
    return redirect(url_for("sign_in"))


def overview():
    from content_queue.deliveries import overview as read_overview

    ctx = _ctx()
    now = ctx["now"]()
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        data = read_overview(s, campaign, now, days=7)
        tz = campaign.timezone
    return render_template("workspace/overview.html", data=data, tz=tz, page="overview")


@requires("change")
def retry(delivery_id: int):
    from content_queue import deliveries
    from content_queue.users import record

    ctx = _ctx()
    try:
        with ctx["sessions"]() as s:
            campaign = ctx["campaign"](s)
            [d] = deliveries.retry(s, campaign, [delivery_id], now=ctx["now"]())
            record(s, g.user.name, "retried", post_id=d.post_id, channel_id=d.channel_id, detail=str(d.id))
        say_done(_("Delivery {id} will be sent again as soon as the scheduler runs.", id=delivery_id))
    except UserError as exc:
        say_refused(str(exc))
    return redirect(url_for("overview"))


@requires("approve")
def approve(post_id: int):
    from content_queue import approvals

    ctx = _ctx()
    try:
        with ctx["sessions"]() as s:
            approvals.approve(s, ctx["campaign"](s), post_id, by=g.user.name, now=ctx["now"]())
        say_done(_("Post {id} approved.", id=post_id))
    except UserError as exc:
        say_refused(str(exc))
    return redirect(url_for("overview"))


@requires("approve")
def send_back(post_id: int):
    from content_queue import approvals

    ctx = _ctx()
    try:
        with ctx["sessions"]() as s:
            approvals.send_back(s, ctx["campaign"](s), post_id, by=g.user.name,
                                comment=request.form.get("comment", ""))
        say_done(_("Post {id} sent back.", id=post_id))
    except UserError as exc:
        say_refused(str(exc))
    return redirect(url_for("overview"))
