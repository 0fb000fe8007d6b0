"""Turn a stored post into what one platform receives (a connectors.Item)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors import CONNECTORS, Item, Media
from content_queue.models import Campaign, Channel, Delivery, Post
from content_queue.posts import draft_of
from content_queue.validation import is_reel, platform_text, variant_description, variant_title

CONTENT_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
                 ".avi": "video/x-msvideo", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


@dataclass
class Job:
    """Everything a publish needs, read in one short transaction and then detached."""

    delivery_id: int
    platform: str
    channel_id: int
    channel_name: str
    credentials: dict[str, Any]
    credentials_version: int
    settings: dict[str, Any]
    item: Item
    remote_state: dict[str, Any]
    due_at: datetime
    attempt_count: int
    handoff: bool
    claimed_from: Any = None  # the state the claim took it from (scheduled: its first try)


def build_item(post: Post, channel: Channel, campaign: Campaign, media_dir: Path, *,
               schedule_at: datetime | None = None, reference: str = "") -> Item:
    platform = channel.platform.value
    draft = draft_of(post)
    text = platform_text(draft, platform, campaign.hashtag_list)
    media = None
    if post.media is not None:
        path = media_dir / post.media.relpath
        media = Media(path=path, kind=post.media.kind, size=post.media.size, width=post.media.width,
                      height=post.media.height, duration=post.media.duration,
                      content_type=CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"))
    facts = CONNECTORS[platform]
    route = facts.route_for(media.kind if media is not None else None, reel=is_reel(draft.media))
    if route in facts.routes_without_media:
        media = None  # e.g. a picture with a Zalo article: the article has its cover instead
    variants = set(facts.variant_fields)
    return Item(text=text, title=variant_title(draft, platform) if "title" in variants else post.title,
                description=variant_description(draft, platform) if "description" in variants else "",
                link=post.link, media=media, route=route, schedule_at=schedule_at, reference=reference,
                choices=facts.stored_choices((post.variants or {}).get(platform) or {}),
                cover_url=(post.cover_url or (channel.settings or {}).get("cover_url", "")) if facts.cover_url else "")


def handoff_wanted(post: Post, campaign: Campaign) -> bool:
    return post.facebook_handoff if post.facebook_handoff is not None else campaign.facebook_handoff


def job_of(delivery: Delivery, campaign: Campaign, media_dir: Path) -> Job:
    ch = delivery.channel
    return Job(
        delivery_id=delivery.id, platform=ch.platform.value, channel_id=ch.id, channel_name=ch.name,
        credentials=ch.credentials, credentials_version=ch.credentials_version, settings=dict(ch.settings or {}),
        item=build_item(delivery.post, ch, campaign, media_dir, reference=f"delivery {delivery.id}"),
        remote_state=dict(delivery.remote_state or {}), due_at=delivery.due_at,
        attempt_count=delivery.attempt_count, handoff=handoff_wanted(delivery.post, campaign),
        claimed_from=delivery.claimed_from)
