"""The workspace's routes. Each reads or changes the campaign through the same core functions as
the command line (content_queue.*), so that a rule checked in one is checked in the other."""
from __future__ import annotations

import logging
import time

from flask import abort, g, redirect, render_template, request, session, url_for

from content_queue.errors import UserError
from content_queue.i18n import N_, _
from content_queue.users import record

from .common import apply_change, context, requires, safe_next

log = logging.getLogger("loa.workspace")



def register(app) -> None:
    app.add_url_rule("/health", "health", health)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/sign-in", "sign_in", sign_in, methods=["GET", "POST"])
    app.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])
    app.add_url_rule("/", "overview", overview)
    app.add_url_rule("/deliveries/<int:delivery_id>/retry", "retry", retry, methods=["POST"])
    app.add_url_rule("/deliveries/<int:delivery_id>/resolve", "resolve", resolve, methods=["POST"])
    app.add_url_rule("/calendar", "calendar", calendar_page)
    app.add_url_rule("/posts", "posts", posts_list)
    app.add_url_rule("/posts/<int:post_id>", "post_page", post_page)
    app.add_url_rule("/posts/<int:post_id>/reschedule", "post_reschedule", post_reschedule, methods=["POST"])
    app.add_url_rule("/posts/<int:post_id>/cancel", "post_cancel", post_cancel, methods=["POST"])
    app.add_url_rule("/posts/<int:post_id>/approve", "approve", approve, methods=["POST"])
    app.add_url_rule("/posts/<int:post_id>/send-back", "send_back", send_back, methods=["POST"])


def health():
    """For a load balancer or a benchmark: says only that the process answers."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


def healthz():
    """For a monitor: the scheduler's last heartbeat, whether the database answers, the space left.
    503 when the scheduler has stopped (no heartbeat for two minutes) or the database does not answer."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from content_queue.models import Worker

    ctx = context()
    now = ctx["now"]()
    body: dict = {"database": "ok", "scheduler": {"running": False, "last_heartbeat": None}}
    try:
        with ctx["sessions"]() as s:
            beat = s.scalar(select(func.max(Worker.heartbeat_at)))
    except Exception as exc:  # noqa: BLE001 (whatever the driver raises, the monitor hears "down")
        log.warning("health: the database does not answer: %s", type(exc).__name__)
        body["database"], beat = "unreachable", None
    if beat is not None:
        body["scheduler"] = {"running": now - beat < timedelta(minutes=2), "last_heartbeat": beat.isoformat()}
    body["disk"] = ctx["folder"].space()
    ok = body["database"] == "ok" and body["scheduler"]["running"]
    body["status"] = "ok" if ok else "down"
    return body, 200 if ok else 503, {"Cache-Control": "no-store"}


WRONG_PASSWORD_PAUSE = 0.2  # seconds, after each wrong password


def sign_in():
    from content_queue.users import check_password, end_sessions, find_user

    ctx = context()
    error = None
    if request.method == "POST":
        name = request.form.get("username", "")[:100]
        password = request.form.get("password", "")[:1000]
        address = request.remote_addr or "?"
        # Counted for a name from one address (someone guessing an officer's password from elsewhere
        # does not lock the officer out) and, more loosely, for an address trying any names.
        keys = {"name": f"{name.strip().lower()}@{address}", "address": address}
        wait = max(ctx["throttle"][kind].wait(key) for kind, key in keys.items())
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
                    if not user.session_key:
                        end_sessions(user)
                    record(s, user.name, "signed_in", detail=address)
                    uid, key = user.id, user.session_key
            if ok:
                ctx["throttle"]["name"].succeeded(keys["name"])
                session.clear()
                session.permanent = True
                now = ctx["now"]().isoformat()
                session.update(uid=uid, key=key, since=now, seen=now)
                return redirect(safe_next(request.args.get("next")))
            for kind, key in keys.items():
                ctx["throttle"][kind].failed(key)
            log.warning("sign-in failed for %r from %s", name, address)
            time.sleep(WRONG_PASSWORD_PAUSE)  # a little, every time: guessing is slow even below the throttle
            error = _("The user name or the password is wrong.")
    # The form again, with what went wrong (200: a page to read, not an error of the browser's).
    return render_template("workspace/sign_in.html", error=error, next=request.args.get("next", ""))


def sign_out():
    """Ends this user's sessions in every browser (a copied cookie stops working too)."""
    from content_queue.models import User
    from content_queue.users import end_sessions, session_is_current

    ctx = context()
    uid, key = session.get("uid"), session.get("key")
    session.clear()
    if uid:
        with ctx["sessions"]() as s:
            user = s.get(User, uid)
            if session_is_current(user, key):
                end_sessions(user)
    return redirect(url_for("sign_in"))


def overview():
    from content_queue.deliveries import overview as read_overview

    ctx = context()
    now = ctx["now"]()
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        data = read_overview(s, campaign, now, days=7)
        tz = campaign.timezone
        from content_queue.privacy import notice

        from ..notify import erasure_notice

        day = notice(campaign, now)  # a week before what people sent is erased
        erasure = erasure_notice(campaign, day) if day else ""
    space = ctx["folder"].space()
    disk = {"free_gb": space["free_bytes"] / 2 ** 30, "margin_gb": space["margin_bytes"] / 2 ** 30,
            "ok": space["uploads_accepted"]}
    return render_template("workspace/overview.html", data=data, tz=tz, disk=disk, erasure=erasure, nav="overview")


@requires("change")
def retry(delivery_id: int):
    from content_queue import deliveries

    def act(s, campaign):
        [d] = deliveries.retry(s, campaign, [delivery_id], now=context()["now"]())
        record(s, g.user.name, "retried", post_id=d.post_id, channel_id=d.channel_id, detail=str(d.id))
        return _("Delivery {id} will be sent again as soon as the scheduler runs.", id=delivery_id)

    return apply_change(act, "overview")


@requires("change")
def resolve(delivery_id: int):
    """Xác nhận kết quả: the officer looked at the platform and says what is there (`loa resolve`)."""
    from content_queue import deliveries

    published = request.form.get("outcome") == "published"
    url = request.form.get("url", "").strip()

    def act(s, campaign):
        if request.form.get("outcome") == "dismiss":  # a TikTok inbox draft the officer will not post
            d = deliveries.dismiss_draft(s, campaign, delivery_id, now=context()["now"]())
            record(s, g.user.name, "resolved", post_id=d.post_id, channel_id=d.channel_id, detail="draft dismissed")
            return _("Delivery {id}: the TikTok draft is dismissed; no more reminders.", id=delivery_id)
        d = deliveries.resolve(s, campaign, delivery_id, published_url=url if published else None,
                               now=context()["now"]())
        record(s, g.user.name, "resolved", post_id=d.post_id, channel_id=d.channel_id,
               detail=url if published else "not published")
        return (_("Delivery {id} marked published.", id=delivery_id) if published else
                _("Delivery {id} marked not published: it will be sent again.", id=delivery_id))

    return apply_change(act, "overview")


@requires("approve")
def approve(post_id: int):
    from content_queue import approvals

    def act(s, campaign):
        approvals.approve(s, campaign, post_id, by=g.user.name, now=context()["now"]())
        return _("Post {id} approved.", id=post_id)

    return apply_change(act, _back())


@requires("approve")
def send_back(post_id: int):
    from content_queue import approvals

    def act(s, campaign):
        approvals.send_back(s, campaign, post_id, by=g.user.name, comment=request.form.get("comment", ""))
        return _("Post {id} sent back.", id=post_id)

    return apply_change(act, _back())


def _back() -> str:
    """The page a form came from, among those that send it (never an address the form names)."""
    return request.form.get("back") if request.form.get("back") in ("overview", "approvals") else "overview"


# --- Bài đăng: the list, the composer with its preview, one post ------------------------------

AS_LABELS = {"reel": N_("as a Reel"), "page_video": N_("as a Page video"), "photo": N_("as a photo")}
PAGE_SIZE = 50


def posts_list():
    from content_queue.models import Post

    from sqlalchemy import func, select

    ctx = context()
    page = max(1, request.args.get("page", 1, type=int))
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        total = s.scalar(select(func.count()).select_from(Post).where(Post.campaign_id == campaign.id))
        rows = _post_rows(s, campaign, select(Post).where(Post.campaign_id == campaign.id)
                          .order_by(Post.due_at.desc(), Post.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return render_template("workspace/posts.html", rows=rows, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                           total=total, nav="posts")


def _post_rows(s, campaign, query) -> list[dict]:
    from sqlalchemy.orm import selectinload

    from content_queue import approvals
    from content_queue.lifecycle import label
    from content_queue.models import Delivery, Post
    from content_queue.timeutil import local, zone

    tz = zone(campaign.timezone)
    out = []
    for p in s.scalars(query.options(selectinload(Post.deliveries).selectinload(Delivery.channel))):
        out.append({"id": p.id, "due": local(p.due_at, tz),
                    "text": " ".join((p.title or p.text).split())[:140],
                    "deliveries": [{"channel": d.channel.name, "state": d.state.value, "label": label(d.state),
                                    "url": d.remote_url} for d in p.deliveries],
                    "approval": approvals.state(p, campaign)})
    return out


def post_page(post_id: int):
    from sqlalchemy import select

    from content_queue import approvals
    from content_queue import posts as P
    from content_queue import validation as V
    from content_queue.lifecycle import label
    from content_queue.models import Activity
    from content_queue.timeutil import local, zone

    ctx = context()
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        try:
            p = P.get_post(s, campaign, post_id)
        except UserError:
            abort(404)
        tz = zone(campaign.timezone)
        show = lambda dt: local(dt, tz)  # noqa: E731
        draft = P.draft_of(p)
        targets = P.targets_of([d.channel for d in p.deliveries])
        data = {"id": p.id, "due": show(p.due_at), "due_input": p.due_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
                "title": p.title, "text": p.text, "link": p.link, "approval": approvals.state(p, campaign),
                "approved_by": p.approved_by, "comment": p.approval_comment,
                "waiting": bool(P.waiting_deliveries(p)),
                "deliveries": [{"id": d.id, "channel": d.channel.name, "state": d.state.value, "label": label(d.state),
                                "url": d.remote_url, "reason": d.last_error, "said": d.platform_message}
                               for d in p.deliveries],
                "previews": V.preview(draft, targets, campaign.hashtag_list),
                "history": [{"at": show(a.at), "who": a.who, "action": a.action, "detail": a.detail}
                            for a in s.scalars(select(Activity).where(Activity.post_id == p.id)
                                               .order_by(Activity.at, Activity.id))]}
    return render_template("workspace/post.html", post=data, nav="posts",
                           as_labels={k: _(v) for k, v in AS_LABELS.items()})


@requires("change")
def post_reschedule(post_id: int):
    from content_queue import posts as P
    from content_queue.timeutil import local

    at = request.form.get("at", "")

    def act(s, campaign):
        post, n = P.reschedule_post(s, campaign, post_id, at.replace("T", " "), now=context()["now"]())
        record(s, g.user.name, "rescheduled", post_id=post_id, detail=local(post.due_at, campaign.timezone))
        return _("Post {id}: {count} delivery(ies) moved.", id=post_id, count=n)

    return apply_change(act, "post_page", post_id=post_id)


@requires("change")
def post_cancel(post_id: int):
    from content_queue import posts as P

    def act(s, campaign):
        _post, n = P.cancel_post(s, campaign, post_id)
        record(s, g.user.name, "cancelled", post_id=post_id)
        return _("Post {id}: {count} delivery(ies) cancelled.", id=post_id, count=n)

    return apply_change(act, "post_page", post_id=post_id)


# --- Lịch đăng: month, week and list, in the campaign's time zone ----------------------------

def calendar_page():
    from datetime import date, datetime, timedelta

    from content_queue.channels import list_channels
    from content_queue.deliveries import WEEKDAYS, days_of, delivery_row
    from content_queue.timeutil import zone

    ctx = context()
    view = request.args.get("view", "month")
    if view not in ("month", "week", "list"):
        view = "month"
    channel_id = request.args.get("channel", type=int)
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        tz = zone(campaign.timezone)
        today = ctx["now"]().astimezone(tz).date()
        try:
            anchor = date.fromisoformat(request.args.get("date", "")) if request.args.get("date") else today
        except ValueError:
            anchor = today
        if view == "month":
            first = anchor.replace(day=1)
            start_day = first - timedelta(days=first.weekday())
            nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
            count = ((nxt - start_day).days + 6) // 7 * 7
            prev_anchor, next_anchor = (first - timedelta(days=1)).replace(day=1), nxt
            per_day = 4
        elif view == "week":
            start_day = anchor - timedelta(days=anchor.weekday())
            count, per_day = 7, 30
            prev_anchor, next_anchor = start_day - timedelta(days=7), start_day + timedelta(days=7)
            first = start_day
        else:
            start_day, count, per_day = anchor, 14, 50
            prev_anchor, next_anchor = anchor - timedelta(days=14), anchor + timedelta(days=14)
            first = anchor
        start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=tz)
        days = days_of(s, campaign, start, count, per_day=per_day, channel_id=channel_id,
                       row=lambda d: delivery_row(d, tz))
        channels = [{"id": c.id, "name": c.name} for c in list_channels(s, campaign) if c.active]
        from sqlalchemy import select

        from content_queue import queue as Q
        from content_queue import series as SE
        from content_queue.models import Series

        now = ctx["now"]()
        free: dict = {}
        for name, when in Q.free_slots(s, campaign, max(start, now), start + timedelta(days=count), channel_id):
            free.setdefault(when.astimezone(tz).date(), []).append({"channel": name,
                                                                    "time": when.astimezone(tz).strftime("%H:%M")})
        columns = [SE.describe(s, x, lambda t: t.astimezone(tz).strftime("%d/%m %H:%M") if t else "")
                   for x in s.scalars(select(Series).where(Series.campaign_id == campaign.id).order_by(Series.id))]
    for d in days:
        d["free"] = free.get(d["day"].date(), [])
        d["name"] = _(WEEKDAYS[d["day"].weekday()])
        d["label"] = d["day"].strftime("%d/%m")
        d["in_month"] = view != "month" or d["day"].month == first.month
        d["today"] = d["day"].date() == today
    return render_template("workspace/calendar.html", view=view, days=days, channels=channels,
                           channel_id=channel_id, anchor=anchor.isoformat(), prev=prev_anchor.isoformat(),
                           next=next_anchor.isoformat(), month=first, weekday_names=[_(w) for w in WEEKDAYS],
                           columns=columns, nav="calendar")
