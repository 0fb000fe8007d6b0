"""Zalo Official Account articles through the Zalo Open API (OAuth v4).

Docs: https://developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new ,
https://developers.zalo.me/docs/official-account/bai-viet/tao-bai-viet ,
https://developers.zalo.me/docs/official-account/bai-viet/upload-video .

Which source each call follows, where Zalo's pages are silent (see shared/design/platform-apis.md,
"Corrections found by a review"):

- ``article/create`` / ``update``: a normal article always carries an ``author`` (required, at most
  50 characters: redai-zalo-sdk 1.32.17, services/article.service.js); the channel's ``author``
  setting, else the OA's name read once from ``GET /v2.0/oa/getoa``. Title and description are sent
  as checked at queue time (140/250, the lengths a ward's OA client in production sends; exactly
  150 was refused there). The cover address is sent percent-encoded (a space or a Vietnamese letter
  is "photo_url ... is invalid" to Zalo, per the same client).
- ``article/verify``: -214 is "still processing", -32 a rate limit, the token codes a refresh; any
  other error is final, with Zalo's own words (a cover Zalo cannot fetch fails here, -200 "Upload
  media failed").
- ``article/getslice``: pages of at most 10 (``limit`` over 10 is answered -201 "maximum limit is
  10": redai-zalo-sdk; the ward's client), used only to find an article whose create went
  unanswered.
- ``article/getdetail?id=``: one article, with its public ``link_view`` and its counts.

Every reply is ``{"error": int, "message": str, "data": {...}}`` and errors usually come with
HTTP 200. The access token travels in an ``access_token`` header. Refresh tokens are single-use:
the new pair is handed to ``on_credentials`` (which stores it) before the new token is used.

Publishing follows the safe pattern: create the article hidden, verify it until Zalo gives its
id, then update it to shown and verify again. A create that timed out can then never leave a
second public copy, and every step can be resumed from the checkpointed state.
"""
from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from . import limits as L
from .base import (PROCESSING, PUBLISHED, SEARCH_BACK, Connector, Finding, Item, Result, TokenExpired, _noop_checkpoint,
                   window_left)
from .errors import CredentialsDead, OutcomeUnknown, Rejected, RetryLater
from .http import FileSlice, MultipartStream, json_body
from .text import _

OPENAPI = "https://openapi.zalo.me"
OAUTH_TOKEN = "https://oauth.zaloapp.com/v4/oa/access_token"

TOKEN_ERRORS = {-216, -220, -124}
# Zalo sends no Retry-After: wait a minute after -32 (rate limit; a rehearsal may set another
# wait), and an hour after -211 (out of quota).
RETRY_ERRORS = {-32: 60.0, -211: 3600.0}
PROCESSING_ERROR = -214
REJECT_HINTS = {
    -200: _("Zalo could not fetch the cover picture, or it is 1 MB or larger; give a smaller picture at an "
            "address anyone can open"),
    -201: _("a parameter is not valid"),
    -209: _("this API is not available to the OA"),
    -210: _("a parameter is over Zalo's limit"),
    -221: _("the Official Account is not verified; verify it in Zalo OA Manager"),
    -223: _("the app lacks the permission; grant it when connecting the OA"),
    -224: _("the OA's package must be upgraded for this"),
}
VIDEO_READY, VIDEO_LOCKED, VIDEO_PROCESSING, VIDEO_FAILED, VIDEO_DELETED = 1, 2, 3, 4, 5
VERIFY_WAITS = (1.0, 2.0, 3.0, 5.0)  # backoff while Zalo answers -214 inside one publish call


def web_address(url: str) -> str:
    """``url`` with spaces and non-ASCII letters percent-encoded (``%XX`` already there kept), as
    Zalo accepts a cover's address."""
    from urllib.parse import quote

    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~")


def text_to_html(text: str, link: str = "") -> str:
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    out = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    if link:
        out += f'<p><a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></p>'
    return out


class ZaloConnector(Connector):
    platform = L.ZALO
    label = "Zalo OA"
    required = ("oa_id", "app_id", "app_secret", "access_token", "refresh_token")
    account_key = "oa_id"
    settings_keys = frozenset({"cover_url", "author"})
    variant_fields = ("text", "title", "description")
    routes_without_media = frozenset({"normal"})
    routes = ("normal", "video")
    cover_url = True

    @classmethod
    def route_for(cls, kind: str | None, reel: bool = False) -> str:
        return "video" if kind == "video" else "normal"  # a picture is not an article's media

    @classmethod
    def settings_problems(cls, settings) -> list[tuple[str, str]]:
        problems = super().settings_problems(settings)
        url = settings.get("cover_url")
        if url and not str(url).startswith(("http://", "https://")):
            problems.append((_("Cover {url!r} is not a web address.", url=url), _("Give an http(s):// address.")))
        author = str(settings.get("author") or "")
        if len(author) > L.ZALO_AUTHOR_MAX_CHARS:
            problems.append((_("The author has {count} characters, over Zalo's {limit}.", count=len(author),
                               limit=L.ZALO_AUTHOR_MAX_CHARS), _("Give a shorter --author.")))
        return problems
    # An article Zalo received is listed by getslice only once Zalo has processed it (verify
    # answers -214 meanwhile), so its absence proves nothing until this long after the create.
    processing_window = timedelta(minutes=10)

    @property
    def account_id(self) -> str:
        return str(self.credentials.get("oa_id", ""))

    def oa_info(self) -> dict[str, Any]:
        """The OA as Zalo describes it (``GET /v2.0/oa/getoa``): its name, and (UNVERIFIED field
        names) whether it is verified and its package."""
        return dict(self._call("GET", "/v2.0/oa/getoa").get("data") or {})

    def golive(self):
        from .base import Check

        try:
            info = self.oa_info()
        except (Rejected, RetryLater, CredentialsDead) as exc:
            if getattr(exc, "code", None) == -224:
                return [Check("package", False, _("the OA's package does not allow posting through the API"),
                              _("Upgrade the OA's package in Zalo OA Manager."))]
            return [Check.unreadable("oa", exc)]
        checks = [Check("oa", bool(info.get("name")), _("OA {name}", name=info.get("name") or "?"),
                        _("Connect the OA again (`loa channel connect zalo --replace`)."),
                        _("Press “Reconnect” beside the channel."))]
        # UNVERIFIED field names (getoa's is_verified and package_name): said only when given
        if "is_verified" in info:
            checks.append(Check("verified", bool(info["is_verified"]),
                                _("verified") if info["is_verified"] else _("not verified"),
                                _("Verify the OA in Zalo OA Manager: an unverified OA cannot post articles.")))
        if info.get("package_name"):
            checks.append(Check("package", True, _("package: {name}", name=info["package_name"])))
        author = (self.settings.get("author") or "").strip() or str(info.get("name") or "")
        checks.append(Check("author", bool(author), _("articles signed: {name}", name=author or "-"),
                            _("Set one with `loa channel set NAME --author \"...\"`.")))
        return checks

    def _author(self, state: dict) -> str:
        """Who signs a normal article: the channel's setting, else the OA's own name (read once and
        kept in the delivery's state, so a resumed publish signs it the same)."""
        if not state.get("author"):
            import unicodedata

            name = (self.settings.get("author") or "").strip() or str(self.oa_info().get("name") or "").strip()
            name = unicodedata.normalize("NFC", name)
            if not name:
                raise Rejected(_("zalo: a Zalo article needs an author and the OA has no name to use; set one with "
                                 "`loa channel set NAME --author \"...\"`."), platform=self.platform)
            state["author"] = name[: L.ZALO_AUTHOR_MAX_CHARS]
        return state["author"]

    # --- mechanics ------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, can_publish: bool = False, json: Any = None,
              params: dict | None = None, data: Any = None, headers: dict | None = None,
              accept: tuple[int, ...] = ()) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            h = {"access_token": self.secret("access_token"), **(headers or {})}
            resp = self.http.request(method, f"{OPENAPI}{path}", platform=self.platform, can_publish=can_publish,
                                     json=json, params=params, data=data, headers=h)
            body = json_body(resp)
            code = body.get("error", 0 if resp.status_code < 400 else None)
            if code == 0 or code in accept:
                return body
            self._raise(resp.status_code, body)

        return self._with_refresh(once)

    def _raise(self, status: int, body: dict[str, Any]) -> None:
        code = body.get("error")
        msg = body.get("message") or f"HTTP {status}"
        kw = {"platform": self.platform, "code": code, "status": status, "platform_message": msg}
        if code in TOKEN_ERRORS:
            raise TokenExpired(_("zalo: the OA's access token has expired."), **kw)
        if code in RETRY_ERRORS or status >= 500 or status == 429 or code is None:
            wait = self.rate_limit_wait if code == -32 and self.rate_limit_wait is not None else RETRY_ERRORS.get(code)
            raise RetryLater(_("zalo: Zalo is busy or limiting calls for now; loa will try again."), retry_after=wait,
                             **kw)
        hint = REJECT_HINTS.get(code)
        raise Rejected(_("zalo: Zalo refused the post: {hint}.", hint=hint) if hint else
                       _("zalo: Zalo refused the post. Correct it as Zalo's message says, then send it again "
                         "(`loa retry`)."), **kw)

    # --- publish --------------------------------------------------------------------------
    def publish(self, item: Item, checkpoint=_noop_checkpoint, state: dict | None = None) -> Result:
        state = dict(state or {})
        if not state:
            state = {"route": "video" if item.media is not None and item.media.kind == "video" else "normal",
                     "title": item.title}
            checkpoint(state)
        return self._advance(item, state, checkpoint)

    def _article_body(self, item: Item, state: dict, status: str) -> dict[str, Any]:
        cover = item.cover_url or self.settings.get("cover_url", "")
        if not cover:
            raise Rejected(_("zalo: a Zalo article needs a cover photo at a public web address; give --cover-url "
                             "or `loa channel set NAME --cover-url URL`."), platform=self.platform)
        cover = web_address(cover)
        if state["route"] == "video":
            return {"type": "video", "title": item.title, "description": item.description,
                    "video_id": state["video_id"], "avatar": cover, "status": status, "comment": "show"}
        return {"type": "normal", "title": item.title, "description": item.description, "author": self._author(state),
                "cover": {"cover_type": "photo", "photo_url": cover, "status": "show"},
                "body": [{"type": "text", "content": text_to_html(item.text, item.link)}],
                "status": status, "comment": "show"}

    def _advance(self, item: Item, state: dict, checkpoint) -> Result:
        """Run the remaining steps; each step's result is checkpointed before the next."""
        if state["route"] == "video" and not state.get("video_id"):
            if not state.get("video_token"):
                state["video_token"] = self._upload_video(item)
                checkpoint(state)
            video_id = self._wait_video(state["video_token"])
            if video_id is None:
                return Result(PROCESSING, "", "", state, detail=_("Zalo is converting the video"))
            state["video_id"] = video_id
            checkpoint(state)
        if not state.get("article_id"):
            if state.get("creating") and not state.get("create_token"):
                raise OutcomeUnknown(_("zalo: an earlier create got no answer; it must be reconciled first."),
                                     platform=self.platform)
            if not state.get("create_token"):
                article = self._article_body(item, state, "hide")  # reads the OA's name first, if needed
                state.update(creating=True, sent_at=self.clock().isoformat())
                checkpoint(state)
                body = self._answered(lambda: self._call("POST", "/v2.0/article/create", json=article,
                                                         can_publish=True), state, "creating", checkpoint)
                state["create_token"] = body["data"]["token"]
                checkpoint(state)
            try:
                article_id = self._verify(state["create_token"])
            except (RetryLater, CredentialsDead) as exc:  # Zalo has the article: read again later
                return Result(PROCESSING, "", "", state, detail=_("status not readable yet ({exc})", exc=exc))
            if article_id is None:
                return Result(PROCESSING, "", "", state, detail=_("Zalo is processing the article"))
            state["article_id"] = article_id
            checkpoint(state)
        if not state.get("shown"):
            if state.get("showing") and not state.get("show_token"):
                raise OutcomeUnknown(_("zalo: an earlier update got no answer; it must be reconciled first."),
                                     platform=self.platform)
            if not state.get("show_token"):
                state["showing"] = True
                checkpoint(state)
                body = self._answered(lambda: self._call(
                    "POST", "/v2.0/article/update",
                    json={**self._article_body(item, state, "show"), "id": state["article_id"]}, can_publish=True),
                    state, "showing", checkpoint)
                state["show_token"] = body["data"]["token"]
                checkpoint(state)
            try:
                shown = self._verify(state["show_token"])
            except (RetryLater, Rejected, CredentialsDead) as exc:  # the update was accepted: it may be public,
                # so never failed (a retry would leave a second article): read again later
                return Result(PROCESSING, state["article_id"], "", state, detail=_("status not readable yet "
                                                                                   "({exc})", exc=exc))
            if shown is None:
                return Result(PROCESSING, state["article_id"], "", state, detail=_("Zalo is updating the article"))
            state["shown"] = True
            checkpoint(state)
        try:
            link = self._link(state)
        except (RetryLater, Rejected, CredentialsDead):  # shown: a failed read only delays its link
            link = ""
        if not link:  # shown, but the public link cannot be read yet: follow up for it
            return Result(PROCESSING, state["article_id"], "", state, detail=_("published; its link will be read "
                                                                               "again"))
        return Result(PUBLISHED, state["article_id"], link, state)

    def _upload_video(self, item: Item) -> str:
        media = item.media
        if media.size > L.ZALO_VIDEO.max_bytes:
            raise Rejected(_("zalo: the video is over Zalo's {value} MB limit.", value=L.ZALO_VIDEO.max_bytes // L.MB),
                           platform=self.platform)

        def progress(done: int) -> None:
            if self.progress:
                self.progress(done, media.size)

        stream = MultipartStream({}, "file", media.path.name, FileSlice(str(media.path), 0, media.size, progress),
                                 "video/mp4")
        body = self._call("POST", "/v2.0/article/upload_video/preparevideo", data=stream,
                          headers={"Content-Type": stream.content_type})
        return body["data"]["token"]

    def _wait_video(self, token: str) -> str | None:
        for wait in (0.0, *VERIFY_WAITS):
            if wait:
                self.sleep(wait)
            data = self._call("GET", "/v2.0/article/upload_video/verify", headers={"token": token}).get("data", {})
            status = int(data.get("status", VIDEO_PROCESSING))
            if status == VIDEO_READY and data.get("video_id"):
                return str(data["video_id"])
            if status in (VIDEO_FAILED, VIDEO_LOCKED, VIDEO_DELETED):
                why = {VIDEO_FAILED: _("zalo: the video conversion failed; check that it is an MP4 (H.264, AAC)."),
                       VIDEO_LOCKED: _("zalo: the video is locked by Zalo; check that it is an MP4 (H.264, AAC)."),
                       VIDEO_DELETED: _("zalo: the video was deleted on Zalo before it could be used.")}[status]
                raise Rejected(why,
                               platform=self.platform, code=status)
        return None

    def _verify(self, token: str) -> str | None:
        """The article id once Zalo has processed it; None while it still answers -214."""
        for wait in (0.0, *VERIFY_WAITS):
            if wait:
                self.sleep(wait)
            body = self._call("POST", "/v2.0/article/verify", json={"token": token}, accept=(PROCESSING_ERROR,))
            if body.get("error") != PROCESSING_ERROR:
                return str(body["data"]["id"])
        return None

    # --- numbers (insights) ----------------------------------------------------------------
    # What getdetail reports of an article (UNVERIFIED field names: Zalo's SDK and community code).
    DETAIL_FIELDS = {"views": "total_view", "shares": "total_share"}

    def numbers(self, remote_id: str, state: dict[str, Any]):
        """An article's views and shares, as getdetail gives them; a missing field is
        unavailable, never an error."""
        from .insights import Numbers, number

        n = Numbers()
        try:
            found = self._article(remote_id)
        except (CredentialsDead, Rejected, RetryLater) as exc:
            if isinstance(exc, RetryLater) and exc.limited:
                raise  # a rate limit: the whole reading waits (scheduler.insights)
            why = "permission" if isinstance(exc, CredentialsDead) else "not_read"
            for m in self.DETAIL_FIELDS:
                n.lack(m, why)
            return n.complete()
        for metric, name in self.DETAIL_FIELDS.items():
            value = number((found or {}).get(name))
            n.give(metric, value, name) if value is not None else n.lack(
                metric, "not_found" if found is None else "field_missing", name)
        return n.complete()

    def _slice(self, kind: str, limit: int = L.ZALO_LIST_MAX, offset: int = 0) -> list[dict[str, Any]]:
        body = self._call("GET", "/v2.0/article/getslice", params={"offset": offset, "limit": limit, "type": kind})
        return list((body.get("data") or {}).get("medias") or [])

    def _articles(self, kind: str, since_ms: float | None = None, max_items: int = 2000):
        """The OA's articles, newest first, page after page of ten (Zalo's largest page),
        stopping at articles older than ``since_ms``."""
        offset, page = 0, L.ZALO_LIST_MAX
        while offset < max_items:
            batch = self._slice(kind, limit=page, offset=offset)
            for media in batch:
                created = media.get("create_date")
                if since_ms is not None and isinstance(created, (int, float)) and created < since_ms:
                    return
                yield media
            if len(batch) < page:
                return
            offset += page

    def _article(self, article_id: str) -> dict[str, Any] | None:
        """One article by its id (``getdetail``), or None where Zalo has none by that id. UNVERIFIED:
        which code Zalo gives an unknown or removed id; -201 ("not valid") is taken as none."""
        body = self._call("GET", "/v2.0/article/getdetail", params={"id": article_id}, accept=(-201,))
        if body.get("error") == -201:
            return None
        data = dict(body.get("data") or {})
        return data if str(data.get("id", article_id)) == str(article_id) else None

    def _link(self, state: dict) -> str:
        media = self._article(state["article_id"])
        return media.get("link_view", "") if media else ""

    # --- follow up ------------------------------------------------------------------------
    def check(self, state: dict[str, Any], item: Item | None = None, checkpoint=_noop_checkpoint) -> Result:
        """Carry on the remaining steps. Updating a hidden article to shown needs ``item``."""
        if item is None:
            if state.get("article_id") and not (state.get("shown") or state.get("show_token")):
                raise ValueError("zalo: check() needs the item to show the article")
            item = Item(title=state.get("title", ""))
        return self._advance(item, dict(state), checkpoint)

    def find(self, item: Item, since: datetime, state: dict[str, Any], exclude: frozenset[str] = frozenset()) -> Finding:
        """Which step went unanswered decides where to look. A failed read propagates (cannot tell)."""
        if state.get("showing") and not state.get("show_token"):
            # The update to shown may or may not have landed: the listing says.
            media = self._article(state["article_id"])
            if media is None:  # we hold its id, so it existed: removed on Zalo, or not listed yet
                return Finding.cannot_tell(_("article {article_id} is not in the OA's listing", article_id=state['article_id']))
            if media.get("status") == "show":
                done = {**state, "shown": True, "show_token": "listed"}
                return Finding.found(Result(PUBLISHED, state["article_id"], media.get("link_view", ""), done))
            return Finding.found(Result(PROCESSING, state["article_id"], "", {**state, "showing": False}))
        if state.get("creating") and not state.get("create_token") and not state.get("article_id"):
            since_ms = (since - SEARCH_BACK).timestamp() * 1000
            for media in self._articles(state.get("route", "normal"), since_ms):
                if str(media.get("id")) in exclude:
                    continue
                created = media.get("create_date") or 0
                try:
                    created_ms = float(created)
                except (TypeError, ValueError):
                    created_ms = since_ms
                if media.get("title") == item.title and created_ms >= since_ms:
                    found = {**state, "article_id": str(media["id"])}
                    if media.get("status") == "show":
                        found.update(shown=True, show_token="listed")
                        return Finding.found(Result(PUBLISHED, found["article_id"], media.get("link_view", ""), found))
                    return Finding.found(Result(PROCESSING, found["article_id"], "", found))
            left = window_left(state.get("sent_at"), self.processing_window, self.clock(), since)
            if left:  # Zalo may still be processing the create: its listing does not show it yet
                return Finding.cannot_tell(_("not in the OA's listing yet; Zalo may still be processing it (for "
                                             "up to {left:.0f} s more)", left=left))
            return Finding.not_published(_("Zalo's listing has no such article after its processing window"))
        if state.get("create_token") or state.get("article_id"):
            return Finding.found(Result(PROCESSING, state.get("article_id", ""), "", state))
        return Finding.not_published(_("the create was never sent"))

    def refresh(self) -> dict[str, Any]:
        resp = self.http.request("POST", OAUTH_TOKEN, platform=self.platform,
                                 headers={"secret_key": self.secret("app_secret")},
                                 data={"refresh_token": self.secret("refresh_token"), "app_id": self.secret("app_id"),
                                       "grant_type": "refresh_token"})
        body = json_body(resp)
        if not body.get("access_token") or not body.get("refresh_token"):
            code = body.get("error")
            if resp.status_code >= 500 or resp.status_code == 429 or code in RETRY_ERRORS or code in (None, -1):
                raise RetryLater(_("zalo: token refresh failed for now (error {code}).", code=code), platform=self.platform,
                                 code=code, status=resp.status_code)
            reason = body.get("error_description") or body.get("error_name") or body.get("message") or ""
            raise CredentialsDead(_("zalo: the refresh token was refused ({value}); connect the OA again (`loa "
                                    "channel connect zalo`).", value=reason or code), platform=self.platform, code=code)
        new = {"access_token": body["access_token"], "refresh_token": body["refresh_token"],
               "expires_at": self.expires_at(body.get("expires_in"))}
        if body.get("refresh_token_expires_in"):
            new["refresh_expires_at"] = self.expires_at(body["refresh_token_expires_in"])
        self._store_credentials(new)  # stored first: the old refresh token is now spent
        return new
