"""The workspace's Flask application: sign-in, roles, and the pages (see ../../README.md)."""
from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from flask import Flask, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from content_queue import i18n
from content_queue.i18n import _

from .. import settings as loa_settings

log = logging.getLogger("loa.workspace")
SESSION_HOURS = 8  # a signed-in session ends after this long, whatever happens
IDLE_MINUTES = 60  # or after this long without a page
ROOM_CHECKED_FROM = 256 * 1024  # a request larger than this (a file) is measured against the disk's margin
ADDRESS_FREE = 20  # wrong passwords from one address, for any names, before it is slowed down
PUBLIC = {"sign_in", "health", "healthz", "static"}


class Throttle:
    """Wrong passwords slow the next try down: after ``free`` failures for a key within 15 minutes,
    each further try waits twice as long as the last (from 2 s up to 15 minutes)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, free: int = 5, window: float = 900) -> None:
        self.clock, self.free, self.window = clock, free, window
        self._fails: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque:
        q = self._fails[key]
        while q and self.clock() - q[0] > self.window:
            q.popleft()
        return q

    def wait(self, *keys: str) -> float:
        """Seconds to wait before another try is looked at (0: go ahead)."""
        with self._lock:
            worst = 0.0
            for key in keys:
                q = self._recent(key)
                if len(q) >= self.free:
                    delay = min(2.0 ** (len(q) - self.free + 1), self.window)
                    worst = max(worst, q[-1] + delay - self.clock())
            return max(0.0, worst)

    def failed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._recent(key).append(self.clock())

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._fails.pop(key, None)


def secret_key(folder: loa_settings.Folder) -> bytes:
    """The key that signs sessions, made once per campaign folder and readable by its owner only."""
    path = folder.root / ".workspace-key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_bytes(secrets.token_bytes(32))
    return path.read_bytes()


def create_app(folder: loa_settings.Folder, *, public_url: str = "", portal=None,
               now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> Flask:
    from content_queue.campaigns import get_campaign
    from content_queue.store import transaction

    here = Path(__file__).resolve().parent
    app = Flask("loa.workspace", template_folder=str(here.parent / "templates"), static_folder=str(here / "static"),
                static_url_path="/static")
    app.config.update(
        SECRET_KEY=secret_key(folder), SESSION_COOKIE_NAME="loa_session", SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=urlparse(public_url).scheme == "https",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS), WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=4 * 1024 ** 3)  # a video for TikTok may be 4 GB; file parts stream to disk
    # The pages share the report's and the portal's Jinja2 environment: the same escaping and catalogue.
    from ..templating import environment

    from connectors import CONNECTORS
    from content_queue.approvals import state_label as approval_label
    from content_queue.users import activity_label, may, role_label

    from ..report import STATE_COLOR, state_label

    app.jinja_env.globals.update(environment().globals)
    app.jinja_env.globals.update(label=state_label, color=lambda code: STATE_COLOR.get(code, "#999"),
                                 role_label=role_label, approval_label=approval_label, activity_label=activity_label,
                                 platform_label=lambda p: CONNECTORS[p].label if p in CONNECTORS else p)

    @app.context_processor
    def what_the_user_may():
        user = g.get("user")
        return {"may_change": user is not None and may(user, "change"),
                "may_approve": user is not None and may(user, "approve"),
                "campaign_name": g.campaign_name if user is not None else "",
                "approvals_on": user is not None and g.get("approvals") == "required"}
    CSRFProtect(app)
    # Wrong passwords for a name from one address, and from one address for any names (looser: an
    # office's computers may share one address).
    throttle = {"name": Throttle(free=5), "address": Throttle(free=ADDRESS_FREE)}
    settings = loa_settings.Settings.read()
    app.extensions["loa"] = {"folder": folder, "throttle": throttle, "now": now, "public_url": public_url,
                             "http": settings.http}

    def sessions():
        return transaction(folder.sessions)

    def campaign(s):
        return get_campaign(s, folder.campaign_slug)

    def engine():
        """The scheduler's engine on this folder, for a page's reads of the platforms."""
        from scheduler.engine import Engine

        return Engine(folder.sessions, media_dir=folder.media_dir, clock=now, policy=folder.settings.policy(),
                      http=settings.http())

    app.extensions["loa"].update(sessions=sessions, campaign=campaign, engine=engine)

    language_set = settings.lang  # LOA_LANG, read once: it wins over the campaign's

    @app.before_request
    def who_and_language():
        if request.endpoint in ("health", "healthz", "static"):  # nothing of the campaign's to read
            return None
        from sqlalchemy import select

        from content_queue.models import Campaign

        with folder.sessions() as s:  # one read of the campaign per request: its name and its language
            g.campaign_name, language, g.approvals = s.execute(
                select(Campaign.name, Campaign.language, Campaign.approval)
                .where(Campaign.slug == folder.campaign_slug)).one()
        g.language_token = i18n.enter(i18n.choose(language_set, language))
        g.account_facts = _reading_account_facts()
        g.account_facts.__enter__()
        g.user = None
        if request.endpoint in PUBLIC:
            return None
        user = _signed_in_user(folder, now())
        if user is None:
            session.clear()
            wanted = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("sign_in", next=wanted if wanted != "/" else None))
        g.user = user
        if request.method == "POST" and (request.content_length or 0) > ROOM_CHECKED_FROM:
            space = folder.space()  # before the body is read: a file that would eat the margin is not taken
            if space["free_bytes"] - request.content_length < space["margin_bytes"]:
                log.warning("a %d-byte request refused: %d bytes free, %d kept free", request.content_length,
                            space["free_bytes"], space["margin_bytes"])
                return render_template("workspace/error.html", title=_("Not enough space on the server"),
                                       message=_("This file would leave less than {margin:.1f} GB free on the "
                                                 "server's disk, which loa keeps for the campaign's videos. Free "
                                                 "some space, or send a smaller file.",
                                                 margin=space["margin_bytes"] / 2 ** 30)), 507
        return None

    def _reading_account_facts():
        """The platforms' own posting facts for the rules, read only if this request queues a post
        to such a platform (one rule with the command line: content_queue.posts.ACCOUNT_FACTS)."""
        from content_queue.posts import reading_account_facts

        return reading_account_facts(engine)

    @app.teardown_request
    def back_to_the_process_language(_exc):
        facts = g.pop("account_facts", None)
        if facts is not None:
            facts.__exit__(None, None, None)
        token = g.pop("language_token", None)
        if token is not None:
            i18n.leave(token)

    @app.after_request
    def headers(resp):
        # No form-action here: connecting a channel is a form whose answer sends the officer on to the
        # platform's own consent page (a browser holds a redirect after a form to form-action too).
        resp.headers.setdefault("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
        if app.config["SESSION_COOKIE_SECURE"] or request.scheme == "https":
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if g.get("user") is not None:
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(CSRFError)
    def csrf_refused(exc):
        return render_template("workspace/error.html", title=_("The form has expired"),
                               message=_("This form was not sent from the workspace, or it is too old. Open the "
                                         "page again and send it once more.")), 400

    @app.errorhandler(403)
    def forbidden(exc):
        return render_template("workspace/error.html", title=_("Not allowed"),
                               message=_("Your role does not allow this change. Ask the campaign's officer.")), 403

    @app.errorhandler(404)
    def not_found(exc):
        return render_template("workspace/error.html", title=_("Page not found."), message=""), 404

    from . import channels, clips, composer, materials, pages, public, recap, report, review

    pages.register(app)
    composer.register(app)
    channels.register(app)
    review.register(app)
    materials.register(app)
    clips.register(app)
    report.register(app)
    recap.register(app)
    public.register(app)
    if portal is not None:  # the portal answers its own paths, /c/<token>...
        workspace = app.wsgi_app

        def dispatch(environ, start_response):
            path = environ.get("PATH_INFO", "")
            return (portal if path.startswith("/c/") else workspace)(environ, start_response)

        app.wsgi_app = dispatch
    return app


def _signed_in_user(folder, now: datetime):
    from content_queue.models import User
    from content_queue.users import session_is_current

    uid, since, seen = session.get("uid"), session.get("since"), session.get("seen")
    if not uid or not since or not seen:
        return None
    since_at, seen_at = datetime.fromisoformat(since), datetime.fromisoformat(seen)
    if now - since_at > timedelta(hours=SESSION_HOURS) or now - seen_at > timedelta(minutes=IDLE_MINUTES):
        return None
    with folder.sessions() as s:
        user = s.get(User, uid)
        if not session_is_current(user, session.get("key")):  # signed out, a new password, removed
            return None
        s.expunge(user)
    session["seen"] = now.isoformat()
    return user
