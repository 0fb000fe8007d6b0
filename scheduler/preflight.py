"""What would stop a delivery, found a day ahead while there is time to fix it."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from connectors import CONNECTORS
from content_queue.models import ChannelHealth, Delivery


def check_delivery(d: Delivery, media_dir: Path, now: datetime) -> list[str]:
    warnings: list[str] = []
    ch = d.channel
    if not ch.active:
        warnings.append(f"channel {ch.name} was removed")
    if ch.health is ChannelHealth.reconnect:
        warnings.append(f"channel {ch.name} must be connected again: {ch.health_detail or 'credentials refused'}")
    creds = ch.credentials
    refreshable = bool(creds.get("refresh_token") or creds.get("user_token"))
    if ch.access_expires_at is not None and ch.access_expires_at <= d.due_at and not refreshable:
        warnings.append(f"channel {ch.name}: the access token expires before this post is due and cannot be refreshed")
    if ch.refresh_expires_at is not None and ch.refresh_expires_at <= d.due_at:
        warnings.append(f"channel {ch.name}: the refresh token expires before this post is due; connect it again")
    media = d.post.media
    if media is not None:
        path = media_dir / media.relpath
        if not path.is_file():
            warnings.append(f"the media file {media.original_name} is missing from the store")
        elif path.stat().st_size != media.size:
            warnings.append(f"the media file {media.original_name} changed size in the store")
    if CONNECTORS[ch.platform.value].cover_url and not (d.post.cover_url or (ch.settings or {}).get("cover_url")):
        warnings.append(f"channel {ch.name}: no cover photo address for the Zalo article")
    return warnings
