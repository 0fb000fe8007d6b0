"""The portal's WSGI application (served by waitress; see `loa portal serve`).

The server never trusts the request: bodies stream to disk block by block and are never held in
memory; the size limit is enforced while streaming; the content is checked by probing it (the
same intake as `loa clips add`), never by its name; the sender's file name is not used for
storage; a missing or wrong campaign token is a 404; uploads per address are limited; nothing is
accepted after the campaign's end date.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import logging

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from content_queue.i18n import _, use
from content_queue.models import Campaign, Upload
from content_queue.timeutil import zone

from . import pages

log = logging.getLogger("loa.portal")

TUS_VERSION = "1.0.0"
BLOCK = 256 * 1024
DEFAULT_MAX_BYTES = 500 * 1024 * 1024
DEFAULT_DISK_MARGIN = 2 * 1024 ** 3  # what must stay free on the media store's disk
CHECK_EVERY = 8 * 1024 * 1024  # while streaming, the space left is checked this often
ABANDONED = 48 * 3600  # a half-upload untouched this long is removed


class Portal:
    def __init__(self, sessions, *, campaign_id: int, media_dir: Path, upload_dir: Path,
                 max_bytes: int = DEFAULT_MAX_BYTES, per_address: int = 20, window_seconds: float = 3600,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 disk_margin: int = DEFAULT_DISK_MARGIN, quota: int | None = None, checkers: int = 2) -> None:
        self.sessions = sessions
        self.campaign_id = campaign_id
        self.media_dir = media_dir
        self.upload_dir = upload_dir
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.per_address = per_address
        self.window = window_seconds
        self.clock = clock
        self.disk_margin = disk_margin
        self.quota = quota
        self._swept = 0.0
        self._recent: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}  # one per upload: its requests, one at a time
        self._locks_guard = threading.Lock()
        import socket
        import uuid
        from concurrent.futures import ThreadPoolExecutor

        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._checkers = ThreadPoolExecutor(max_workers=checkers, thread_name_prefix="loa-check")
        self.resume_unfinished()

    @classmethod
    def of_folder(cls, folder, campaign_id: int, **kw) -> "Portal":
        """The portal of a campaign folder: its media store, its uploads folder, its disk margin and quota."""
        return cls(folder.sessions, campaign_id=campaign_id, media_dir=folder.media_dir,
                   upload_dir=folder.root / "uploads", disk_margin=folder.disk_margin_bytes,
                   quota=folder.media_quota_bytes, **kw)

    # --- helpers --------------------------------------------------------------------------
    def campaign(self, s) -> Campaign:
        return s.get(Campaign, self.campaign_id)

    def _token_ok(self, token: str) -> bool:
        with self.sessions() as s:
            real = self.campaign(s).portal_token
        return bool(real) and secrets.compare_digest(real, token)

    def _closed(self) -> str | None:
        with self.sessions() as s:
            c = self.campaign(s)
            if c.ends_on and self.clock().astimezone(zone(c.timezone)).date() > c.ends_on:
                return _("The campaign ended on {day}; the upload page is closed.", day=c.ends_on.strftime("%d/%m/%Y"))
        return None

    def allow(self, address: str, kind: str = "upload", limit: int | None = None) -> bool:
        """At most ``limit`` (the uploads' limit unless given) of this kind of request per address
        in the window (an hour): uploads, pledges and withdrawal-code lookups each count apart."""
        now = time.monotonic()
        with self._lock:
            q = self._recent[f"{kind}:{address}"]
            while q and now - q[0] > self.window:
                q.popleft()
            if len(q) >= (self.per_address if limit is None else limit):
                return False
            q.append(now)
            return True

    def _path(self, upload_id: str) -> Path:
        return self.upload_dir / f"{upload_id}.part"

    @staticmethod
    def _tus(response: Response) -> Response:
        response.headers["Tus-Resumable"] = TUS_VERSION
        response.headers["Cache-Control"] = "no-store"
        return response

    def _error(self, status: int, message: str) -> Response:
        return self._tus(Response(json.dumps({"error": message}, ensure_ascii=False), status=status,
                                  content_type="application/json; charset=utf-8"))

    # --- space ----------------------------------------------------------------------------
    def space_problem(self, more: int) -> str | None:
        """Why ``more`` bytes may not be written now (HTTP 507), or None: the disk must keep its
        margin free, and the media store with the uploads stay within the campaign's quota."""
        import shutil

        free = shutil.disk_usage(self.upload_dir).free
        if free - more < self.disk_margin:
            return no_room()
        if self.quota is not None and used_bytes(self.media_dir, self.upload_dir) + more > self.quota:
            return _("The campaign's storage is full, so it cannot take this video now. Please try again later.")
        return None

    def sweep(self) -> int:
        """Remove half-uploads nobody has touched for 48 hours (at most once a minute)."""
        if time.monotonic() - self._swept < 60:
            return 0
        self._swept = time.monotonic()
        from datetime import timedelta

        from sqlalchemy import select

        cutoff = self.clock() - timedelta(seconds=ABANDONED)
        with self.sessions.begin() as s:
            old = list(s.scalars(select(Upload).where(Upload.campaign_id == self.campaign_id,
                                                      Upload.clip_id.is_(None), Upload.updated_at < cutoff)))
            for up in old:
                self._path(up.id).unlink(missing_ok=True)
                s.delete(up)
        return len(old)

    # --- WSGI -----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.sessions() as s:
            c = self.campaign(s)
            language, https = c.language, c.public_url.startswith("https://")  # the campaign's language
        with use(language):
            try:
                response = self.dispatch(request)
            except HTTPException as exc:
                response = exc.get_response()
        if response.mimetype == "text/html":  # whichever page it is, an error's too
            response.headers["Content-Security-Policy"] = pages.CSP
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if https or request.scheme == "https":  # the scheme a trusted proxy forwarded (loa/proxy.py)
            response.headers.setdefault("Strict-Transport-Security", pages.HSTS)
        return response(environ, start_response)

    def dispatch(self, r: Request) -> Response:
        parts = [p for p in r.path.split("/") if p]
        if len(parts) < 2 or parts[0] != "c" or not self._token_ok(parts[1]):
            return Response(_("Page not found."), status=404, content_type="text/plain; charset=utf-8")
        token, rest = parts[1], parts[2:]
        if not rest and r.method == "GET":
            return self.page(token)
        if rest == ["uploads"] and r.method == "POST":
            return self.create(r, token)
        if len(rest) == 2 and rest[0] == "uploads":
            upload_id = rest[1]
            if r.method == "HEAD":
                return self.head(upload_id)
            if r.method == "PATCH":
                return self.patch(r, upload_id)
        if len(rest) == 3 and rest[0] == "uploads" and rest[2] == "result" and r.method == "GET":
            return self.result(rest[1])
        if len(rest) == 2 and rest[0] == "covers" and r.method in ("GET", "HEAD"):
            return self.cover(rest[1])
        if len(rest) == 2 and rest[0] == "js" and r.method in ("GET", "HEAD"):
            return pages.script(rest[1])
        if len(rest) == 1 and rest[0] in pages.ROUTES:
            return pages.ROUTES[rest[0]](self, r, token)
        if r.method == "OPTIONS":
            resp = Response(status=204)
            resp.headers["Tus-Version"] = TUS_VERSION
            resp.headers["Tus-Extension"] = "creation"
            resp.headers["Tus-Max-Size"] = str(self.max_bytes)
            return self._tus(resp)
        return Response(_("Page not found."), status=404, content_type="text/plain; charset=utf-8")

    def cover(self, name: str) -> Response:
        """A Zalo cover loa made (content_queue.covers), for Zalo to fetch: only a name loa gave."""
        from content_queue.covers import cover_file

        path = cover_file(self.media_dir, name)
        if path is None:
            return Response(_("Page not found."), status=404, content_type="text/plain; charset=utf-8")
        return Response(path.read_bytes(), content_type="image/jpeg", headers={
            "Cache-Control": "public, max-age=86400, immutable",  # the name is the picture's own hash
            "X-Content-Type-Options": "nosniff"})

    # --- the page ---------------------------------------------------------------------------
    def page(self, token: str) -> Response:
        from content_queue.consent import portal_wording

        with self.sessions() as s:
            c = self.campaign(s)
            data = {"name": c.name, "message": c.message, "hashtags": c.hashtags, "guardianAge": c.guardian_age,
                    "maxBytes": self.max_bytes, "base": f"/c/{token}/uploads", "rule": portal_wording(c.guardian_age),
                    "pages": f"/c/{token}"}
        from ..templating import render

        html = render("portal.html", config=data, closed=self._closed() or "")
        return Response(html, content_type="text/html; charset=utf-8", headers=pages.HEADERS)

    # --- tus --------------------------------------------------------------------------------
    def create(self, r: Request, token: str) -> Response:
        if r.headers.get("Tus-Resumable") != TUS_VERSION:
            return self._error(412, _("Tus-Resumable 1.0.0 required"))
        closed = self._closed()
        if closed:
            return self._error(410, closed)
        address = r.remote_addr or "?"
        self.sweep()
        if not self.allow(address):
            return self._error(429, _("You have sent too many videos in one hour; please try again later."))
        try:
            length = int(r.headers.get("Upload-Length", ""))
        except ValueError:
            return self._error(400, _("Upload-Length is required"))
        if length <= 0:
            return self._error(400, _("The file is empty (0 bytes)."))
        if length > self.max_bytes:
            return self._error(413, _("The video is too large: at most {mb} MB.", mb=self.max_bytes // (1024 * 1024)))
        full = self.space_problem(length)
        if full:
            log.warning("upload refused: %s", full)
            return self._error(507, full)
        form = _metadata(r.headers.get("Upload-Metadata", ""))
        problem = self._check_form(form)
        if problem:
            return self._error(400, problem)
        upload_id = secrets.token_urlsafe(18)
        self._path(upload_id).touch(mode=0o600)
        with self.sessions.begin() as s:
            s.add(Upload(id=upload_id, campaign_id=self.campaign_id, length=length, offset=0, form=form,
                         address=address[:64], created_at=self.clock(), updated_at=self.clock()))
        resp = Response(status=201)
        resp.headers["Location"] = f"/c/{token}/uploads/{upload_id}"
        return self._tus(resp)

    def _check_form(self, form: dict[str, str]) -> str | None:
        from content_queue.clips import sender_from_portal

        with self.sessions() as s:
            guardian_age = self.campaign(s).guardian_age
        return sender_from_portal(form, guardian_age)[1]

    def head(self, upload_id: str) -> Response:
        with self.sessions() as s:
            up = s.get(Upload, upload_id)
        if up is None or up.campaign_id != self.campaign_id:
            return self._error(404, _("unknown upload"))
        resp = Response(status=200)
        resp.headers["Upload-Offset"] = str(up.offset)
        resp.headers["Upload-Length"] = str(up.length)
        return self._tus(resp)

    def _lock_for(self, upload_id: str) -> threading.Lock:
        with self._locks_guard:
            if len(self._locks) > 10_000:  # forget the locks of uploads nobody is sending now
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(upload_id, threading.Lock())

    def patch(self, r: Request, upload_id: str) -> Response:
        if r.headers.get("Content-Type") != "application/offset+octet-stream":
            return self._error(415, _("Content-Type must be application/offset+octet-stream"))
        with self._lock_for(upload_id):  # requests to one upload are serialised, not the whole portal
            return self._patch(r, upload_id)

    def _patch(self, r: Request, upload_id: str) -> Response:
        with self.sessions() as s:
            up = s.get(Upload, upload_id)
        if up is None or up.campaign_id != self.campaign_id:
            return self._error(404, _("unknown upload"))
        try:
            offset = int(r.headers.get("Upload-Offset", ""))
        except ValueError:
            return self._error(400, _("Upload-Offset is required"))
        path = self._path(upload_id)
        if offset != up.offset or offset != path.stat().st_size:
            return self._error(409, _("offset {offset} does not match {offset2}", offset=offset, offset2=up.offset))
        written = offset
        stream = r.stream
        checked = offset
        with open(path, "r+b") as f:
            f.seek(offset)
            try:
                while True:
                    block = stream.read(BLOCK)
                    if not block:
                        break
                    if written + len(block) > up.length:  # more than declared: refused while streaming
                        f.truncate(offset)
                        written = offset
                        return self._error(413, _("more bytes than Upload-Length"))
                    if written + len(block) - checked >= CHECK_EVERY or checked == offset:
                        full = self.space_problem(min(CHECK_EVERY, up.length - written))
                        if full:  # the disk is not left full: this chunk's bytes are given back
                            f.truncate(offset)
                            written = offset
                            log.warning("upload %s stopped at %d bytes: %s", upload_id, offset, full)
                            return self._error(507, full)
                        checked = written + len(block)
                    try:
                        f.write(block)
                    except OSError as exc:
                        if exc.errno != 28:  # ENOSPC
                            raise
                        f.truncate(offset)
                        written = offset
                        return self._error(507, no_room())
                    written += len(block)
            finally:
                f.flush()
                os.fsync(f.fileno())
                # whatever arrived counts, even if the connection broke mid-chunk
                with self.sessions.begin() as s:
                    row = s.get(Upload, upload_id)
                    row.offset, row.updated_at = written, self.clock()
        if written == up.length:  # checked off the request: the last chunk returns at once
            self._checkers.submit(self._check, upload_id)
        resp = Response(status=204)
        resp.headers["Upload-Offset"] = str(written)
        return self._tus(resp)

    # --- checking a complete upload, off the request ---------------------------------------
    CLAIM_EXPIRES = 600  # a check that long silent (its process died) may be taken by another

    def _claim(self, upload_id: str) -> bool:
        """Take the check of this complete upload, atomically: one worker, whichever process."""
        from datetime import timedelta

        from sqlalchemy import or_, update

        now = self.clock()
        with self.sessions.begin() as s:
            done = s.execute(update(Upload).where(
                Upload.id == upload_id, Upload.clip_id.is_(None), Upload.offset == Upload.length,
                or_(Upload.finishing_by == "", Upload.finishing_at < now - timedelta(seconds=self.CLAIM_EXPIRES)))
                .values(finishing_by=self.worker, finishing_at=now))
            return done.rowcount == 1

    def _check(self, upload_id: str) -> None:
        if not self._claim(upload_id):
            return
        try:
            with self.sessions() as s:
                language = self.campaign(s).language
            with use(language):  # the reason a participant reads is in the campaign's language
                self._finish(upload_id)
        except Exception:  # noqa: BLE001 - let it be taken again (on restart, or by another worker)
            log.exception("upload %s: the check failed; it will be tried again", upload_id)
            from sqlalchemy import update

            with self.sessions.begin() as s:
                s.execute(update(Upload).where(Upload.id == upload_id).values(finishing_by=""))

    def resume_unfinished(self) -> int:
        """Complete uploads not yet checked (the server stopped meanwhile): checked now."""
        from sqlalchemy import select

        with self.sessions() as s:
            ids = list(s.scalars(select(Upload.id).where(Upload.campaign_id == self.campaign_id,
                                                         Upload.clip_id.is_(None), Upload.offset == Upload.length,
                                                         Upload.length > 0)))
        for upload_id in ids:
            self._checkers.submit(self._check, upload_id)
        return len(ids)

    def _finish(self, upload_id: str) -> None:
        """The whole file is here: through the same intake as `loa clips add`."""
        from content_queue.clips import Sender, add_clip, give_withdraw_code, sender_from_portal

        with self.sessions.begin() as s:
            up = s.get(Upload, upload_id)
            if up.clip_id is not None:
                return
            campaign = self.campaign(s)
            form = up.form
            sender, refusal = sender_from_portal(form, campaign.guardian_age)
            if sender is None:  # the campaign's guardian age changed since the upload began
                sender = Sender(participant=form.get("name", ""), age=int(form["age"]), consent="none",
                                display=form.get("display", "first"), source="portal")
            clip = add_clip(s, campaign, self._path(upload_id), sender, media_dir=self.media_dir,
                            original_name=_safe_name(form.get("filename", "")))
            up.clip_id = clip.id
            up.code = give_withdraw_code(clip)  # shown once on the thank-you page, then only its hash
            up.address, up.form = "", {}  # the phone's address and the form: not kept once the clip is (privacy.html)
        self._path(upload_id).unlink(missing_ok=True)

    def result(self, upload_id: str) -> Response:
        from content_queue.models import Clip

        with self.sessions.begin() as s:
            up = s.get(Upload, upload_id)
            if up is None or up.campaign_id != self.campaign_id:
                return self._error(404, _("unknown upload"))
            if up.clip_id is None:
                status = "checking" if up.offset == up.length else "uploading"  # checking: probed off the request
                return self._tus(Response(json.dumps({"status": status, "offset": up.offset, "length": up.length}),
                                          content_type="application/json"))
            clip = s.get(Clip, up.clip_id)
            body = {"status": clip.status.value, "clip": clip.id, "reason": clip.reason or None}
            if up.code:  # the withdrawal code, this once: afterwards only its hash is kept
                body["code"], up.code = up.code, ""
        return self._tus(Response(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8"))


def _metadata(header: str) -> dict[str, str]:
    """tus Upload-Metadata: comma-separated "key base64value" pairs."""
    out: dict[str, str] = {}
    for pair in header.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        try:
            out[key[:40]] = base64.b64decode(value).decode("utf-8")[:500] if value else ""
        except (ValueError, UnicodeDecodeError):
            continue
    return out


def _safe_name(name: str) -> str:
    """The sender's file name is kept for the record only, never as a path."""
    base = name.replace("\\", "/").split("/")[-1].strip().lstrip(".")
    return "".join(ch for ch in base if ch.isprintable())[:120] or "video"


def ensure_token(sessions, campaign_id: int) -> str:
    from content_queue.campaigns import portal_token

    with sessions.begin() as s:
        return portal_token(s, s.get(Campaign, campaign_id))


def no_room() -> str:
    """What a phone is told when the server's disk keeps no room for its video (HTTP 507)."""
    return _("The server is running out of space, so it cannot take this video now. Please try again later.")


def used_bytes(*folders: Path) -> int:
    """What the media store and the uploads take on disk."""
    total = 0
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            for name in files:
                try:
                    total += os.lstat(os.path.join(root, name)).st_size
                except OSError:
                    continue
    return total
