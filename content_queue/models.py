"""The campaign's data model (SQLAlchemy 2, typed).

All instants are stored as UTC and come back timezone-aware; all text is stored NFC-normalised
by the code that writes it (see :mod:`content_queue.text`). Credentials live in
``Channel.credentials_json`` and are only ever handed out wrapped in ``Secret``.
"""
from __future__ import annotations

import enum
import json
from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql import expression

from connectors import PLATFORMS
from connectors.credentials import Secret, split_credentials


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}


# One member per connector: a platform is described once, on its connector class.
Platform = enum.Enum("Platform", {p: p for p in PLATFORMS}, type=str, module=__name__)


class ChannelHealth(str, enum.Enum):
    ok = "ok"
    unknown = "unknown"
    degraded = "degraded"  # warnings: token expiring, rate limited, preflight problems
    reconnect = "reconnect"  # credentials dead: the officer must connect the account again


class DeliveryState(str, enum.Enum):
    scheduled = "scheduled"
    publishing = "publishing"
    processing = "processing"
    retry_wait = "retry_wait"
    published = "published"
    failed = "failed"
    unknown = "unknown"
    needs_attention = "needs_attention"
    missed = "missed"
    cancelled = "cancelled"
    in_inbox = "in_inbox"  # a draft in the creator's TikTok inbox: the person posts it in the app



class ClipStatus(str, enum.Enum):
    pending = "pending"  # accepted by the probe, awaiting the officer's review
    approved = "approved"
    rejected = "rejected"  # by the officer, or by the probe (invalid media)
    withdrawn = "withdrawn"


class Consent(str, enum.Enum):
    self_ = "self"
    guardian = "guardian"
    none = "none"


class NameDisplay(str, enum.Enum):
    full = "full"
    first = "first"
    anonymous = "anonymous"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no database ENUM type), so a new state is not a schema change.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text, default="")
    hashtags: Mapped[str] = mapped_column(String(500), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    language: Mapped[str] = mapped_column(String(16), default="vi")
    starts_on: Mapped[Optional[date]] = mapped_column(Date)
    ends_on: Mapped[Optional[date]] = mapped_column(Date)
    grace_minutes: Mapped[int] = mapped_column(Integer, default=120)
    add_hashtags: Mapped[bool] = mapped_column(Boolean, default=True)
    facebook_handoff: Mapped[bool] = mapped_column(Boolean, default=False)
    guardian_age: Mapped[int] = mapped_column(Integer, default=16)
    # "required": a post publishes only once an approver has approved it (content_queue/approvals.py)
    approval: Mapped[str] = mapped_column(String(16), default="off", server_default="off")
    portal_token: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    # who to call for help (printed on the materials, e.g. "Công an xã: 0269 3xxx xxx – Tổng đài 111")
    help_line: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # the address people reach the campaign's pages at (https://...): the portal's link, QR codes
    public_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # the public pages (loa/portal): the pledge wall's text, whether a signature shows at once
    # (unless the word list flags it), the officer's own words to hold back, how many days after
    # the campaign's end what people sent is kept, and how many framed pictures were downloaded
    pledge_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    pledge_auto: Mapped[bool] = mapped_column(Boolean, default=False, server_default=expression.false())
    pledge_words: Mapped[str] = mapped_column(Text, default="", server_default="")
    keep_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    frame_downloads: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # e-mail to the officer when something goes wrong (loa/notify.py): the SMTP settings (the
    # password kept like the channels' tokens), and what was last told, per kind
    notify: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notified: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # once the keeping period is over (content_queue/privacy.py): when, what was erased, and the
    # figures the report keeps ({} until then)
    purged: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    channels: Mapped[list["Channel"]] = relationship(back_populates="campaign")

    @property
    def hashtag_list(self) -> list[str]:
        return self.hashtags.split()

    def __repr__(self) -> str:
        return f"Campaign(id={self.id!r}, slug={self.slug!r})"


class Channel(Base):
    """One account on one platform. Credentials never leave this object unwrapped."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    platform: Mapped[Platform] = mapped_column(_enum(Platform, "platform"))
    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[str] = mapped_column(String(200))  # page id, OA id or TikTok open_id
    credentials_json: Mapped[str] = mapped_column(Text, default="{}")
    credentials_version: Mapped[int] = mapped_column(Integer, default=1)
    access_expires_at: Mapped[Optional[datetime]] = mapped_column()
    refresh_expires_at: Mapped[Optional[datetime]] = mapped_column()
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    health: Mapped[ChannelHealth] = mapped_column(
        _enum(ChannelHealth, "channel_health"), default=ChannelHealth.unknown
    )
    health_detail: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    cooldown_until: Mapped[Optional[datetime]] = mapped_column()  # the platform asked us to wait
    # its posting slots, e.g. "tue,fri 19:00; sun 09:00" in the campaign's time zone (the queue's)
    slots: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="channels")

    @property
    def credentials(self) -> dict[str, Any]:
        """The credentials, secret values wrapped in :class:`Secret`."""
        from .vault import unseal

        return split_credentials(json.loads(unseal(self.credentials_json or "{}") or "{}"))

    @property
    def refreshable(self) -> bool:
        """Whether loa can get a new access token by itself (a refresh token, or Facebook's user token)."""
        creds = self.credentials
        return bool(creds.get("refresh_token") or creds.get("user_token"))

    def set_credentials(self, data: dict[str, Any]) -> None:
        plain = {k: (v.reveal() if isinstance(v, Secret) else v) for k, v in data.items()}
        from .vault import seal  # at rest, sealed with the folder's key (content_queue/vault.py)

        self.credentials_json = seal(json.dumps(plain, ensure_ascii=False, sort_keys=True))

    def __repr__(self) -> str:
        return f"Channel(id={self.id!r}, platform={self.platform!r}, name={self.name!r})"


class Media(Base):
    """A file in the campaign's media store, kept once under its SHA-256."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    relpath: Mapped[str] = mapped_column(String(500))
    original_name: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # "video" | "image"
    container: Mapped[str] = mapped_column(String(64), default="")
    width: Mapped[Optional[int]] = mapped_column(Integer)
    height: Mapped[Optional[int]] = mapped_column(Integer)
    duration: Mapped[Optional[float]] = mapped_column(Float)
    fps: Mapped[Optional[float]] = mapped_column(Float)
    video_codec: Mapped[Optional[str]] = mapped_column(String(32))
    audio_codec: Mapped[Optional[str]] = mapped_column(String(32))
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Post(Base):
    """What to say and show, and when. One post goes to one or more channels."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(2000), default="")
    cover_url: Mapped[str] = mapped_column(String(2000), default="")
    media_id: Mapped[Optional[int]] = mapped_column(ForeignKey("media.id"))
    variants: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"tiktok": {"text": ...}}
    add_hashtags: Mapped[bool] = mapped_column(Boolean, default=True)
    facebook_handoff: Mapped[Optional[bool]] = mapped_column(Boolean)  # None: campaign default
    due_at: Mapped[datetime] = mapped_column()
    source: Mapped[str] = mapped_column(String(300), default="cli")
    approved_at: Mapped[Optional[datetime]] = mapped_column()
    approved_by: Mapped[str] = mapped_column(String(80), default="", server_default="")
    approval_comment: Mapped[str] = mapped_column(Text, default="", server_default="")  # why it was sent back
    # placed in its channels' posting slots (the queue) rather than at a time of its own
    queued: Mapped[bool] = mapped_column(Boolean, default=False, server_default=expression.false())
    # an entry of a series (chuyên mục), its number in it
    series_id: Mapped[Optional[int]] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"))
    series_number: Mapped[Optional[int]] = mapped_column(Integer)
    # a quiz's answer: published to the quiz's channels this long after the quiz went out, never before
    answer_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    answer_after_seconds: Mapped[Optional[int]] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    media: Mapped[Optional[Media]] = relationship()
    deliveries: Mapped[list["Delivery"]] = relationship(
        back_populates="post", order_by="Delivery.id"
    )


class Delivery(Base):
    """One post to one channel: the unit the scheduler works on, and its state machine."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("post_id", "channel_id"),
        Index("ix_deliveries_state_due", "state", "due_at"),
        Index("ix_deliveries_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    state: Mapped[DeliveryState] = mapped_column(
        _enum(DeliveryState, "delivery_state"), default=DeliveryState.scheduled
    )
    due_at: Mapped[datetime] = mapped_column()
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column()
    claimed_by: Mapped[Optional[str]] = mapped_column(String(200))
    claimed_at: Mapped[Optional[datetime]] = mapped_column()
    # the state the claim took it from: a claim given back untouched returns it there
    claimed_from: Mapped[Optional[DeliveryState]] = mapped_column(_enum(DeliveryState, "delivery_state"))
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    remote_id: Mapped[Optional[str]] = mapped_column(String(300))
    remote_url: Mapped[Optional[str]] = mapped_column(String(2000))
    remote_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_kind: Mapped[str] = mapped_column(String(32), default="")
    # The platform's own words when it refused (often English), beside last_error (loa's explanation).
    platform_message: Mapped[str] = mapped_column(Text, default="", server_default="")
    preflight: Mapped[str] = mapped_column(Text, default="")  # warnings found ahead of time
    published_at: Mapped[Optional[datetime]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    post: Mapped[Post] = relationship(back_populates="deliveries")
    channel: Mapped[Channel] = relationship()
    attempts: Mapped[list["Attempt"]] = relationship(
        back_populates="delivery", order_by="Attempt.id"
    )


class Attempt(Base):
    """An append-only log of every call made for a delivery, and its outcome."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))  # publish, check, reconcile, refresh, ...
    outcome: Mapped[str] = mapped_column(String(32))  # published, processing, retry, ...
    detail: Mapped[str] = mapped_column(Text, default="")
    worker: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column()

    delivery: Mapped[Delivery] = relationship(back_populates="attempts")


class Role(str, enum.Enum):
    officer = "officer"  # prepares and publishes
    approver = "approver"  # also signs posts off
    viewer = "viewer"  # reads everything, changes nothing


class User(Base):
    """A person who signs in to the workspace. Only a salted scrypt hash of the password is kept."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}  # a removed user's id is never given to the next one

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[Optional[datetime]] = mapped_column()
    # Every session of this user carries this key; a new one (sign-out, a new password) ends them all.
    session_key: Mapped[str] = mapped_column(String(64), default="", server_default="")

    def __repr__(self) -> str:  # never the hash
        return f"<User {self.name} ({self.role.value})>"


class Activity(Base):
    """Who did what (created, edited, approved, rescheduled, cancelled, connected, signed in)."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    who: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    post_id: Mapped[Optional[int]] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), index=True)
    channel_id: Mapped[Optional[int]] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"))
    detail: Mapped[str] = mapped_column(Text, default="")


class Worker(Base):
    """A running `loa run` process; its heartbeat tells the others whether its claims are alive."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(200), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)


class Clip(Base):
    """A participant's challenge video, who sent it, their consent and its review."""

    __tablename__ = "clips"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    media_id: Mapped[Optional[int]] = mapped_column(ForeignKey("media.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(500), default="")
    participant_name: Mapped[str] = mapped_column(String(300))
    school: Mapped[str] = mapped_column(String(300), default="")
    class_name: Mapped[str] = mapped_column(String(100), default="")
    age: Mapped[Optional[int]] = mapped_column(Integer)
    consent: Mapped[Consent] = mapped_column(_enum(Consent, "consent"), default=Consent.none)
    guardian_name: Mapped[str] = mapped_column(String(300), default="")
    display: Mapped[NameDisplay] = mapped_column(
        _enum(NameDisplay, "name_display"), default=NameDisplay.first
    )
    source: Mapped[str] = mapped_column(String(64), default="cli")
    status: Mapped[ClipStatus] = mapped_column(
        _enum(ClipStatus, "clip_status"), default=ClipStatus.pending
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("clips.id"))
    probe: Mapped[dict[str, Any]] = mapped_column(default=dict)
    poster_relpath: Mapped[Optional[str]] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[Optional[datetime]] = mapped_column()
    # SHA-256 of the code the participant was given to see and withdraw the clip themselves
    withdraw_hash: Mapped[Optional[str]] = mapped_column(String(64), index=True)

    media: Mapped[Optional[Media]] = relationship()


class Upload(Base):
    """A resumable upload from the portal (tus): how far it got, and the sender's form."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    form: Mapped[dict[str, Any]] = mapped_column(default=dict)
    address: Mapped[str] = mapped_column(String(64), default="")
    clip_id: Mapped[Optional[int]] = mapped_column(ForeignKey("clips.id"))
    # the withdrawal code, until the phone has been shown it once (then only its hash remains)
    code: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # the whole file is here and being checked (probed, its poster made) off the request, by this worker
    finishing_by: Mapped[str] = mapped_column(String(120), default="", server_default="")
    finishing_at: Mapped[Optional[datetime]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Series(Base):
    """A column (chuyên mục): a name, its rhythm of slots, where it goes, how its entries are titled;
    its entries are posts placed on its slots in order, up to the campaign's end."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    slots: Mapped[str] = mapped_column(String(500))  # e.g. "tue,fri 19:00", in the campaign's time zone
    targets: Mapped[str] = mapped_column(String(500))  # channels or platforms, as --to takes them
    title: Mapped[str] = mapped_column(String(300), default="")  # e.g. "Mẹo an toàn số {n}"
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("campaign_id", "name", name="uq_series_campaign_name"),)


class PledgeStatus(str, enum.Enum):
    pending = "pending"  # waiting for the officer (or held back by the word list)
    approved = "approved"
    rejected = "rejected"


class Pledge(Base):
    """A signature on the pledge wall (Bức tường An toàn số): only the name as its signer wants it
    shown, their school or organisation and an age band; no phone, address or e-mail."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))  # as shown: full, first name or initials
    organisation: Mapped[str] = mapped_column(String(160), default="")
    age_band: Mapped[str] = mapped_column(String(16))
    status: Mapped[PledgeStatus] = mapped_column(_enum(PledgeStatus, "pledge_status"), default=PledgeStatus.pending)
    flagged: Mapped[str] = mapped_column(String(200), default="")  # the words that held it back
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[Optional[datetime]] = mapped_column()


class Reading(Base):
    """One number of a published delivery as the platform gave it at one time (connectors.insights):
    its value, or none and why (never 0 for unknown)."""

    __tablename__ = "readings"
    __table_args__ = (Index("ix_readings_delivery", "delivery_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
    metric: Mapped[str] = mapped_column(String(32))
    value: Mapped[Optional[float]] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(64), default="")


class Job(Base):
    """Long work done off the request (a recap's render, a folder of clips imported), run by the
    `loa serve` process in a process of its own; its state and progress are what the pages show."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued running done failed cancelled
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column()
    finished_at: Mapped[Optional[datetime]] = mapped_column()
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column()
    pid: Mapped[int] = mapped_column(Integer, default=0)


class Recap(Base):
    """A rendered recap video, the clips and the settings that made it."""

    __tablename__ = "recaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    media_id: Mapped[Optional[int]] = mapped_column(ForeignKey("media.id"))
    post_id: Mapped[Optional[int]] = mapped_column(ForeignKey("posts.id"))
    clip_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"ids": [...]}
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    media: Mapped[Optional[Media]] = relationship()
