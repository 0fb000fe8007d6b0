"""TikTok through the Content Posting API (direct post, or the creator's inbox).

Docs: https://developers.tiktok.com/doc/content-posting-api-reference-direct-post ,
https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide ,
https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status ,
https://developers.tiktok.com/doc/oauth-user-access-token-management .

The posting screen follows TikTok's Content Sharing Guidelines ("Required UX Implementation",
https://developers.tiktok.com/doc/content-sharing-guidelines , as quoted in inovector/mixpost#74):
the person chooses each post's privacy from ``creator_info``'s options with no default, turns on
comment/duet/stitch (off by default, unavailable where the creator turned them off), says whether
the video is commercial content, and agrees to the Music Usage Confirmation; those choices travel
with the post (:class:`Choice`, ``Item.choices``), never as a channel's default.

Steps: ``creator_info`` before every post (the chosen privacy must be one offered);
``FILE_UPLOAD`` init (persist ``publish_id`` before the first byte goes up); chunk PUTs with
``Content-Range`` streamed from disk; then the status until ``PUBLISH_COMPLETE``. Nothing is
published before the last chunk arrives, so a failure before it is always safe to redo.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import limits as L
from .base import IN_INBOX, PROCESSING, PUBLISHED, Connector, Finding, Item, Result, TokenExpired, _noop_checkpoint
from .errors import CredentialsDead, NotPublished, OutcomeUnknown, Rejected, RetryLater
from .http import FileSlice, json_body, retry_after
from .text import _

API = "https://open.tiktokapis.com"
DEFAULT_CHUNK = 10 * L.MB  # small enough to redo cheaply on a slow line

NEVER_RETRY_FAILS = ("spam_risk", "file_format_check_failed", "duration_check_failed",
                     "frame_rate_check_failed", "picture_size_check_failed")
UNAUDITED = "unaudited_client_can_only_post_to_private_accounts"
REFRESH_DEAD = ("invalid_grant", "invalid_client", "access_denied", "invalid_request", "unauthorized_client")
EXPLAIN = {
    UNAUDITED: _("TikTok has not yet audited this app, so it may post only to a private account, and "
                 "only as SELF_ONLY (only me). Choose SELF_ONLY for the post, or send videos to the TikTok inbox "
                 "instead (`loa channel set NAME --mode inbox`) and post them from the app, or ask TikTok to "
                 "audit the app."),
    "spam_risk_too_many_posts": _("TikTok's daily post limit for this account is reached; post tomorrow."),
    "spam_risk_user_banned_from_posting": _("TikTok has banned this account from posting."),
    "reached_active_user_cap": _("the app has reached TikTok's daily cap of active users; try tomorrow."),
    "privacy_level_option_mismatch": _("the post's privacy level is not one this account offers."),
    "scope_not_authorized": _("the account did not grant video.publish/video.upload; connect it again."),
}


# --- the person's choices for one post --------------------------------------------------------
INTERACTIONS = ("comment", "duet", "stitch")
DISCLOSURES = ("own", "partner")  # promotes the creator's own brand / a third party's (paid partnership)
YES = ("yes", "y", "x", "1", "true", "có", "co", "đồng ý", "dong y")
# TikTok's own sentence, shown before the button (the guideline asks for it word for word); the
# workspace and the CLI also say it in Vietnamese.
MUSIC_CONFIRMATION = _("By posting, you agree to TikTok's Music Usage Confirmation.")
MUSIC_CONFIRMATION_URL = "https://www.tiktok.com/legal/page/global/music-usage-confirmation/en"


PRIVACY_LABELS = {"PUBLIC_TO_EVERYONE": _("Everyone"), "MUTUAL_FOLLOW_FRIENDS": _("Friends (who follow each other)"),
                  "FOLLOWER_OF_CREATOR": _("Followers"), "SELF_ONLY": _("Only me")}


def privacy_label(level: str) -> str:
    """A privacy level as TikTok's own app names it to the person."""
    return PRIVACY_LABELS.get(level, level or "-")


@dataclass(frozen=True)
class Choice:
    """What the person chose for one TikTok post, stored with the post as text fields
    (``privacy``, ``allow``: comment,duet,stitch; ``disclose``: own,partner; ``music``: yes)."""

    privacy: str = ""
    allow: frozenset[str] = frozenset()
    disclose: frozenset[str] = frozenset()
    music: bool = False

    @classmethod
    def of(cls, fields: dict[str, str] | None) -> "Choice":
        f = fields or {}

        def words(key: str) -> frozenset[str]:
            return frozenset(w.strip().lower() for w in str(f.get(key) or "").replace(";", ",").split(",") if w.strip())

        return cls(privacy=str(f.get("privacy") or "").strip().upper(), allow=words("allow"),
                   disclose=words("disclose"), music=str(f.get("music") or "").strip().lower() in YES)

    def fields(self) -> dict[str, str]:
        """The stored form (empty values left out)."""
        def listed(words: frozenset[str], order: tuple[str, ...]) -> str:
            return ",".join([w for w in order if w in words] + sorted(words - set(order)))

        out = {"privacy": self.privacy, "allow": listed(self.allow, INTERACTIONS),
               "disclose": listed(self.disclose, DISCLOSURES), "music": "yes" if self.music else ""}
        return {k: v for k, v in out.items() if v}


def choice_problems(choice: Choice, info: dict[str, Any] | None = None,
                    duration: float | None = None) -> list[tuple[str, str]]:
    """Every reason this post cannot go to TikTok as chosen, as ``(code, what is wrong)``; with
    the account's ``creator_info`` when it could be read, the account's own limits too. The one
    rule for the composer, ``loa post add``, the day-ahead preflight and the publish itself."""
    out: list[tuple[str, str]] = []
    offered = list((info or {}).get("privacy_level_options") or []) if info else None
    if not choice.privacy:
        out.append(("privacy_missing", _("nobody has chosen who may see this video; TikTok lets no app choose it "
                                         "for the person.")))
    elif choice.privacy not in L.TIKTOK_PRIVACY_LEVELS:
        out.append(("privacy_unknown", _("{value!r} is not a TikTok privacy level.", value=choice.privacy)))
    elif offered is not None and choice.privacy not in offered:
        out.append((UNAUDITED if offered == ["SELF_ONLY"] else "privacy_level_option_mismatch",
                    _("the account does not offer {wanted} (it offers {value}).", wanted=choice.privacy,
                      value=", ".join(offered) or "-")))
    unknown = sorted(choice.allow - set(INTERACTIONS))
    if unknown:
        out.append(("interaction_unknown", _("{value} is not an interaction TikTok has (comment, duet, stitch).",
                                             value=", ".join(unknown))))
    if info:
        off = sorted(i for i in choice.allow & set(INTERACTIONS) if info.get(f"{i}_disabled"))
        if off:
            out.append(("interaction_off", _("the creator has turned off {value} in the TikTok app, so it cannot be "
                                             "allowed here.", value=", ".join(off))))
    unknown = sorted(choice.disclose - set(DISCLOSURES))
    if unknown:
        out.append(("disclose_unknown", _("{value} is not a disclosure TikTok has (own, partner).",
                                          value=", ".join(unknown))))
    if "partner" in choice.disclose and choice.privacy == "SELF_ONLY":
        out.append(("branded_private", _("branded content (a paid partnership) cannot be private (SELF_ONLY).")))
    if not choice.music:
        out.append(("music_missing", _("the Music Usage Confirmation has not been agreed to.")))
    limit = (info or {}).get("max_video_post_duration_sec")
    if limit and duration and duration > float(limit):
        out.append(("duration_check_failed", _("the video lasts {duration:.0f} s; this account may post at most "
                                               "{limit} s.", duration=duration, limit=limit)))
    return out


@dataclass(frozen=True)
class ChunkPlan:
    video_size: int
    chunk_size: int
    total_chunk_count: int

    def ranges(self) -> list[tuple[int, int]]:
        """``[(first, last_inclusive), ...]``: the last chunk takes the remainder."""
        out = []
        for i in range(self.total_chunk_count):
            first = i * self.chunk_size
            last = self.video_size - 1 if i == self.total_chunk_count - 1 else first + self.chunk_size - 1
            out.append((first, last))
        return out


def chunk_plan(video_size: int, preferred: int = DEFAULT_CHUNK) -> ChunkPlan:
    """TikTok's chunk rules: 5-64 MB chunks, the last takes the remainder (up to 128 MB),
    ``total_chunk_count = floor(size / chunk_size)``, files under 5 MB whole, 1-1000 chunks."""
    if video_size <= 0:
        raise Rejected(_("tiktok: the video is empty."), platform=L.TIKTOK)
    if video_size > L.TIKTOK_VIDEO.max_bytes:
        raise Rejected(_("tiktok: the video is over TikTok's 4 GB limit."), platform=L.TIKTOK)
    if video_size < L.TIKTOK_CHUNK_MIN:
        return ChunkPlan(video_size, video_size, 1)
    chunk = max(L.TIKTOK_CHUNK_MIN, min(preferred, L.TIKTOK_CHUNK_MAX, video_size))
    if video_size // chunk > L.TIKTOK_MAX_CHUNKS:
        chunk = -(-video_size // L.TIKTOK_MAX_CHUNKS)
    count = max(1, video_size // chunk)
    last = video_size - (count - 1) * chunk
    if last > L.TIKTOK_LAST_CHUNK_MAX:  # only when one chunk would hold it all: split
        chunk = L.TIKTOK_CHUNK_MAX
        count = video_size // chunk
    return ChunkPlan(video_size, chunk, count)


class TikTokConnector(Connector):
    platform = L.TIKTOK
    label = "TikTok"
    required = ("client_key", "client_secret", "open_id", "access_token", "refresh_token")
    extra = ("scope",)  # what the person granted, as the last token answer said it (comma separated)
    account_key = "open_id"
    app_keys = ("client_key", "client_secret")
    settings_keys = frozenset({"mode"})  # the privacy and the interactions are chosen per post (Choice)
    setting_choices = {"mode": ("direct", "inbox")}
    default_settings = {"mode": "direct"}
    choice_fields = ("privacy", "allow", "disclose", "music")

    @classmethod
    def stored_choices(cls, fields: dict[str, str]) -> dict[str, str]:
        return Choice.of(fields).fields()
    videos_only = True
    routes = ("video",)
    uploads_per_minute = L.TIKTOK_INITS_PER_MINUTE
    chunk_size = DEFAULT_CHUNK

    @property
    def account_id(self) -> str:
        return str(self.credentials.get("open_id", ""))

    # --- mechanics ------------------------------------------------------------------------
    def _call(self, path: str, payload: dict | None = None, *, can_publish: bool = False) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            resp = self.http.request("POST", f"{API}{path}", platform=self.platform, can_publish=can_publish,
                                     json=payload or {}, headers={
                                         "Authorization": f"Bearer {self.secret('access_token')}",
                                         "Content-Type": "application/json; charset=UTF-8"})
            body = json_body(resp)
            err = body.get("error") or {}
            if resp.status_code < 400 and err.get("code", "ok") == "ok":
                return body.get("data") or {}
            self._raise(resp, err)

        return self._with_refresh(once)

    def _raise(self, resp, err: dict) -> None:
        code = err.get("code") or f"http_{resp.status_code}"
        msg = err.get("message") or ""
        explained = EXPLAIN.get(code) or next((v for k, v in EXPLAIN.items() if code.startswith(k)), "")
        kw = {"platform": self.platform, "code": code, "status": resp.status_code, "platform_message": msg or code}
        if code == "access_token_invalid":
            raise TokenExpired(_("tiktok: the account's access token has expired."), **kw)
        if code == "scope_not_authorized":
            raise CredentialsDead("tiktok: " + explained, **kw)
        if code == "rate_limit_exceeded" or resp.status_code == 429 or resp.status_code >= 500:
            raise RetryLater(_("tiktok: TikTok is busy or limiting calls for now; loa will try again."),
                             retry_after=retry_after(resp) or (60.0 if resp.status_code == 429 else None), **kw)
        raise Rejected("tiktok: " + explained if explained else
                       _("tiktok: TikTok refused the post. Correct it as TikTok's message says, then send it again "
                         "(`loa retry`)."), **kw)

    # --- go-live check ---------------------------------------------------------------------
    def golive(self):
        from .base import Check

        try:
            info = self.creator_info()
        except (Rejected, RetryLater, CredentialsDead) as exc:
            return [Check.unreadable("creator", exc)]
        offered = list(info.get("privacy_level_options") or [])
        nickname = info.get("creator_nickname") or info.get("creator_username") or "?"
        checks = [Check("creator", True, _("posts as {nickname}", nickname=nickname))]
        if offered == ["SELF_ONLY"] and self.settings.get("mode") == "inbox":
            checks.append(Check("audited", True, _("TikTok has not audited the app; videos go to the TikTok inbox, where "
                                                   "the person posts each one and chooses who sees it")))
        elif offered == ["SELF_ONLY"]:
            checks.append(Check("audited", False, _("TikTok has not audited the app: a direct post can only be "
                                                    "private (SELF_ONLY)"),
                                _("Until TikTok audits the app, send videos to the TikTok inbox instead "
                                  "(`loa channel set NAME --mode inbox`): the person posts the draft in the app and "
                                  "chooses who sees it there."),
                                _("Until TikTok audits the app, choose “Send to the TikTok inbox” under “How videos go "
                                  "to TikTok” beside the channel: the person posts the draft in the app and chooses who "
                                  "sees it there.")))
        else:
            checks.append(Check("audited", bool(offered), _("privacy levels offered: {value}",
                                                            value=", ".join(offered) or "-")))
        off = [i for i in INTERACTIONS if info.get(f"{i}_disabled")]
        if off:
            checks.append(Check("interactions", True, _("turned off by the creator in the TikTok app: {value}",
                                                        value=", ".join(off))))
        if info.get("max_video_post_duration_sec"):
            checks.append(Check("duration", True, _("videos of at most {limit} s",
                                                    limit=info["max_video_post_duration_sec"])))
        return checks + [self._scopes_check()]

    @classmethod
    def live_warnings(cls, settings, unmet, choices, facts, duration):
        direct = settings.get("mode", "direct") != "inbox"
        # unaudited is said per post by its own choices (a private post goes out unaudited)
        out = [("channel", found) for key, found in unmet if not (key == "audited" and direct)]
        if direct and facts and not facts.get("unreadable"):
            out += [("post", said) for code, said in choice_problems(Choice.of(choices), facts, duration)
                    if code != "interaction_off"]  # sent off at publish: the creator's own setting wins
        return out

    def _scopes_check(self):
        """The scopes the person granted, as the last token answer gave them (no call reads them
        otherwise): video.publish to post, video.upload for the inbox, video.list for the numbers."""
        from .base import Check

        stored = self.credentials.get("scope")
        if not stored:
            return Check("scopes", None, _("the permissions granted were not recorded when the account was connected"),
                         _("Connect the account again (`loa channel connect tiktok --replace`) so that loa knows what "
                           "it may do."), _("Press “Reconnect” beside the channel so that loa knows what it may do."))
        granted = [s.strip() for s in str(stored).split(",") if s.strip()]
        missing = [s for s in L.TIKTOK_SCOPES_NEEDED if s not in granted]
        if not missing:
            return Check("scopes", True, _("permissions granted: {value}", value=", ".join(granted)))
        return Check("scopes", False, _("permissions not granted: {value}", value=", ".join(missing)),
                     _("Connect the account again (`loa channel connect tiktok --replace`) and tick every permission "
                       "on TikTok's screen."),
                     _("Press “Reconnect” beside the channel and tick every permission on TikTok's screen."))

    # --- publish --------------------------------------------------------------------------
    def creator_info(self) -> dict[str, Any]:
        return self._call("/v2/post/publish/creator_info/query/")

    def posting_facts(self) -> dict[str, Any]:
        """creator_info as the posting screen shows it: the nickname, the privacy levels offered
        (only SELF_ONLY: the app is not audited), the interactions turned off, the longest video."""
        info = self.creator_info()
        return {"nickname": info.get("creator_nickname") or info.get("creator_username") or "",
                "username": info.get("creator_username") or "",
                "privacy_level_options": list(info.get("privacy_level_options") or []),
                **{f"{i}_disabled": bool(info.get(f"{i}_disabled")) for i in INTERACTIONS},
                "max_video_post_duration_sec": info.get("max_video_post_duration_sec"),
                "audited": list(info.get("privacy_level_options") or []) != ["SELF_ONLY"]}

    def _post_info(self, item: Item, info: dict[str, Any]) -> dict[str, Any]:
        """``post_info`` as the person chose it (``item.choices``), checked against the account's
        ``creator_info`` read just now: nothing is chosen for them."""
        choice = Choice.of(item.choices)
        # An interaction the creator has turned off since the post was queued is sent off (their
        # own setting wins, as TikTok's would), not a reason to miss the post's time.
        problems = [p for p in choice_problems(choice, info, item.media.duration if item.media else None)
                    if p[0] != "interaction_off"]
        if problems:
            code, said = problems[0]
            if code == UNAUDITED:
                said = EXPLAIN[UNAUDITED]
            raise Rejected("tiktok: " + said + " " + _("Change the post's TikTok choices, then send it again "
                                                        "(`loa retry`)."),
                           platform=self.platform, code=code,
                           platform_message=f"privacy_level_options: {info.get('privacy_level_options')}")
        if L.utf16_units(item.text) > L.TIKTOK_CAPTION_MAX_UTF16:
            raise Rejected(_("tiktok: the caption is over 2,200 UTF-16 units."), platform=self.platform)
        return {
            "title": item.text,
            "privacy_level": choice.privacy,
            # off unless the person turned it on; the creator's own "off" in the app always wins
            "disable_comment": "comment" not in choice.allow or bool(info.get("comment_disabled")),
            "disable_duet": "duet" not in choice.allow or bool(info.get("duet_disabled")),
            "disable_stitch": "stitch" not in choice.allow or bool(info.get("stitch_disabled")),
            "video_cover_timestamp_ms": 1000,
            "brand_content_toggle": "partner" in choice.disclose,
            "brand_organic_toggle": "own" in choice.disclose,
        }

    def publish(self, item: Item, checkpoint=_noop_checkpoint, state: dict | None = None) -> Result:
        state = dict(state or {})
        if state.get("publish_id") and state.get("final_sent"):
            return self._follow(state, state["publish_id"])
        if state.get("publish_id") and state.get("final_sending"):
            raise OutcomeUnknown(_("tiktok: the last chunk got no answer; it must be reconciled first."),
                                 platform=self.platform)
        if item.media is None or item.media.kind != "video":
            raise Rejected(_("tiktok: TikTok publishes videos only."), platform=self.platform)
        inbox = self.settings.get("mode") == "inbox"
        info = self.creator_info()
        plan = chunk_plan(item.media.size, self.chunk_size)
        source = {"source": "FILE_UPLOAD", "video_size": plan.video_size, "chunk_size": plan.chunk_size,
                  "total_chunk_count": plan.total_chunk_count}
        if inbox:
            data = self._call("/v2/post/publish/inbox/video/init/", {"source_info": source})
        else:
            data = self._call("/v2/post/publish/video/init/",
                              {"post_info": self._post_info(item, info), "source_info": source})
        # A fresh init (an earlier unfinished upload published nothing): its id is kept first.
        state = {"publish_id": data["publish_id"], "upload_url": data["upload_url"], "mode": "inbox" if inbox else "direct",
                 "creator_username": info.get("creator_username", ""), "chunks_sent": 0}
        checkpoint(state)
        self._upload(item, plan, state, checkpoint)
        return self._follow(state, state["publish_id"])

    def _upload(self, item: Item, plan: ChunkPlan, state: dict, checkpoint) -> None:
        media = item.media
        ranges = plan.ranges()
        for index, (first, last) in enumerate(ranges):
            final = index == len(ranges) - 1
            if final:
                state["final_sending"] = True
                checkpoint(state)
            def progress(done: int, base: int = first) -> None:
                if self.progress:
                    self.progress(base + done, media.size)

            body = FileSlice(str(media.path), first, last - first + 1, progress)
            resp = self.http.request("PUT", state["upload_url"], platform=self.platform, can_publish=final, data=body,
                                     headers={"Content-Type": media.content_type,
                                              "Content-Length": str(last - first + 1),
                                              "Content-Range": f"bytes {first}-{last}/{media.size}"})
            if resp.status_code >= 400 and final:
                # TikTok answered: it did not take the last chunk, so nothing is being published.
                state["final_sending"] = False
                checkpoint(state)
            if resp.status_code == 403:
                raise RetryLater(_("tiktok: the upload address expired (it lives one hour); the upload starts "
                                   "again."),
                                 platform=self.platform, status=403)
            if resp.status_code == 416:
                raise RetryLater(_("tiktok: TikTok's upload progress does not match ours; the upload starts again."),
                                 platform=self.platform, status=416)
            if resp.status_code >= 400:
                self._raise(resp, (json_body(resp).get("error") or {}))
            if resp.status_code == 201 or final:
                state.update(final_sent=True, chunks_sent=index + 1)
                checkpoint(state)
                return
            state["chunks_sent"] = index + 1
            checkpoint(state)

    # --- follow up ------------------------------------------------------------------------
    def check(self, state: dict[str, Any], item: Item | None = None, checkpoint=_noop_checkpoint) -> Result:
        data = self._call("/v2/post/publish/status/fetch/", {"publish_id": state["publish_id"]})
        status = data.get("status", "")
        publish_id = state["publish_id"]
        if status == "PUBLISH_COMPLETE":
            ids = data.get("publicaly_available_post_id") or data.get("publicly_available_post_id") or []
            user = state.get("creator_username", "")
            if ids:
                post_id = str(ids[0])
                url = f"https://www.tiktok.com/@{user}/video/{post_id}" if user else ""
                return Result(PUBLISHED, post_id, url, {**state, "post_id": post_id})
            # Published but not public (SELF_ONLY or still in moderation): no public link.
            return Result(PUBLISHED, publish_id, f"https://www.tiktok.com/@{user}" if user else "", state,
                          detail=_("published; TikTok shows no public link for it (private or in review)"))
        if status == "SEND_TO_USER_INBOX":
            # A draft: nothing is public until the person posts it in the app (then the status
            # says PUBLISH_COMPLETE, as above: UNVERIFIED, see sandbox/rules.py). Never "published".
            return Result(IN_INBOX, publish_id, "", state,
                          detail=_("sent to the TikTok inbox, waiting for you to post it in the app"))
        if status == "FAILED":  # TikTok's own word: this publish_id did not go out
            reason = data.get("fail_reason", "unknown")
            if any(reason.startswith(p) for p in NEVER_RETRY_FAILS):
                raise NotPublished(_("tiktok: TikTok refused the video ({reason}).", reason=reason), final=True,
                                   platform_message=reason, platform=self.platform, code=reason)
            raise NotPublished(_("tiktok: publishing failed on TikTok's side ({reason}); nothing was published.", reason=reason),
                               platform=self.platform, code=reason)
        return Result(PROCESSING, publish_id, "", state, detail=status or "processing")

    def find(self, item: Item, since: datetime, state: dict[str, Any], exclude: frozenset[str] = frozenset()) -> Finding:
        if not state.get("publish_id") or not state.get("final_sending"):
            return Finding.not_published(_("the last chunk was never sent; TikTok publishes nothing before it"))
        try:
            # Only TikTok's own FAILED status means "not published"; a 429, a 5xx or a lost
            # answer on this read propagates and is taken as "cannot tell".
            return Finding.found(self.check(state))
        except NotPublished as exc:
            return Finding.not_published(str(exc), refused=exc.final)

    # --- numbers (insights) ----------------------------------------------------------------
    def _public_id(self, state: dict[str, Any], n) -> str:
        """The video's public id, if moderation has given it since it was published (asked of the
        publish status again); learnt on ``n`` so the delivery keeps it and its public link."""
        try:
            data = self._call("/v2/post/publish/status/fetch/", {"publish_id": state["publish_id"]})
        except (CredentialsDead, Rejected, RetryLater) as exc:
            if isinstance(exc, RetryLater) and exc.limited:
                raise
            return ""
        ids = data.get("publicaly_available_post_id") or data.get("publicly_available_post_id") or []
        if not ids:
            return ""
        post_id, user = str(ids[0]), state.get("creator_username", "")
        n.learned = {"post_id": post_id, "url": f"https://www.tiktok.com/@{user}/video/{post_id}" if user else ""}
        return post_id

    VIDEO_FIELDS = {"views": "view_count", "reactions": "like_count", "comments": "comment_count",
                    "shares": "share_count"}

    def numbers(self, remote_id: str, state: dict[str, Any]):
        """A published video's counts from ``/v2/video/query/`` (scope ``video.list``), by the post
        id TikTok gives after moderation; until then they are "in review"."""
        from .insights import Numbers, number

        n = Numbers()
        post_id = state.get("post_id") or ""
        if (not post_id or post_id == state.get("publish_id")) and state.get("publish_id"):
            post_id = self._public_id(state, n)
        if not post_id:
            for m in self.VIDEO_FIELDS:
                n.lack(m, "in_review")
            return n.complete()
        try:
            data = self._call("/v2/video/query/?fields=id," + ",".join(self.VIDEO_FIELDS.values()),
                              {"filters": {"video_ids": [post_id]}})
        except (CredentialsDead, Rejected, RetryLater) as exc:
            if isinstance(exc, RetryLater) and exc.limited:
                raise  # a rate limit: the whole reading waits (scheduler.insights)
            code = str(getattr(exc, "code", "") or "")
            why = "permission" if code == "scope_not_authorized" or isinstance(exc, CredentialsDead) else "not_read"
            for m in self.VIDEO_FIELDS:
                n.lack(m, why)
            return n.complete()
        video = next((v for v in data.get("videos") or [] if str(v.get("id")) == post_id), None)
        for metric, name in self.VIDEO_FIELDS.items():
            value = number((video or {}).get(name))
            if video is None:
                n.lack(metric, "not_found", name)
            elif value is None:
                n.lack(metric, "field_missing", name)
            else:
                n.give(metric, value, name)
        return n.complete()

    def refresh(self) -> dict[str, Any]:
        resp = self.http.request("POST", f"{API}/v2/oauth/token/", platform=self.platform, data={
            "client_key": self.secret("client_key"), "client_secret": self.secret("client_secret"),
            "grant_type": "refresh_token", "refresh_token": self.secret("refresh_token")},
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        body = json_body(resp)
        error = body.get("error")
        if isinstance(error, dict):  # the API's own error shape (rate limits, outages)
            error = error.get("code")
        if not body.get("access_token") and (resp.status_code >= 500 or resp.status_code == 429
                                             or error not in REFRESH_DEAD):
            raise RetryLater(_("tiktok: token refresh failed for now ({value}).", value=error or resp.status_code),
                             retry_after=retry_after(resp), platform=self.platform, status=resp.status_code)
        if not body.get("access_token"):
            reason = body.get("error_description") or error or f"HTTP {resp.status_code}"
            raise CredentialsDead(_("tiktok: the refresh token was refused ({reason}); connect the account again "
                                    "(`loa channel connect tiktok`).", reason=reason), platform=self.platform, code=body.get("error"))
        new = {"access_token": body["access_token"], "refresh_token": body.get("refresh_token") or self.secret("refresh_token"),
               "expires_at": self.expires_at(body.get("expires_in"))}
        if body.get("scope"):  # each answer says again what the person granted
            new["scope"] = body["scope"]
        if body.get("refresh_expires_in"):
            new["refresh_expires_at"] = self.expires_at(body["refresh_expires_in"])
        self._store_credentials(new)
        return new
