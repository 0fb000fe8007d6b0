"""What the three stand-ins know: accounts, tokens, the ledger of what was published, its numbers,
and the faults waiting to be served. The platform modules read and change it; the application
(app.py) routes requests to them."""
from __future__ import annotations

import hashlib
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import rules as R
from .web import BLOCK


FAULT_KINDS = ("5xx", "429", "timeout_after", "drop_after", "expire")
AFTER = ("timeout_after", "drop_after")
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

class State:
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
        self.fb_scopes: dict[str, list[str]] = {}  # page -> what its person granted (default: everything)
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
                    name: str = "", scopes: list[str] | None = None, tiktok_off: tuple[str, ...] = (),
                    max_duration: int | None = None) -> dict[str, str]:
        """Make an account and return its credentials, by the platform's own key names."""
        with self.lock:
            n = len(self.fb_pages) + len(self.zalo_oas) + len(self.tiktok_users) + 1
            life = -60 if expired else None
            if platform == "facebook":
                page_id = str(100000000 + n)
                self.fb_pages[page_id] = {"name": name or f"Trang {n}", "posts": [], "reels": []}
                if scopes is not None:  # a Facebook Page connected with only these permissions (TikTok: these scopes)
                    self.fb_scopes[page_id] = list(scopes)
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
                    "privacy": privacy_options or ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
                    "off": tuple(tiktok_off),  # interactions the creator turned off in the app (comment, duet, stitch)
                    "max_duration": max_duration or R.TT_MAX_DURATION,
                    "scopes": ",".join(R.TT_SCOPES_GRANTED if scopes is None else scopes)}
                access = self._token(open_id, "access", life or self.access_lifetime["tiktok"], "act.")
                refresh = self._token(open_id, "refresh", 365 * 86400, "rft.")
                return {"client_key": key, "client_secret": secret, "open_id": open_id, "access_token": access,
                        "refresh_token": refresh, "scope": self.tiktok_users[open_id]["scopes"]}
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

    def upload_base(self, host: str) -> str:
        return f"{self.public_base}/{host}"


def _is_token_grant(path: str) -> bool:
    return "oauth" in path and ("token" in path or "access_token" in path)
