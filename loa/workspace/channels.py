"""Kênh: the campaign's channels, their health and token expiry, connecting one through its
platform's consent screen (the platform sends the browser back here: no address to paste),
reconnecting one in place, and posting its failed posts again. The flow is the CLI's
(content_queue.connecting); only the pages are the workspace's."""
from __future__ import annotations

import logging
import threading
import time
from datetime import timezone

from flask import abort, g, redirect, render_template, request, url_for

from content_queue.errors import UserError
from content_queue.i18n import N_, _
from content_queue.users import record

from .common import apply_change, context, requires, say_done, say_refused

log = logging.getLogger("loa.workspace")
ATTEMPT_MINUTES = 30  # a connection started and not finished within this is forgotten


class Attempts:
    """The connections under way, by their ``state``, each bound to the user who started it. Kept
    in memory only: the app's secret never goes into a cookie or the database before it is the
    channel's, and a restart simply means starting the connection again."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock, self._lock, self._by_state = clock, threading.Lock(), {}

    def put(self, attempt, uid: int) -> None:
        with self._lock:
            self._forget_old()
            self._by_state[attempt.state] = (attempt, uid, self.clock())

    def get(self, state: str, uid: int):
        with self._lock:
            self._forget_old()
            found = self._by_state.get(state or "")
            return found[0] if found and found[1] == uid else None

    def done(self, state: str) -> None:
        with self._lock:
            self._by_state.pop(state, None)

    def _forget_old(self) -> None:
        old = [k for k, (_a, _u, t) in self._by_state.items() if self.clock() - t > ATTEMPT_MINUTES * 60]
        for k in old:
            del self._by_state[k]



def redirect_uri() -> str:
    """Where the platforms send the browser back: this workspace's callback, at its public address."""
    base = context().get("public_url") or request.host_url
    return base.rstrip("/") + url_for("channel_callback")


def register(app) -> None:
    app.extensions["loa"].setdefault("attempts", Attempts())
    app.add_url_rule("/channels", "channels", channels_page)
    app.add_url_rule("/channels/connect", "channel_connect", connect, methods=["POST"])
    app.add_url_rule("/channels/<int:channel_id>/reconnect", "channel_reconnect", reconnect, methods=["POST"])
    app.add_url_rule("/channels/<int:channel_id>/retry-failed", "channel_retry", retry_failed, methods=["POST"])
    app.add_url_rule("/channels/callback", "channel_callback", callback)
    app.add_url_rule("/channels/<int:channel_id>/slots", "channel_slots", slots, methods=["POST"])
    app.add_url_rule("/channels/<int:channel_id>/check", "channel_check", check, methods=["POST"])
    app.add_url_rule("/channels/<int:channel_id>/mode", "channel_mode", mode, methods=["POST"])
    app.add_url_rule("/channels/<int:channel_id>/cover", "channel_cover", cover, methods=["POST"])
    app.add_url_rule("/channels/guide/<platform>", "channel_guide", guide)
    app.add_url_rule("/channels/callback/page", "channel_page_chosen", page_chosen, methods=["POST"])


def channels_page(form: dict | None = None, error: str | None = None, status: int = 200,
                  checked: dict[int, list[dict]] | None = None):
    from sqlalchemy import func, select

    from connectors import CONNECTORS, PLATFORMS
    from content_queue import connecting
    from content_queue.channels import health_label, list_channels
    from content_queue.models import Delivery, DeliveryState
    from content_queue.timeutil import local, zone

    ctx = context()
    now = ctx["now"]()
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        tz = zone(campaign.timezone)
        counts: dict[int, dict[str, int]] = {}
        for cid, state, n in s.execute(select(Delivery.channel_id, Delivery.state, func.count())
                                       .join(Delivery.post).where(Delivery.post.has(campaign_id=campaign.id))
                                       .group_by(Delivery.channel_id, Delivery.state)):
            counts.setdefault(cid, {})[state.value] = n
        rows = []
        for c in list_channels(s, campaign):
            if not c.active:
                continue
            mine = counts.get(c.id, {})
            expires = c.access_expires_at
            if expires is not None and expires.tzinfo is None:
                expires = expires.replace(tzinfo=timezone.utc)
            rows.append({
                "id": c.id, "name": c.name, "platform": c.platform.value,
                "platform_label": CONNECTORS[c.platform.value].label, "account": c.account_id,
                "health": c.health.value, "health_label": health_label(c.health), "detail": c.health_detail,
                "expires": local(expires, tz), "expired": expires is not None and expires <= now,
                "failed": mine.get(DeliveryState.failed.value, 0) + mine.get(DeliveryState.missed.value, 0),
                "waiting": sum(mine.get(st, 0) for st in ("scheduled", "retry_wait")),
                "published": mine.get("published", 0),
                "can_reconnect": all(c.credentials.get(k) for k in CONNECTORS[c.platform.value].app_keys),
                "slots": c.slots, "mode": (c.settings or {}).get("mode", ""),
                "takes_cover": CONNECTORS[c.platform.value].cover_url, "cover_url": (c.settings or {}).get("cover_url", ""),
            })
    platforms = [{"code": p, "label": CONNECTORS[p].label, "key": connecting.key_label(p)[0],
                  "secret": connecting.key_label(p)[1]} for p in PLATFORMS]
    from scheduler.maintenance import mark

    return render_template("workspace/channels.html", rows=rows, platforms=platforms, form=form or {},
                           error=error, redirect_uri=redirect_uri(), nav="channels", checked=checked or {},
                           mark=mark, modes=MODES), status


def _go_to_consent(attempt):
    """Keep the attempt for the way back, then send the browser to the platform's consent screen."""
    ctx = context()
    ctx["attempts"].put(attempt, g.user.id)
    log.info("%s starts connecting %s channel %r", g.user.name, attempt.platform, attempt.name)
    return redirect(attempt.consent_url(ctx["http"]()), code=303)


@requires("change")
def connect():
    from content_queue import connecting

    ctx = context()
    form = {k: request.form.get(k, "") for k in ("platform", "name", "key", "replace")}
    try:
        with ctx["sessions"]() as s:
            attempt = connecting.start(s, ctx["campaign"](s), platform=form["platform"], name=form["name"],
                                       key=form["key"], secret=request.form.get("secret", ""),
                                       redirect_uri=redirect_uri(), replace=form["replace"] == "1")
    except UserError as exc:
        return channels_page(form=form, error=exc.on_the_web(), status=400)
    return _go_to_consent(attempt)


@requires("change")
def reconnect(channel_id: int):
    from content_queue import connecting
    from content_queue.channels import get_channel

    ctx = context()
    try:
        with ctx["sessions"]() as s:
            campaign = ctx["campaign"](s)
            attempt = connecting.reconnect(s, campaign, get_channel(s, campaign, channel_id),
                                           redirect_uri=redirect_uri())
    except UserError as exc:
        say_refused(exc)
        return redirect(url_for("channels"))
    return _go_to_consent(attempt)


@requires("change")
def callback():
    """The platform's redirect back, after the consent screen."""
    from connectors import CONNECTORS
    from content_queue import connecting

    ctx = context()
    params = {k: v for k, v in request.args.items()}
    attempt = ctx["attempts"].get(params.get("state", ""), g.user.id)
    try:
        params = connecting.landed(attempt, params)
        found = connecting.finish(attempt, params, ctx["http"]())
    except UserError as exc:
        if attempt is not None:
            ctx["attempts"].done(attempt.state)
        say_refused(exc)
        return redirect(url_for("channels"))
    if isinstance(found, list):  # a Facebook user with several Pages: which one is the campaign's?
        return render_template("workspace/choose_page.html", pages=found, state=attempt.state,
                               label=CONNECTORS[attempt.platform].label, name=attempt.name, nav="channels")
    return _save(attempt, found)


@requires("change")
def page_chosen():
    from content_queue import connecting

    ctx = context()
    attempt = ctx["attempts"].get(request.form.get("state", ""), g.user.id)
    if attempt is None or not attempt.pages:
        say_refused(_("This connection attempt is unknown or has expired."))
        return redirect(url_for("channels"))
    try:
        creds = connecting.facebook_page(attempt, request.form.get("page", ""), ctx["http"]())
    except UserError as exc:
        say_refused(exc)
        return redirect(url_for("channels"))
    return _save(attempt, creds)


def _save(attempt, creds):
    from content_queue import connecting

    ctx = context()
    ctx["attempts"].done(attempt.state)
    try:
        with ctx["sessions"]() as s:
            c = connecting.save(s, ctx["campaign"](s), attempt, creds)
            record(s, g.user.name, "connected", channel_id=c.id, detail=f"{attempt.platform} {c.account_id}")
            said = _("Channel {name} is connected (account {account}).", name=c.name, account=c.account_id)
    except UserError as exc:
        say_refused(exc)
        return redirect(url_for("channels"))
    say_done(said)
    return redirect(url_for("channels"))


@requires("change")
def retry_failed(channel_id: int):
    from content_queue import deliveries
    from content_queue.channels import get_channel

    def act(s, campaign):
        ch = get_channel(s, campaign, channel_id)
        rows = deliveries.retry(s, campaign, [], all_failed=True, channel=ch.name, now=context()["now"]())
        for d in rows:
            record(s, g.user.name, "retried", post_id=d.post_id, channel_id=d.channel_id, detail=str(d.id))
        return _("{count} post(s) of {name} will be sent again as soon as the scheduler runs.",
                 count=len(rows), name=ch.name)

    return apply_change(act, "channels")


def guide(platform: str):
    """How to make the app for ``platform``, in Vietnamese, with what loa asks for taken from the code
    (the permissions, the redirect addresses, the Graph version, Zalo's limits)."""
    from connectors import CONNECTORS, PLATFORMS
    from connectors import limits as L
    from connectors import oauth

    if platform not in PLATFORMS:
        abort(404)
    scopes = {L.FACEBOOK: oauth.FACEBOOK_SCOPES, L.TIKTOK: oauth.TIKTOK_SCOPES}.get(platform, "")
    return render_template("workspace/setup_guide.html", platform=platform, label=CONNECTORS[platform].label,
                           others=[(p, CONNECTORS[p].label) for p in PLATFORMS if p != platform],
                           redirect_uri=redirect_uri(), scopes=[x for x in scopes.split(",") if x],
                           graph_version=L.FACEBOOK_GRAPH_VERSION, zalo_title=L.ZALO_TITLE_MAX_CHARS,
                           zalo_description=L.ZALO_DESCRIPTION_MAX_CHARS,
                           tiktok_desktop=oauth.TikTokAuth.default_redirect,
                           workspace_kind=oauth.app_kind(redirect_uri()), nav="channels")


@requires("change")
def check(channel_id: int):
    """The go-live check of one channel, as `loa channel check` makes it (the same engine call):
    harmless reads of the platform, shown beside the channel. A read may refresh and store a token,
    so it is a change, for the roles that may change."""
    from content_queue.channels import get_channel
    from content_queue.errors import UserError
    from scheduler.maintenance import said

    ctx = context()
    try:
        with ctx["sessions"]() as s:
            channel_id = get_channel(s, ctx["campaign"](s), channel_id).id
    except UserError:
        abort(404)
    return channels_page(checked={channel_id: said(ctx["engine"]().check_channel(channel_id), web=True)})


MODES = {"direct": N_("Post directly"), "inbox": N_("Send to the TikTok inbox")}


@requires("change")
def mode(channel_id: int):
    """How a TikTok channel posts, as `loa channel set NAME --mode` sets it (the same core call):
    until TikTok audits the app, the inbox is the way to post in public."""
    from content_queue.channels import update_settings

    chosen = request.form.get("mode", "")

    def act(s, campaign):
        c = update_settings(s, campaign, channel_id, {"mode": chosen})
        record(s, g.user.name, "channel_mode", channel_id=c.id, detail=c.settings.get("mode"))
        return _("Channel {name}: {mode}.", name=c.name, mode=_(MODES[c.settings["mode"]]))

    return apply_change(act, "channels")


@requires("change")
def cover(channel_id: int):
    """A Zalo channel's cover from a picture sent here, as `loa channel set NAME --cover-picture`
    (the same core call, content_queue.covers.make_cover): a JPEG under 1 MB on the public pages."""
    import secrets

    from content_queue.channels import update_settings
    from content_queue.covers import make_cover

    from .common import file_suffix, upload_dir

    sent = request.files.get("picture")
    if sent is None or not sent.filename:
        say_refused(_("Choose the picture first."))
        return redirect(url_for("channels"))
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(16)}.{file_suffix(sent.filename)}"
    sent.save(path)
    media_dir = context()["folder"].media_dir
    try:
        def act(s, campaign):
            c = update_settings(s, campaign, channel_id, {"cover_url": make_cover(s, campaign, path, media_dir)})
            record(s, g.user.name, "channel_cover", channel_id=c.id, detail=c.settings["cover_url"])
            return _("Channel {name}: the cover picture is ready for Zalo.", name=c.name)

        return apply_change(act, "channels")
    finally:
        path.unlink(missing_ok=True)  # the JPEG made from it is what is kept


@requires("change")
def slots(channel_id: int):
    """The channel's posting slots (the queue's), as `loa channel slots` sets them."""
    from content_queue import queue as Q
    from content_queue.channels import get_channel
    from content_queue.users import record

    spec = request.form.get("slots", "")

    def act(s, campaign):
        c = get_channel(s, campaign, channel_id)
        done = Q.set_slots(s, campaign, c, spec)
        record(s, g.user.name, "channel_slots", channel_id=c.id, detail=done)
        return (_("Channel {name}: posting slots {slots}.", name=c.name, slots=done) if done else
                _("Channel {name} has no posting slots now.", name=c.name))

    return apply_change(act, "channels")
