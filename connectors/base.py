"""The one interface every platform connector implements.

A connector takes plain values (what to publish, the channel's credentials and settings) and
returns what happened; it imports nothing else of loa's. The contract:

- :meth:`Connector.publish` returns a :class:`Result` that is ``published`` (with the remote id
  and public link), ``processing`` (the platform is still encoding: call :meth:`check` later
  with ``result.state``) or ``scheduled`` (the platform holds it until its time). It raises one
  of :mod:`connectors.errors`. Before every call that can publish, and the moment the platform
  hands back anything that identifies the post (an upload session, a publish id, a token), it
  calls ``checkpoint(state)``: the caller must commit that state before returning.
- :meth:`check` follows a processing or scheduled item to the end.
- :meth:`find` answers "did this go out?" after :class:`OutcomeUnknown` with a :class:`Finding`,
  one of three answers, never two: :attr:`Answer.FOUND` (the platform has it: published,
  processing or scheduled, with its Result), :attr:`Answer.NOT_PUBLISHED` (the platform said so
  in a way no transient error can: nothing was sent, or the platform reports its own failure, or
  its listing still lacks the post after the platform's processing window) or
  :attr:`Answer.CANNOT_TELL` (ask again later). A read that fails (RetryLater, OutcomeUnknown,
  Rejected on a status call) is never "not published": the caller treats it as cannot tell.
- :meth:`refresh` obtains new credentials and hands them to ``on_credentials`` *before* using
  them (Zalo's refresh tokens are single-use: the new pair must be stored first).
"""
from __future__ import annotations

import enum
import logging
import time
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from .credentials import Secret, split_credentials
from .errors import CredentialsDead, Rejected, RetryLater
from .http import Http
from .text import _

log = logging.getLogger("loa.connectors")

SEARCH_BACK = timedelta(days=1)  # how much earlier than ``since`` a reconciliation search looks
PUBLISHED = "published"
PROCESSING = "processing"
SCHEDULED = "scheduled"
IN_INBOX = "in_inbox"  # a draft in the creator's own inbox (TikTok): not public until they post it


@dataclass
class Media:
    """A file to publish and the facts the platforms ask about."""

    path: Path
    kind: str  # "video" | "image"
    size: int
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    content_type: str = "video/mp4"


@dataclass
class Item:
    """What to publish on one channel, already in that platform's words."""

    text: str = ""
    title: str = ""
    description: str = ""
    link: str = ""
    cover_url: str = ""
    media: Media | None = None
    route: str = ""  # facebook: feed | photo | reel | video; zalo: normal | video; tiktok: video
    schedule_at: datetime | None = None  # hand the post to the platform's own scheduler
    reference: str = ""  # our delivery reference, for logs only
    choices: dict[str, str] = field(default_factory=dict)  # the person's choices for this post (choice_fields)

    def __post_init__(self) -> None:
        for name in ("text", "title", "description"):
            setattr(self, name, unicodedata.normalize("NFC", getattr(self, name) or ""))


@dataclass
class Check:
    """One condition for going live, read from the platform with a harmless call: met (True),
    not met (False) or not readable now (None), what was found, and what to do when not met."""

    key: str  # a stable code (for --json)
    met: bool | None
    found: str
    fix: str = ""
    web_fix: str = ""  # the same in the workspace's terms, where it differs (a button, not a command)

    @classmethod
    def unreadable(cls, key: str, exc: Exception) -> "Check":
        """``key`` could not be read now (the platform busy, the token refused): said, with what to do."""
        return cls(key, None, _("could not be read: {exc}", exc=exc),
                   _("Check the connection (`loa channel list`) and try again."))


@dataclass
class Result:
    status: str  # published | processing | scheduled
    remote_id: str = ""
    url: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    detail: str = ""

    @property
    def done(self) -> bool:
        return self.status == PUBLISHED


class Answer(str, enum.Enum):
    """What the platform says about a publishing call whose answer was lost."""

    FOUND = "found"  # the platform has it (the Finding's result: published, processing or scheduled)
    NOT_PUBLISHED = "not_published"  # certainly not: it may be sent again (or, if refused, failed)
    CANNOT_TELL = "cannot_tell"  # ask again later; never a reason to publish again


@dataclass(frozen=True)
class Finding:
    answer: Answer
    result: Result | None = None
    why: str = ""
    retry_after: float | None = None  # cannot tell: when asking again makes sense
    refused: bool = False  # not published because the platform refused the content (do not resend)

    @classmethod
    def found(cls, result: Result) -> "Finding":
        return cls(Answer.FOUND, result)

    @classmethod
    def not_published(cls, why: str, *, refused: bool = False) -> "Finding":
        return cls(Answer.NOT_PUBLISHED, why=why, refused=refused)

    @classmethod
    def cannot_tell(cls, why: str, retry_after: float | None = None) -> "Finding":
        return cls(Answer.CANNOT_TELL, why=why, retry_after=retry_after)


def window_left(sent_at: str | None, window: timedelta, now: datetime, fallback: datetime) -> float:
    """Seconds of the platform's processing window still to run since ``sent_at`` (ISO 8601, as
    checkpointed before the call; ``fallback``, the first attempt's start, when it is missing)."""
    try:
        sent = datetime.fromisoformat(sent_at) if sent_at else fallback
    except ValueError:
        sent = fallback
    return max(0.0, (sent + window - now).total_seconds())


Checkpoint = Callable[[dict[str, Any]], None]
Progress = Callable[[int, int], None]  # (bytes sent so far, total bytes)


def _noop_checkpoint(state: dict[str, Any]) -> None:
    return None


class Connector(ABC):
    """Base class: credentials, the HTTP helper and the refresh-once-on-expiry rule."""

    # --- what the platform is: everything else in loa derives from these ------------------
    platform: str = ""  # the platform's code, as stored and typed (--to facebook)
    label: str = ""  # its name as the officer reads it
    required: tuple[str, ...] = ()  # credential keys a channel must have, by the platform's own names
    extra: tuple[str, ...] = ()  # credential keys it may also have
    account_key: str = ""  # the credential that names the account (a Page id, an OA id, an open_id)
    app_keys: tuple[str, str] = ("app_id", "app_secret")  # the app's own key and secret, by the platform's names
    settings_keys: frozenset[str] = frozenset()  # per-channel settings (`loa channel set`)
    setting_choices: dict[str, tuple[str, ...]] = {}  # settings whose value is one of a list
    default_settings: dict[str, Any] = {}  # given to a new channel
    variant_fields: tuple[str, ...] = ("text",)  # what a post may say differently here
    choice_fields: tuple[str, ...] = ()  # what the person chooses for each post here (TikTok's posting screen)
    videos_only: bool = False  # it publishes nothing but videos
    routes: tuple[str, ...] = ()  # the ways in (Item.route)
    routes_without_media: frozenset[str] = frozenset()  # routes that carry text only
    native_scheduling: bool = False  # it can hold a post and publish it at its time (hand-off)
    uploads_per_minute: int | None = None  # its publishing budget per account, if it documents one
    reels_per_day: int | None = None  # Reels published through the API per account a day
    usage_headers: bool = False  # it reports its rate-limit usage in answer headers
    cover_url: bool = False  # its posts need a cover picture at a public address
    # How long after a lost answer the platform may still be processing what it received, so that
    # "not in the listing" does not yet mean "not published".
    processing_window: timedelta = timedelta(minutes=2)

    def __init__(self, credentials: Mapping[str, Any], settings: Mapping[str, Any] | None = None, *,
                 http: Http | None = None, on_credentials: Callable[[dict[str, Any]], None] | None = None,
                 progress: Progress | None = None, clock: Callable[[], datetime] | None = None,
                 sleep: Callable[[float], None] | None = None, rate_limit_wait: float | None = None,
                 processing_window: float | None = None) -> None:
        self.credentials = split_credentials(dict(credentials))
        missing = [k for k in self.required if not self.credentials.get(k)]
        if missing:
            raise CredentialsDead(_("{platform}: missing credential(s) {names}; connect the account again.",
                                    platform=self.platform, names=', '.join(missing)), platform=self.platform)
        self.settings = dict(settings or {})
        self.http = http or Http()
        self.on_credentials = on_credentials
        self.progress = progress
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.sleep = sleep or time.sleep  # between status checks inside one call (Zalo's -214)
        self.rate_limit_wait = rate_limit_wait  # a rehearsal's wait after a rate limit that names none
        if processing_window is not None:  # a rehearsal against a sandbox that processes in a second
            self.processing_window = timedelta(seconds=processing_window)

    @classmethod
    def route_for(cls, kind: str | None, reel: bool = False) -> str:
        """The route a post takes: ``kind`` is its media's ("image", "video") or None."""
        return cls.routes[0] if cls.routes else ""

    def posting_facts(self) -> dict[str, Any] | None:
        """What the account says about posting, for per-post choices (TikTok's creator_info);
        None where the platform has no such choices. A harmless read."""
        return None

    @classmethod
    def stored_choices(cls, fields: Mapping[str, str]) -> dict[str, str]:
        """The person's choices for one post (``choice_fields``), as stored."""
        return {k: str(v) for k, v in fields.items() if k in cls.choice_fields and v}

    @classmethod
    def settings_problems(cls, settings: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``(what is wrong, how to fix it)`` for each bad per-channel setting."""
        problems = []
        unknown = sorted(set(settings) - cls.settings_keys)
        if unknown:
            problems.append((_("Unknown {platform} setting(s): {names}.", platform=cls.platform, names=", ".join(unknown)),
                             _("Known: {names}.", names=", ".join(sorted(cls.settings_keys)))))
        for key, choices in cls.setting_choices.items():
            value = settings.get(key)
            if value is not None and value not in choices:
                problems.append((_("{platform} {setting} {value!r} is not one {platform} offers.", platform=cls.label,
                                   setting=key.replace("_", " "), value=value),
                                 _("Use one of {choices}.", choices=", ".join(choices))))
        return problems

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account={self.account_id!r})"

    @property
    def account_id(self) -> str:
        return ""

    def secret(self, key: str) -> str:
        value = self.credentials.get(key)
        return value.reveal() if isinstance(value, Secret) else str(value or "")

    def _store_credentials(self, new: dict[str, Any]) -> None:
        """Hand new credentials to the caller (who stores them) *then* start using them."""
        merged = {**self.credentials, **split_credentials(new)}
        if self.on_credentials is not None:
            self.on_credentials(merged)
        self.credentials = merged

    def numbers(self, remote_id: str, state: dict[str, Any]):
        """A published item's numbers (``connectors.insights.Numbers``); a platform without a way
        to read them says so for every metric."""
        from .insights import Numbers

        return Numbers().complete("not_offered")

    def expires_at(self, seconds: Any) -> str | None:
        try:
            return (self.clock() + timedelta(seconds=int(seconds))).isoformat()
        except (TypeError, ValueError):
            return None

    @abstractmethod
    def publish(self, item: Item, checkpoint: Checkpoint = _noop_checkpoint, state: dict | None = None) -> Result:
        """Publish ``item``. ``state`` is what an earlier, interrupted attempt checkpointed."""

    @abstractmethod
    def check(self, state: dict[str, Any], item: Item | None = None, checkpoint: Checkpoint = _noop_checkpoint) -> Result:
        """Follow an item that is processing or scheduled on the platform (``item`` is the
        content, for platforms that need it again to finish)."""

    @abstractmethod
    def find(self, item: Item, since: datetime, state: dict[str, Any], exclude: frozenset[str] = frozenset()) -> Finding:
        """After an unknown outcome: one of the three answers (see :class:`Answer`). Errors of
        the reads themselves propagate; the caller takes them as :attr:`Answer.CANNOT_TELL`.

        ``since`` is our clock's idea of when the first attempt started; platforms' clocks and
        ours disagree (an office computer's clock can be minutes off), so searches look a day
        further back and skip ``exclude``, the ids our other deliveries already account for."""

    @abstractmethod
    def refresh(self) -> dict[str, Any]:
        """New credentials, already handed to ``on_credentials``."""

    def _follow(self, state: dict[str, Any], remote_id: str = "", item: "Item | None" = None) -> Result:
        """After the call that publishes has been answered: the platform's status, or processing
        when it cannot tell right now. A failure to *read* must never look like "nothing was
        published", or the post would be sent again."""
        try:
            return self.check(state, item)
        except (RetryLater, Rejected, CredentialsDead) as exc:  # NotPublished (the platform's word) passes
            return Result(PROCESSING, remote_id, "", state, detail=_("status not readable yet ({exc})", exc=exc))

    @staticmethod
    def _answered(call: Callable[[], Any], state: dict[str, Any], flag: str, checkpoint: "Checkpoint") -> Any:
        """Send a call that can publish, with ``state[flag]`` already checkpointed as in flight.
        An error *answer* means the platform did nothing: the flag is cleared so the step may be
        sent again. Only silence (OutcomeUnknown) leaves it set, for reconciliation."""
        try:
            return call()
        except (RetryLater, Rejected, CredentialsDead):
            state[flag] = False
            checkpoint(state)
            raise

    @classmethod
    def live_warnings(cls, settings: dict[str, Any], unmet: list[tuple[str, str]], choices: dict[str, str],
                      facts: dict[str, Any] | None, duration: float | None) -> list[tuple[str, str]]:
        """What the platform says now that would stop a post of a channel with ``settings`` (the
        day-ahead preflight's): the go-live check's conditions not met (``unmet``: key, what was
        found), as ``("channel", found)``; a platform with per-post choices adds ``("post", why)``
        from ``facts`` (:meth:`posting_facts`) against the post's ``choices``."""
        return [("channel", found) for _key, found in unmet]

    def golive(self) -> list[Check]:
        """What this account needs to publish for real, each read with a harmless call (no post)."""
        return []

    def _with_refresh(self, call: Callable[[], Any]) -> Any:
        """Run ``call``; if the access token has expired, refresh once and run it again.

        Only calls that fail on authentication, before doing anything, are run again."""
        try:
            return call()
        except TokenExpired:
            log.info("%s: access token expired; refreshing", self.platform)
            self.refresh()
        try:
            return call()
        except TokenExpired as exc:  # refused again at once: not proof the account is dead
            raise RetryLater(_("{platform}: the new access token was refused at once ({exc}); will try again.", platform=self.platform, exc=exc), platform=self.platform) from None


class TokenExpired(CredentialsDead):
    """The access token has expired but may be refreshed (internal to connectors)."""
