"""What every stand-in answers with: JSON and Graph-style errors, redirects, the consent screen,
bodies read block by block, ids. Below the platform modules and the application."""
from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
from typing import Any, Callable
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

VERSION_RE = r"v\d+\.\d+"
BLOCK = 1024 * 1024


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
                           "code": code, "fbtrace_id": log_id()}
    if subcode is not None:
        err["error_subcode"] = subcode
    if is_transient:
        err["is_transient"] = True
    if user_msg:
        err["error_user_msg"] = user_msg
    if error_data is not None:
        err["error_data"] = error_data
    return json_response({"error": err}, status)


def log_id() -> str:
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
