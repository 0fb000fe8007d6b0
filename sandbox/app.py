"""The sandbox's WSGI application: it routes each request to the platform it imitates, serves the
faults it was asked for, and answers the control calls tests make."""
from __future__ import annotations

import json
import socket
import time
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from . import facebook, tiktok, zalo
from .state import AFTER, FAULT_KINDS, Faults, State, Token  # noqa: F401  (Faults, Token: the names tests use)
from .web import BLOCK, fb_error, json_response, log_id, redirect_with  # noqa: F401


class Sandbox(State):
    """The three stand-ins as one WSGI application. Thread-safe: one lock around the state."""

    def tick(self) -> None:
        """Let the platforms finish, on their own clock, what they were processing: a TikTok
        upload is published whether or not anybody asks for its status."""

        facebook.settle(self)
        tiktok.settle_all(self)

    def post_draft(self, publish_id: str, privacy: str = "PUBLIC_TO_EVERYONE") -> int:
        """The person posts, in the TikTok app, a draft loa sent to the inbox."""
        return tiktok.post_draft(self, publish_id, privacy)

    def drafts(self) -> list[dict[str, Any]]:
        self.tick()
        return tiktok.drafts(self)

    def duplicates(self) -> list[dict[str, Any]]:
        """Ledger entries published more than once (same platform, account, text and file)."""
        self.tick()
        seen: dict[tuple, int] = {}
        for e in self.ledger:
            key = (e["platform"], e["account"], e["text"], e.get("sha256"))
            seen[key] = seen.get(key, 0) + 1
        return [{"platform": k[0], "account": k[1], "text": k[2], "count": v} for k, v in seen.items() if v > 1]

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
            return json_response({"error": {"code": "invalid_param", "message": "unknown endpoint", "log_id": log_id()}}, 404)
        return fb_error(100, "Unsupported request - method type: " + request.method, status=400)

    def server_error(self, host: str) -> Response:
        if "zalo" in host:
            return json_response({"error": -1, "message": "Internal server error"}, 500)
        if "tiktok" in host:
            return json_response({"error": {"code": "internal_error", "message": "internal error", "log_id": log_id()}}, 500)
        return fb_error(2, "An unexpected error has occurred. Please retry your request later.", status=500,
                        is_transient=True)

    def rate_limited(self, host: str) -> Response:
        if "zalo" in host:
            return json_response({"error": -32, "message": "Request exceeds rate limit"})
        if "tiktok" in host:
            r = json_response({"error": {"code": "rate_limit_exceeded", "message": "rate limit exceeded",
                                         "log_id": log_id()}}, 429)
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
