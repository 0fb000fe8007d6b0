"""The sandbox's WSGI application: state, routes and faults for the three platforms."""
from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response


VERSION_RE = r"v\d+\.\d+"
FAULT_KINDS = ("5xx", "429", "timeout_after", "drop_after", "expire")
AFTER = ("timeout_after", "drop_after")
BLOCK = 1024 * 1024
NUMBERS_EVERY = 60.0  # seconds: a published item's numbers are recounted at most this often


@dataclass
class Token:
    value: str
    account: str
    expires: float
    kind: str = "access"  # access | refresh | user | page


@dataclass
class Faults:
    rate: float = 0.0
    kinds: tuple[str, ...] = ()
    delay: float = 3.0  # how long a "timeout after" answer is held back
    queued: list[dict[str, Any]] = field(default_factory=list)  # deterministic: the next matching calls
    reads: bool = False  # random "after" faults strike reads too (a status read whose answer is lost)
    fired: list[dict[str, Any]] = field(default_factory=list)  # every fault that was served, for tests
    slow: list[dict[str, Any]] = field(default_factory=list)  # calls whose body is read slowly


class Sandbox:
    """Everything the three stand-ins know. Thread-safe: one lock around the state."""

    def __init__(self, *, seed: int = 0, processing_seconds: float = 1.0, clock: Callable[[], float] = time.time,
                 facebook_chunk: int = 4 * BLOCK, moderation_seconds: float = 0.0) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.clock = clock
        self.processing_seconds = processing_seconds
        self.moderation_seconds = moderation_seconds  # TikTok gives a video's public id only after this
        self.facebook_chunk = facebook_chunk
        self.public_base = "http://127.0.0.1"
        self.faults = Faults()
        self.tokens: dict[str, Token] = {}
        self.ledger: list[dict[str, Any]] = []
        self.answered: dict[str, dict[str, float]] = {}  # the numbers last given per published item
        self._counted: dict[str, tuple[float, dict[str, float]]] = {}  # numbers are updated now and then
        self.calls: list[dict[str, Any]] = []
        self.fb_pages: dict[str, dict[str, Any]] = {}
        self.fb_objects: dict[str, dict[str, Any]] = {}
        self.zalo_oas: dict[str, dict[str, Any]] = {}
        self.zalo_articles: dict[str, dict[str, Any]] = {}
        self.zalo_jobs: dict[str, dict[str, Any]] = {}
        self.zalo_videos: dict[str, dict[str, Any]] = {}
        self.tiktok_users: dict[str, dict[str, Any]] = {}
        self.tiktok_jobs: dict[str, dict[str, Any]] = {}
        self.windows: dict[str, list[float]] = {}
        self.codes: dict[str, dict[str, Any]] = {}  # OAuth authorization codes handed out
        self.access_lifetime = {"facebook": 0, "zalo": 90000, "tiktok": 86400}

    # --- accounts -------------------------------------------------------------------------
    def _token(self, account: str, kind: str, lifetime: float, prefix: str) -> str:
        value = prefix + secrets.token_urlsafe(24)
        self.tokens[value] = Token(value, account, self.clock() + lifetime if lifetime else float("inf"), kind)
        return value

    def new_account(self, platform: str, *, expired: bool = False, privacy_options: list[str] | None = None,
                    name: str = "") -> dict[str, str]:
        """Make an account and return its credentials, by the platform's own key names."""
        with self.lock:
            n = len(self.fb_pages) + len(self.zalo_oas) + len(self.tiktok_users) + 1
            life = -60 if expired else None
            if platform == "facebook":
                page_id = str(100000000 + n)
                self.fb_pages[page_id] = {"name": name or f"Trang {n}", "posts": [], "reels": []}
                user = self._token(page_id, "user", 60 * 86400, "EAAU")
                page = self._token(page_id, "page", life if expired else 0, "EAAP")
                return {"page_id": page_id, "access_token": page, "user_token": user}
            if platform == "zalo":
                oa_id = str(4000000000 + n)
                app_id, app_secret = str(5000 + n), "sec" + secrets.token_hex(8)
                self.zalo_oas[oa_id] = {"app_id": app_id, "app_secret": app_secret, "name": name or f"OA {n}"}
                access = self._token(oa_id, "access", life or self.access_lifetime["zalo"], "za.")
                refresh = self._token(oa_id, "refresh", 90 * 86400, "zr.")
                return {"oa_id": oa_id, "app_id": app_id, "app_secret": app_secret, "access_token": access,
                        "refresh_token": refresh}
            if platform == "tiktok":
                open_id = "open-" + secrets.token_hex(6)
                key, secret = "ck" + secrets.token_hex(6), "cs" + secrets.token_hex(8)
                self.tiktok_users[open_id] = {
                    "client_key": key, "client_secret": secret, "username": name or f"truong{n}",
                    "privacy": privacy_options or ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]}
                access = self._token(open_id, "access", life or self.access_lifetime["tiktok"], "act.")
                refresh = self._token(open_id, "refresh", 365 * 86400, "rft.")
                return {"client_key": key, "client_secret": secret, "open_id": open_id, "access_token": access,
                        "refresh_token": refresh}
        raise ValueError(platform)

    def expire_access_tokens(self) -> int:
        with self.lock:
            n = 0
            for t in self.tokens.values():
                if t.kind in ("access", "page"):
                    t.expires = self.clock() - 1
                    n += 1
            return n

    # --- faults ---------------------------------------------------------------------------
    def set_faults(self, rate: float = 0.0, kinds=FAULT_KINDS, delay: float | None = None, seed: int | None = None,
                   reads: bool = False) -> None:
        with self.lock:
            unknown = set(kinds) - set(FAULT_KINDS)
            if unknown:
                raise ValueError(f"unknown fault kinds {unknown}")
            self.faults.rate, self.faults.kinds, self.faults.reads = float(rate), tuple(kinds), bool(reads)
            if delay is not None:
                self.faults.delay = float(delay)
            if seed is not None:
                self.rng.seed(seed)

    def queue_fault(self, kind: str, match: str = "", times: int = 1, *, reads: bool = False,
                    method: str = "") -> None:
        """The next ``times`` calls whose path contains ``match`` (and whose method is ``method``,
        if given) get fault ``kind``. A "timeout after" or "dropped connection after" fault
        strikes only calls that changed what is published, unless ``reads``: then it strikes any
        matching call once it has been answered (a status read whose answer is lost)."""
        if kind not in FAULT_KINDS:
            raise ValueError(kind)
        with self.lock:
            self.faults.queued.append({"kind": kind, "match": match, "times": times, "reads": reads,
                                       "method": method.upper()})

    def slow_down(self, match: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` calls whose path contains ``match`` take ``seconds`` longer to read."""
        with self.lock:
            self.faults.slow.append({"match": match, "seconds": seconds, "times": times})

    def fired(self, match: str = "", kind: str = "", method: str = "") -> list[dict[str, Any]]:
        """The faults served so far (to check that a test's fault really struck)."""
        with self.lock:
            return [f for f in self.faults.fired if match in f["path"] and kind in f["kind"]
                    and method.upper() in ("", f["method"])]

    def _pick_fault(self, path: str, stage: str, method: str = "", effect: bool = True) -> str | None:
        """A fault for this call: ``before`` the work (5xx, 429, expire) or ``after`` a call
        that changed what is published (timeout_after, drop_after)."""
        kinds_of_stage = AFTER if stage == "after" else tuple(k for k in FAULT_KINDS if k not in AFTER)
        with self.lock:
            for q in self.faults.queued:
                if (q["kind"] in kinds_of_stage and q["match"] in path and q.get("method", "") in ("", method)
                        and (stage == "before" or effect or q.get("reads"))):
                    q["times"] -= 1
                    if q["times"] <= 0:
                        self.faults.queued.remove(q)
                    self.faults.fired.append({"kind": q["kind"], "path": path, "method": method, "queued": True,
                                              "read": not effect})
                    return q["kind"]
            if stage == "after" and not effect and (not self.faults.reads or _is_token_grant(path)):
                # A lost answer to a token refresh is left out: the platforms' refresh tokens are
                # single-use (Zalo) or rotated, so it can only end in "connect the account again",
                # a credentials fault of its own, not a read that reconciliation depends on.
                return None
            kinds = [k for k in self.faults.kinds if k in kinds_of_stage]
            if kinds and self.faults.rate and self.rng.random() < self.faults.rate:
                kind = self.rng.choice(kinds)
                self.faults.fired.append({"kind": kind, "path": path, "method": method, "queued": False,
                                          "read": stage == "after" and not effect})
                return kind
        return None

    def _slowness(self, path: str) -> float:
        with self.lock:
            for q in self.faults.slow:
                if q["match"] in path:
                    q["times"] -= 1
                    if q["times"] <= 0:
                        self.faults.slow.remove(q)
                    return float(q["seconds"])
        return 0.0

    def tick(self) -> None:
        """Let the platforms finish, on their own clock, what they were processing: a TikTok
        upload is published whether or not anybody asks for its status."""
        from . import facebook, tiktok

        facebook.settle(self)
        tiktok.settle_all(self)

    # --- ledger ---------------------------------------------------------------------------
    def record(self, platform: str, account: str, remote_id: str, kind: str, text: str, **extra) -> None:
        self.ledger.append({"platform": platform, "account": account, "remote_id": remote_id, "kind": kind,
                            "text": text, "at": self.clock(), **extra})

    def numbers(self, remote_id: str) -> dict[str, float] | None:
        """A published item's numbers, growing with its age (a few views a second at first), the
        same for the same item at the same moment. What an answer gave is remembered by :meth:`gave`."""
        entry = next((e for e in reversed(self.ledger) if str(e["remote_id"]) == str(remote_id)), None)
        if entry is None:
            return None
        now = self.clock()
        cached = self._counted.get(str(remote_id))
        if cached is not None and now - cached[0] < NUMBERS_EVERY:  # platforms update them now and then, too
            return dict(cached[1])
        age = max(0.0, now - entry["at"])
        k = 1 + int(hashlib.sha1(str(remote_id).encode()).hexdigest(), 16) % 5
        views = int(k * 3 + age * k * 2)
        out = {"views": views, "reach": int(views * 0.7), "reactions": views // 12, "comments": views // 40,
               "shares": views // 30, "plays": views, "avg_watch_seconds": 4.2}
        self._counted[str(remote_id)] = (now, out)
        return dict(out)

    def gave(self, remote_id: str, **values: float) -> None:
        """Remember the numbers an answer gave (`/_sandbox/numbers`: what loa should have stored)."""
        self.answered.setdefault(str(remote_id), {}).update(values)

    def duplicates(self) -> list[dict[str, Any]]:
        """Ledger entries published more than once (same platform, account, text and file)."""
        self.tick()
        seen: dict[tuple, int] = {}
        for e in self.ledger:
            key = (e["platform"], e["account"], e["text"], e.get("sha256"))
            seen[key] = seen.get(key, 0) + 1
        return [{"platform": k[0], "account": k[1], "text": k[2], "count": v} for k, v in seen.items() if v > 1]

    def _window(self, key: str, limit: int, seconds: float) -> bool:
        """Count one call against a sliding window; False when over the limit."""
        now = self.clock()
        with self.lock:
            calls = [t for t in self.windows.get(key, []) if now - t < seconds]
            if len(calls) >= limit:
                self.windows[key] = calls
                return False
            calls.append(now)
            self.windows[key] = calls
            return True

    # --- WSGI -----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as exc:
            response = exc.get_response()
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_sandbox/"):
            return self.control(request, path[len("/_sandbox/"):])
        host, _, rest = path.lstrip("/").partition("/")
        rest = "/" + rest
        handler = self.route(request.method, host, rest)
        if handler is None:
            return self.not_found(host, request)
        with self.lock:
            self.calls.append({"method": request.method, "host": host, "path": rest, "at": self.clock()})
        self.tick()
        where = f"{host}{rest}"
        slow = self._slowness(where)
        if slow:
            time.sleep(slow)
        fault = self._pick_fault(where, "before", request.method)
        if fault == "5xx":
            self._drain(request)
            return self.server_error(host)
        if fault == "429":
            self._drain(request)
            return self.rate_limited(host)
        if fault == "expire":
            self._expire_from(request, host)
        response = handler(request)
        # a call that changed what is (or will be) published, or a read a test asked to strike
        fault = self._pick_fault(where, "after", request.method, effect=getattr(response, "effect", False))
        if fault:
            if fault == "timeout_after":
                time.sleep(self.faults.delay)
            elif fault == "drop_after":
                sock = request.environ.get("werkzeug.socket")
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
        return response

    def _drain(self, request: Request) -> None:
        stream = request.stream
        while stream.read(BLOCK):
            pass

    def _expire_from(self, request: Request, host: str) -> None:
        value = (request.headers.get("access_token") or request.args.get("access_token")
                 or request.form.get("access_token") if host != "open.tiktokapis.com" else
                 (request.headers.get("Authorization", "")[7:]))
        with self.lock:
            token = self.tokens.get(value or "")
            if token is not None and token.kind in ("access", "page"):
                token.expires = self.clock() - 1

    def route(self, method: str, host: str, rest: str):
        from . import facebook, tiktok, zalo

        for module in (facebook, zalo, tiktok):
            handler = module.route(self, method, host, rest)
            if handler is not None:
                return handler
        return None

    # --- platform-shaped errors -----------------------------------------------------------
    def not_found(self, host: str, request: Request) -> Response:
        if "zalo" in host:
            return json_response({"error": -209, "message": "API not supported"})
        if "tiktok" in host:
            return json_response({"error": {"code": "invalid_param", "message": "unknown endpoint", "log_id": _log_id()}}, 404)
        return fb_error(100, "Unsupported request - method type: " + request.method, status=400)

    def server_error(self, host: str) -> Response:
        if "zalo" in host:
            return json_response({"error": -1, "message": "Internal server error"}, 500)
        if "tiktok" in host:
            return json_response({"error": {"code": "internal_error", "message": "internal error", "log_id": _log_id()}}, 500)
        return fb_error(2, "An unexpected error has occurred. Please retry your request later.", status=500,
                        is_transient=True)

    def rate_limited(self, host: str) -> Response:
        if "zalo" in host:
            return json_response({"error": -32, "message": "Request exceeds rate limit"})
        if "tiktok" in host:
            r = json_response({"error": {"code": "rate_limit_exceeded", "message": "rate limit exceeded",
                                         "log_id": _log_id()}}, 429)
            r.headers["Retry-After"] = "2"
            return r
        r = fb_error(4, "Application request limit reached", status=400)
        r.headers["Retry-After"] = "2"
        r.headers["X-App-Usage"] = json.dumps({"call_count": 90, "total_time": 40, "total_cputime": 30})
        return r

    # --- control --------------------------------------------------------------------------
    def control(self, request: Request, what: str) -> Response:
        if what == "ledger":
            self.tick()
            with self.lock:
                return json_response({"ledger": self.ledger, "duplicates": self.duplicates()})
        if what == "numbers":
            with self.lock:
                return json_response({"answered": self.answered})
        if what == "calls":
            with self.lock:
                return json_response({"calls": self.calls})
        if what == "fired":
            with self.lock:
                return json_response({"fired": self.faults.fired})
        if what == "accounts" and request.method == "POST":
            body = request.get_json(force=True, silent=True) or {}
            creds = self.new_account(body.get("platform", ""), expired=bool(body.get("expired")),
                                     privacy_options=body.get("privacy_options"), name=body.get("name", ""))
            return json_response(creds)
        if what == "faults" and request.method == "GET":
            with self.lock:
                return json_response({"rate": self.faults.rate, "kinds": list(self.faults.kinds),
                                      "delay": self.faults.delay, "queued": self.faults.queued})
        if what == "faults" and request.method == "POST":
            body = request.get_json(force=True, silent=True) or {}
            if "queue" in body:
                for q in body["queue"]:
                    self.queue_fault(q["kind"], q.get("match", ""), int(q.get("times", 1)),
                                     reads=bool(q.get("reads")), method=q.get("method", ""))
            else:
                self.set_faults(float(body.get("rate", 0)), tuple(body.get("kinds", FAULT_KINDS)),
                                body.get("delay"), body.get("seed"))
            return json_response({"ok": True})
        if what == "expire" and request.method == "POST":
            return json_response({"expired": self.expire_access_tokens()})
        return json_response({"error": "unknown control endpoint"}, 404)

    def upload_base(self, host: str) -> str:
        return f"{self.public_base}/{host}"


def _is_token_grant(path: str) -> bool:
    return "oauth" in path and ("token" in path or "access_token" in path)


def s256(verifier: str) -> str:
    import base64

    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def redirect_with(target: str, **params) -> Response:
    sep = "&" if "?" in target else "?"
    return Response(status=302, headers={"Location": f"{target}{sep}{urlencode(params)}"})


def consent_screen(r: Request, *, platform: str, who: str, scopes: str, allow: Callable[[], Response]) -> Response:
    """The platform's consent screen, as a person meets it: what asks for what, and two buttons.
    Allow sends the browser back with a code (``allow()``); deny sends it back with
    ``error=access_denied``, as the platforms document."""
    import html

    decision = r.args.get("decision")
    if decision == "allow":
        return allow()
    if decision == "deny":
        return redirect_with(r.args.get("redirect_uri", ""), error="access_denied", error_reason="user_denied",
                             error_description="The user denied the request", state=r.args.get("state", ""))
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in r.args.items(multi=True) if k != "decision")
    items = "".join(f"<li>{html.escape(x)}</li>" for x in scopes.replace(",", " ").split() if x)
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>{html.escape(platform)} (sandbox)</title>
<style>body{{font:16px system-ui,sans-serif;max-width:32em;margin:2em auto;padding:0 1em}}
button{{font:inherit;padding:10px 18px;margin:4px;border-radius:8px;border:1px solid #345}}
.allow{{background:#1b74e4;color:#fff}}</style></head><body>
<h1>{html.escape(platform)} <small>(sandbox)</small></h1>
<p>An app asks to act for <b>{html.escape(who)}</b>. It will be able to:</p><ul>{items}</ul>
<form method="get">{hidden}<button class="allow" name="decision" value="allow">Allow</button>
<button name="decision" value="deny">Deny</button></form></body></html>"""
    return Response(page, content_type="text/html; charset=utf-8")


def json_response(data: Any, status: int = 200, headers: dict | None = None, effect: bool = False) -> Response:
    """A JSON answer; ``effect`` marks a call that changed what is published (faults "after")."""
    r = Response(json.dumps(data, ensure_ascii=False), status=status, headers=headers,
                 content_type="application/json; charset=UTF-8")
    r.effect = effect
    return r


def fb_error(code: int, message: str, *, status: int = 400, subcode: int | None = None, is_transient: bool = False,
             user_msg: str = "", error_data: dict | None = None) -> Response:
    err: dict[str, Any] = {"message": message, "type": "OAuthException" if code in (190, 102) else "GraphMethodException",
                           "code": code, "fbtrace_id": _log_id()}
    if subcode is not None:
        err["error_subcode"] = subcode
    if is_transient:
        err["is_transient"] = True
    if user_msg:
        err["error_user_msg"] = user_msg
    if error_data is not None:
        err["error_data"] = error_data
    return json_response({"error": err}, status)


def _log_id() -> str:
    return secrets.token_hex(8).upper()


def read_body(stream, limit: int | None = None) -> tuple[int, str]:
    """Read a request body block by block: its size and SHA-256, never all of it in memory."""
    h = hashlib.sha256()
    size = 0
    while True:
        block = stream.read(BLOCK)
        if not block:
            break
        h.update(block)
        size += len(block)
    return size, h.hexdigest()


def new_id() -> str:
    return str(random.SystemRandom().randint(10**14, 10**15 - 1))


def query(**params) -> str:
    return urlencode(params)


def path_match(pattern: str, rest: str) -> re.Match | None:
    return re.fullmatch(pattern.replace("{ver}", VERSION_RE), rest)
