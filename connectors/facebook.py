"""Facebook Pages through the Graph API.

Docs: https://developers.facebook.com/docs/pages-api/posts ,
https://developers.facebook.com/docs/video-api/guides/reels-publishing ,
https://developers.facebook.com/docs/video-api/guides/publishing (chunked /videos upload),
https://developers.facebook.com/docs/graph-api/guides/error-handling .

Routes: ``feed`` (text and links), ``photo``, ``reel`` (vertical 3-90 s: trailer and recap) and
``video`` (the chunked ``/videos`` upload, for anything else). Native scheduling
(``scheduled_publish_time``, 10 minutes to 30 days ahead) when ``Item.schedule_at`` is set.
A Page token cannot be refreshed; with the long-lived user token (``user_token``) a new Page
token is fetched from ``/me/accounts``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from . import limits as L
from .base import (PROCESSING, PUBLISHED, SCHEDULED, SEARCH_BACK, Connector, Finding, Item, Result, TokenExpired,
                   _noop_checkpoint, window_left)
from .errors import CredentialsDead, NotPublished, OutcomeUnknown, Rejected, RetryLater
from .http import FileSlice, MultipartStream, json_body, retry_after
from .text import _

VERSION = L.FACEBOOK_GRAPH_VERSION
GRAPH = "https://graph.facebook.com"
# Where a non-Reel video goes. Two of Meta's pages disagree: the Video API overview says "The
# graph-video.facebook.com host for video uploads has been deprecated ... Upload videos using the
# Resumable Upload API" (POST /{app-id}/uploads with a *user* token, then upload:{session} with
# file_offset, then /{page-id}/videos with fbuploader_video_file_chunk); "Publish with the Video API"
# (v27.0) still sends that last call to graph-video.facebook.com, and the chunked /videos upload
# there (start/transfer/finish, the official python business SDK's video_uploader.py) still
# answers. Taken: the chunked upload on this host, which needs only the Page token (a channel added
# from a file has no app id or user token for the Resumable Upload API). UNVERIFIED: when Meta
# stops answering it; the vertical 3-90 s videos (the trailer, the recap) go as Reels (rupload).
GRAPH_VIDEO = "https://graph-video.facebook.com"

RETRY_CODES = {1, 2, 4, 17, 32, 341, 368, 613, 80001}
TOKEN_CODES = {190, 102}
EXPIRED_SUBCODES = {463, 467}  # expired, or invalid session: a fresh Page token may fix it
# What a refusal means and what to do, by Graph API error code (or subcode); None: any other.
REFUSALS = {
    None: _("facebook: Facebook refused the post. Correct it as Facebook's message says, then send it again "
            "(`loa retry`)."),
    100: _("facebook: Facebook did not accept a value in the post (often the link, the picture or the video). "
           "Correct it as Facebook's message says, then send it again (`loa retry`)."),
    200: _("facebook: the Page has not given loa permission to publish. Connect the Page again "
           "(`loa channel connect facebook`) and allow every permission asked, then `loa retry`."),
    10: _("facebook: the Page has not given loa permission to publish. Connect the Page again "
          "(`loa channel connect facebook`) and allow every permission asked, then `loa retry`."),
    368: _("facebook: Facebook blocked this post as going against its rules or looking like spam. Check the "
           "text and the links; wait before posting again."),
    506: _("facebook: Facebook refuses a post identical to a recent one. Change the text a little, then send it "
           "again (`loa retry`)."),
    1366046: _("facebook: Facebook refused the photo (over 4 MB, or a size it cannot take). Save it as a JPEG "
               "under 4 MB, then add the post again."),
}
# Insights, by loa's metric: the platform's names, the replacement first and the deprecated one as a
# fallback (one unknown or retired metric fails a whole request with code 100, so each is asked alone).
# post_impressions* were removed on 15 June 2026 ("invalid metric"; Meta's Page Insights changelog,
# via Postiz): no fallback to them.
POST_INSIGHTS = {"views": ("post_media_view",), "reach": ("post_total_media_view_unique",)}
VIDEO_INSIGHTS = {"plays": ("total_video_views",), "reach": ("total_video_views_unique",),
                  "avg_watch_seconds": ("total_video_avg_time_watched",)}  # milliseconds
REEL_INSIGHTS = {"plays": ("blue_reels_play_count",), "reach": ("post_impressions_unique",),
                 "avg_watch_seconds": ("post_video_avg_time_watched",)}  # milliseconds
MILLISECONDS = {"total_video_avg_time_watched", "post_video_avg_time_watched"}
PERMISSION_CODES = {10, 200}
# What publishing and reading the numbers need (Meta's Pages API and Page Insights docs).
NEEDED_PERMISSIONS = ("pages_manage_posts", "pages_read_engagement", "read_insights", "publish_video")
VERSION_WARNING_DAYS = 90  # the go-live check warns this long before the Graph version ends
RESEND_FROM_OFFSET = 1363037
MAX_RESENDS = 5


class FacebookConnector(Connector):
    platform = L.FACEBOOK
    label = "Facebook"
    required = ("page_id", "access_token")
    # the long-lived user token (and the app that made it) lets loa fetch a new Page token
    extra = ("user_token", "app_id", "app_secret")
    account_key = "page_id"
    settings_keys = frozenset({"handoff"})
    routes_without_media = frozenset({"feed"})
    routes = ("feed", "photo", "reel", "video")
    native_scheduling = True
    reels_per_day = L.FACEBOOK_REELS_PER_DAY
    usage_headers = True

    @classmethod
    def route_for(cls, kind: str | None, reel: bool = False) -> str:
        if kind is None:
            return "feed"
        if kind == "image":
            return "photo"
        return "reel" if reel else "video"

    @property
    def account_id(self) -> str:
        return str(self.credentials.get("page_id", ""))

    # --- mechanics ------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, host: str = GRAPH, can_publish: bool = False,
              params: dict | None = None, data: Any = None, headers: dict | None = None,
              url: str | None = None, resend_subcode: int | None = None) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            p = dict(params or {})
            h = dict(headers or {})
            if url is None:
                p["access_token"] = self.secret("access_token")
            resp = self.http.request(method, url or f"{host}/{VERSION}/{path.lstrip('/')}", platform=self.platform,
                                     can_publish=can_publish, params=p, data=data, headers=h)
            body = json_body(resp)
            err = body.get("error") or {}
            if resend_subcode is not None and err.get("error_subcode") == resend_subcode:
                return body  # the caller resends from the offset Facebook names
            if "error" in body or resp.status_code >= 400:
                self._raise(resp, body)
            return body

        if not self.secret("user_token"):
            return once()
        return self._with_refresh(once)

    def _raise(self, resp, body: dict[str, Any]) -> None:
        err = body.get("error") or {}
        code = err.get("code")
        sub = err.get("error_subcode")
        msg = err.get("error_user_msg") or err.get("message") or f"HTTP {resp.status_code}"
        code_text = f"{code}, subcode {sub}" if sub else code
        kw = {"platform": self.platform, "code": code_text, "status": resp.status_code, "platform_message": msg}
        if code in TOKEN_CODES:
            if sub in EXPIRED_SUBCODES and self.secret("user_token"):
                raise TokenExpired(_("facebook: the Page's access token has expired."), **kw)
            raise CredentialsDead(_("facebook: Facebook no longer accepts this Page's sign-in (the token was revoked, "
                                    "the password changed or a permission was removed). The Page must be connected "
                                    "again: `loa channel connect facebook`."), **kw)
        if code == 368 and sub not in (None, 1390008):
            raise Rejected(REFUSALS[368], **kw)
        if code in RETRY_CODES or err.get("is_transient") or resp.status_code >= 500 or resp.status_code == 429:
            wait = retry_after(resp)
            if wait is None and self.http.last_usage is not None:
                wait = self.http.last_usage.regain_seconds
            raise RetryLater(_("facebook: Facebook is busy or limiting calls for now; loa will try again."),
                             retry_after=wait, **kw)
        raise Rejected((REFUSALS.get(sub) if sub else None) or REFUSALS.get(code) or REFUSALS[None], **kw)

    def _permalink(self, object_id: str) -> str:
        try:
            body = self._call("GET", object_id, params={"fields": "permalink_url"})
        except (RetryLater, Rejected, CredentialsDead):  # the post is made: a failed read only delays its link
            return ""
        link = body.get("permalink_url", "")
        if link.startswith("/"):
            link = "https://www.facebook.com" + link
        return link

    def _published(self, post_id: str, state: dict[str, Any]) -> Result:
        """Published: with its public link, or processing until the link can be read (the officer's
        report needs the link, and Facebook's is never built by hand)."""
        link = self._permalink(post_id)
        if link:
            return Result(PUBLISHED, post_id, link, state)
        return Result(PROCESSING, post_id, "", state, detail=_("published; its link will be read again"))

    def _schedule_params(self, item: Item, reel: bool = False) -> dict[str, Any]:
        if item.schedule_at is None:
            return {}
        ahead = (item.schedule_at - self.clock()).total_seconds()
        top = L.FACEBOOK_REEL_SCHEDULE_MAX_SECONDS if reel else L.FACEBOOK_SCHEDULE_MAX_SECONDS
        if not L.FACEBOOK_SCHEDULE_MIN_SECONDS <= ahead <= top:
            raise Rejected(_("facebook: a post can be scheduled on Facebook only 10 minutes to {value} days "
                             "ahead.", value='29' if reel else '30'), platform=self.platform)
        return {"scheduled_publish_time": int(item.schedule_at.timestamp())}

    # --- publish --------------------------------------------------------------------------
    def publish(self, item: Item, checkpoint=_noop_checkpoint, state: dict | None = None) -> Result:
        route = item.route or ("feed" if item.media is None else "photo" if item.media.kind == "image" else "video")
        if route == "feed":
            return self._feed(item, checkpoint)
        if route == "photo":
            return self._photo(item, checkpoint)
        if route == "reel":
            return self._reel(item, checkpoint, dict(state or {}))
        if route == "video":
            return self._video(item, checkpoint, dict(state or {}))
        raise Rejected(_("facebook: unknown route {route!r}.", route=route), platform=self.platform)

    def _feed(self, item: Item, checkpoint) -> Result:
        data: dict[str, Any] = {"message": item.text}
        if item.link:
            data["link"] = item.link
        sched = self._schedule_params(item)
        if sched:
            data.update(published="false", **sched)
        checkpoint({"route": "feed", "sent_at": self.clock().isoformat()})
        body = self._call("POST", f"{self.account_id}/feed", data=data, can_publish=True)
        post_id = body["id"]
        checkpoint({"route": "feed", "post_id": post_id})
        if sched:
            return Result(SCHEDULED, post_id, "", {"route": "feed", "post_id": post_id})
        return self._published(post_id, {"route": "feed", "post_id": post_id})

    def _photo(self, item: Item, checkpoint) -> Result:
        media = item.media
        if media.size > L.FACEBOOK_PHOTO_MAX_BYTES:
            raise Rejected(_("facebook: photos over 4 MB are refused (subcode 1366046)."), platform=self.platform)
        data: dict[str, Any] = {"caption": item.text}
        sched = self._schedule_params(item)
        if sched:
            data.update(published="false", **sched)
        body_stream = MultipartStream({k: str(v) for k, v in data.items()}, "source", media.path.name,
                                      FileSlice(str(media.path), 0, media.size), "image/jpeg")
        checkpoint({"route": "photo", "sent_at": self.clock().isoformat()})
        body = self._call("POST", f"{self.account_id}/photos", data=body_stream,
                          headers={"Content-Type": body_stream.content_type}, can_publish=True)
        post_id = body.get("post_id") or body["id"]
        st = {"route": "photo", "post_id": post_id, "photo_id": body.get("id")}
        checkpoint(st)
        if sched:
            return Result(SCHEDULED, post_id, "", st)
        return self._published(post_id, st)

    # Reels: start -> upload (rupload, resumable) -> finish -> status until published.
    def _reel(self, item: Item, checkpoint, state: dict) -> Result:
        media = item.media
        if state.get("finished"):  # finish was answered earlier: never finish twice
            return self._follow(state, state["video_id"])
        if state.get("finishing"):
            raise OutcomeUnknown(_("facebook: an earlier finish got no answer; it must be reconciled first."),
                                 platform=self.platform)
        if not state.get("video_id"):
            body = self._call("POST", f"{self.account_id}/video_reels", data={"upload_phase": "start"})
            state = {"route": "reel", "video_id": body["video_id"], "upload_url": body["upload_url"]}
            checkpoint(state)
        video_id = state["video_id"]
        offset = 0
        if state.get("uploading"):
            offset = self._reel_uploaded(video_id)
        state["uploading"] = True
        checkpoint(state)
        if offset < media.size:
            self._reel_upload(state["upload_url"], media, offset)
        sched = self._schedule_params(item, reel=True)
        data = {"video_id": video_id, "upload_phase": "finish", "description": item.text,
                "video_state": "SCHEDULED" if sched else "PUBLISHED", **sched}
        state.update(finishing=True)
        checkpoint(state)
        self._answered(lambda: self._call("POST", f"{self.account_id}/video_reels", data=data, can_publish=True),
                       state, "finishing", checkpoint)
        state.update(finished=True)
        checkpoint(state)
        return self._follow(state, video_id) if not sched else Result(SCHEDULED, video_id, "", state)

    def _reel_uploaded(self, video_id: str) -> int:
        body = self._call("GET", video_id, params={"fields": "status"})
        phase = (body.get("status") or {}).get("uploading_phase") or {}
        return int(phase.get("bytes_transfered") or phase.get("bytes_transferred") or 0)

    def _reel_upload(self, upload_url: str, media, offset: int) -> None:
        def progress(done: int) -> None:
            if self.progress:
                self.progress(offset + done, media.size)

        body = FileSlice(str(media.path), offset, media.size - offset, progress)
        headers = {"Authorization": f"OAuth {self.secret('access_token')}", "offset": str(offset),
                   "file_size": str(media.size), "Content-Type": "application/octet-stream"}
        resp = self.http.request("POST", upload_url, platform=self.platform, data=body, headers=headers)
        payload = json_body(resp)
        if resp.status_code >= 400 or "error" in payload or (payload and not payload.get("success", True)):
            self._raise(resp, payload if "error" in payload else {"error": {"message": str(payload)}})

    # Page videos: chunked /videos upload.
    def _video(self, item: Item, checkpoint, state: dict) -> Result:
        media = item.media
        path = f"{self.account_id}/videos"
        if state.get("finished"):
            return self._follow(state, state["video_id"])
        if state.get("finishing"):
            raise OutcomeUnknown(_("facebook: an earlier finish got no answer; it must be reconciled first."),
                                 platform=self.platform)
        if not state.get("upload_session_id"):
            body = self._call("POST", path, host=GRAPH_VIDEO, data={"upload_phase": "start", "file_size": media.size})
            state = {"route": "video", "video_id": body["video_id"], "upload_session_id": body["upload_session_id"],
                     "start_offset": int(body["start_offset"]), "end_offset": int(body["end_offset"])}
            checkpoint(state)
        start, end = int(state["start_offset"]), int(state["end_offset"])
        resends = 0
        while start < end:
            chunk = FileSlice(str(media.path), start, end - start)
            stream = MultipartStream({"upload_phase": "transfer", "upload_session_id": state["upload_session_id"],
                                      "start_offset": str(start)}, "video_file_chunk", media.path.name, chunk)
            body = self._call("POST", path, host=GRAPH_VIDEO, data=stream, resend_subcode=RESEND_FROM_OFFSET,
                              headers={"Content-Type": stream.content_type})
            if "error" in body:  # Facebook lost part of the upload: resend from where it says
                resends += 1
                if resends > MAX_RESENDS:
                    raise RetryLater(_("facebook: the video upload keeps losing chunks; will try again later."),
                                     platform=self.platform, code=RESEND_FROM_OFFSET)
                data = body["error"].get("error_data") or {}
                start, end = int(data.get("start_offset", start)), int(data.get("end_offset", end))
                continue
            start, end = int(body["start_offset"]), int(body["end_offset"])
            state.update(start_offset=start, end_offset=end)
            checkpoint(state)
            if self.progress:
                self.progress(min(start, media.size), media.size)
        sched = self._schedule_params(item)
        data = {"upload_phase": "finish", "upload_session_id": state["upload_session_id"],
                "title": item.title, "description": item.text}
        if sched:
            data.update(published="false", **sched)
        state.update(finishing=True)
        checkpoint(state)
        self._answered(lambda: self._call("POST", path, host=GRAPH_VIDEO, data=data, can_publish=True),
                       state, "finishing", checkpoint)
        state.update(finished=True)
        checkpoint(state)
        return self._follow(state, state["video_id"]) if not sched else Result(SCHEDULED, state["video_id"], "", state)

    # --- follow up ------------------------------------------------------------------------
    def check(self, state: dict[str, Any], item: Item | None = None, checkpoint=_noop_checkpoint) -> Result:
        route = state.get("route")
        if route in ("feed", "photo"):
            post_id = state["post_id"]
            body = self._call("GET", post_id, params={"fields": "is_published,permalink_url"})
            link = body.get("permalink_url", "")
            if body.get("is_published", True):
                return Result(PUBLISHED, post_id, link if not link.startswith("/") else "https://www.facebook.com" + link,
                              state)
            return Result(SCHEDULED, post_id, "", state)
        video_id = state["video_id"]
        body = self._call("GET", video_id, params={"fields": "status,permalink_url"})
        status = body.get("status") or {}
        video_status = status.get("video_status")
        publishing = (status.get("publishing_phase") or {})
        if video_status in ("error", "expired"):
            phase = status.get("processing_phase") or {}
            errors = phase.get("errors") or [{}]
            reason = errors[0].get("message") if errors and isinstance(errors[0], dict) else ""
            raise NotPublished(_("facebook: the video could not be processed ({video_status}{value}); it was not "
                                 "published.", video_status=video_status, value=': ' + reason if reason else ''), final=True,
                               platform_message=reason or video_status, platform=self.platform)
        published = publishing.get("status") == "complete" or publishing.get("publish_status") == "published"
        if video_status == "ready" and (published or route == "video"):
            link = body.get("permalink_url", "")
            if link.startswith("/"):
                link = "https://www.facebook.com" + link
            return Result(PUBLISHED, video_id, link, state)
        if publishing.get("publish_status") == "scheduled":
            return Result(SCHEDULED, video_id, "", state)
        return Result(PROCESSING, video_id, "", state, detail=str(video_status or "processing"))

    def find(self, item: Item, since: datetime, state: dict[str, Any], exclude: frozenset[str] = frozenset()) -> Finding:
        if state.get("video_id"):
            if not state.get("finishing"):
                return Finding.not_published(_("finish was never sent; an unfinished upload publishes nothing"))
            try:
                return Finding.found(self.check(state))  # a failed read propagates: cannot tell
            except NotPublished as exc:
                return Finding.not_published(str(exc), refused=exc.final)
        if state.get("post_id"):
            return Finding.found(self.check(state))
        since_ts = int((since - SEARCH_BACK).timestamp())
        wanted = " ".join(item.text.split())
        for edge in ("published_posts", "scheduled_posts"):
            for post in self._pages(f"{self.account_id}/{edge}",
                                    {"fields": "id,message,created_time,permalink_url", "since": since_ts, "limit": 100}):
                if post["id"] in exclude:
                    continue
                if " ".join((post.get("message") or "").split()) == wanted:
                    status = PUBLISHED if edge == "published_posts" else SCHEDULED
                    st = {"route": state.get("route", "feed"), "post_id": post["id"]}
                    return Finding.found(Result(status, post["id"], post.get("permalink_url", ""), st))
        left = window_left(state.get("sent_at"), self.processing_window, self.clock(), since)
        if left:  # the listing may not show a post made seconds ago yet
            return Finding.cannot_tell(_("not in the Page's listings yet (for up to {left:.0f} s more)", left=left))
        return Finding.not_published(_("not in the Page's published or scheduled posts"))

    # --- go-live check ---------------------------------------------------------------------
    def golive(self):
        from datetime import date

        from .base import Check

        checks = []
        try:
            body = self._call("GET", "me/permissions")
            granted = {p.get("permission") for p in body.get("data") or [] if p.get("status") == "granted"}
            missing = [p for p in NEEDED_PERMISSIONS if p not in granted]
            checks.append(Check("permissions", not missing,
                                _("granted: {names}", names=", ".join(p for p in NEEDED_PERMISSIONS if p in granted)
                                  or "-") if not missing else _("missing: {names}", names=", ".join(missing)),
                                _("Connect the Page again (`loa channel connect facebook --replace`) and allow every "
                                  "permission asked."),
                                _("Press “Reconnect” beside the channel and allow every permission asked.")))
        except (Rejected, RetryLater, CredentialsDead) as exc:
            checks.append(Check.unreadable("permissions", exc))
        ends = L.FACEBOOK_GRAPH_VERSION_ENDS.get(VERSION)
        if ends is None:
            checks.append(Check("graph_version", True, _("Graph API {version}: no end date announced yet",
                                                         version=VERSION)))
        else:
            left = (date.fromisoformat(ends) - self.clock().date()).days
            checks.append(Check("graph_version", left > VERSION_WARNING_DAYS,
                                _("Graph API {version} ends on {date} ({days} days left)", version=VERSION,
                                  date=ends, days=left),
                                _("Update loa before then: a newer loa speaks a newer Graph API version.")))
        return checks

    # --- numbers (insights) ----------------------------------------------------------------
    def numbers(self, remote_id: str, state: dict[str, Any]):
        """A published post's numbers: reactions, comments and shares from the post object; views
        and reach from its insights; plays, reach and average watch time of a Page video or a Reel
        from ``video_insights``. A failed read is said per metric, never raised, except a rate limit
        (429, or Facebook's "busy" with its wait), which stops the whole reading for that long."""
        from .insights import Numbers

        n = Numbers()
        route = state.get("route", "feed")
        post_id = state.get("post_id") or remote_id
        if route in ("reel", "video"):
            table = REEL_INSIGHTS if route == "reel" else VIDEO_INSIGHTS
            self._insights(n, f"{state.get('video_id') or remote_id}/video_insights", table)
            if n.value("plays") is not None:  # a video's views are its plays (Facebook counts them so)
                n.give("views", n.value("plays"), n.readings["plays"].source)
            else:
                n.lack("views", n.readings["plays"].reason, n.readings["plays"].source)
        else:
            self._insights(n, f"{post_id}/insights", POST_INSIGHTS)
        if route in ("reel", "video") and not state.get("post_id"):
            # a Video node has no shares field (asking for it loses reactions and comments too):
            # the counts are read on the video's own post
            post_id = self._video_post(state.get("video_id") or remote_id)
            if post_id is None:
                for m in ("reactions", "comments", "shares"):
                    n.lack(m, "not_read")
                return n.complete()
        self._counts(n, post_id)
        return n.complete()

    def _video_post(self, video_id: str) -> str | None:
        """The Page post a published video went out as (the Video node's ``post_id``)."""
        try:
            body = self._call("GET", video_id, params={"fields": "post_id"})
        except (Rejected, RetryLater, CredentialsDead) as exc:
            if isinstance(exc, RetryLater) and exc.limited:
                raise
            return None
        return str(body["post_id"]) if body.get("post_id") else None

    def _why(self, exc: Exception) -> str:
        code = getattr(exc, "code", None)
        code = int(str(code).split(",")[0]) if str(code or "").split(",")[0].isdigit() else None
        if isinstance(exc, CredentialsDead) or code in PERMISSION_CODES:
            return "permission"
        if code == 100:
            return "retired"
        if getattr(exc, "status", None) == 404:
            return "not_found"
        return "not_read"

    def _insights(self, n, edge: str, table: dict[str, tuple[str, ...]]) -> None:
        for metric, names in table.items():
            for name in names:
                try:
                    body = self._call("GET", edge, params={"metric": name})
                except (Rejected, RetryLater, CredentialsDead) as exc:
                    if isinstance(exc, RetryLater) and exc.limited:
                        raise  # a rate limit: the whole reading waits (scheduler.insights)
                    why = self._why(exc)
                    n.lack(metric, why, name)
                    if why == "retired":
                        continue  # this name is gone: the next one (the older name) may still answer
                    break
                values = [(v.get("values") or [{}])[-1].get("value") for v in body.get("data") or []
                          if v.get("name") == name] or [None]
                value = values[0]
                if isinstance(value, dict):  # e.g. reactions by type
                    value = sum(x for x in value.values() if isinstance(x, (int, float)))
                from .insights import number

                if number(value) is None:
                    n.lack(metric, "small_page", name)  # Facebook gives none (yet) for this Page
                else:
                    n.give(metric, number(value) / 1000 if name in MILLISECONDS else number(value), name)
                break

    def _counts(self, n, post_id: str) -> None:
        from .insights import number

        fields = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
        try:
            body = self._call("GET", post_id, params={"fields": fields})
        except (Rejected, RetryLater, CredentialsDead) as exc:
            if isinstance(exc, RetryLater) and exc.limited:
                raise  # a rate limit: the whole reading waits (scheduler.insights)
            for m in ("reactions", "comments", "shares"):
                n.lack(m, self._why(exc))
            return
        for metric, value in (("reactions", ((body.get("reactions") or {}).get("summary") or {}).get("total_count")),
                              ("comments", ((body.get("comments") or {}).get("summary") or {}).get("total_count")),
                              ("shares", (body.get("shares") or {}).get("count"))):
            if number(value) is None:
                n.lack(metric, "field_missing", metric)
            else:
                n.give(metric, number(value), metric)

    def _pages(self, path: str, params: dict, max_pages: int = 50):
        """Every item of a Graph API list, following ``paging.next`` (a busy Page has more posts in
        a day than one page of results holds)."""
        body = self._call("GET", path, params=params)
        for _page in range(max_pages):
            yield from body.get("data", [])
            nxt = (body.get("paging") or {}).get("next")
            if not nxt:
                return
            body = self._call("GET", "", url=nxt)  # the next URL carries every parameter itself

    def refresh(self) -> dict[str, Any]:
        user_token = self.secret("user_token")
        if not user_token:
            raise CredentialsDead(_("facebook: Page tokens cannot be refreshed; connect the Page again (`loa "
                                    "channel connect facebook`)."), platform=self.platform)
        resp = self.http.request("GET", f"{GRAPH}/{VERSION}/me/accounts", platform=self.platform,
                                 params={"fields": "id,name,access_token", "access_token": user_token,
                                         "limit": 100})
        body = json_body(resp)
        if "error" in body or resp.status_code >= 400:
            err = body.get("error") or {}
            if err.get("code") in TOKEN_CODES:
                raise CredentialsDead(_("facebook: the user token has expired or was revoked; connect the Page "
                                        "again (`loa channel connect facebook`)."), platform=self.platform,
                                      code=err.get("code"))
            self._raise(resp, body)
        for page in body.get("data", []):
            if str(page.get("id")) == self.account_id:
                new = {"access_token": page["access_token"]}
                self._store_credentials(new)
                return new
        raise CredentialsDead(_("facebook: the user no longer manages Page {account_id}.", account_id=self.account_id),
                              platform=self.platform)
