"""What would stop a delivery, found a day ahead while there is time to fix it."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from connectors import CONNECTORS
from content_queue.models import ChannelHealth, Delivery
from content_queue.i18n import _


def check_delivery(d: Delivery, media_dir: Path, now: datetime, live: dict | None = None) -> list[str]:
    """What would stop ``d``; ``live``: what the platform says of its channel now (see
    Maintenance._live_facts), the same facts as the go-live check and the composer's."""
    warnings: list[str] = []
    ch = d.channel
    if not ch.active:
        warnings.append(_("channel {name} was removed", name=ch.name))
    if ch.health is ChannelHealth.reconnect:
        warnings.append(_("channel {name} must be connected again: {value}", name=ch.name, value=ch.health_detail or 'credentials refused'))
    if ch.access_expires_at is not None and ch.access_expires_at <= d.due_at and not ch.refreshable:
        warnings.append(_("channel {name}: the access token expires before this post is due and cannot be "
                          "refreshed", name=ch.name))
    if ch.refresh_expires_at is not None and ch.refresh_expires_at <= d.due_at:
        warnings.append(_("channel {name}: the refresh token expires before this post is due; connect it again", name=ch.name))
    media = d.post.media
    if media is not None:
        path = media_dir / media.relpath
        if not path.is_file():
            warnings.append(_("the media file {original_name} is missing from the store", original_name=media.original_name))
        elif path.stat().st_size != media.size:
            warnings.append(_("the media file {original_name} changed size in the store", original_name=media.original_name))
    if CONNECTORS[ch.platform.value].cover_url and not (d.post.cover_url or (ch.settings or {}).get("cover_url")):
        warnings.append(_("channel {name}: no cover photo address for the Zalo article", name=ch.name))
    warnings += _live_warnings(d, live or {})
    if ch.campaign.approval == "required" and d.post.approved_at is None:
        warnings.append(_("not approved yet: it is held at its time until an approver approves it"))
    return warnings



def _live_warnings(d: Delivery, live: dict) -> list[str]:
    ch, media = d.channel, d.post.media
    platform = CONNECTORS[ch.platform.value]
    out = []
    for where, said in platform.live_warnings(ch.settings or {}, live.get("unmet") or [],
                                              platform.stored_choices((d.post.variants or {}).get(ch.platform.value) or {}),
                                              live.get("posting"), media.duration if media else None):
        out.append(_("channel {name}: {found} (the channel's go-live check says what to do)", name=ch.name, found=said)
                   if where == "channel" else _("{platform}: {said}", platform=platform.label, said=said))
    return out
