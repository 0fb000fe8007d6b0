"""The platforms' facts, for the parts of loa that may not import the connectors (the recap).

Each fact has one home, the platform's connector class (:mod:`connectors`); this module only
asks them."""
from __future__ import annotations

from connectors import CONNECTORS, PLATFORMS
from connectors import limits as L

VIDEO_RULES = {L.FACEBOOK: "FACEBOOK_VIDEO", L.ZALO: "ZALO_VIDEO", L.TIKTOK: "TIKTOK_VIDEO"}  # in connectors.limits

__all__ = ["PLATFORMS", "feed_beside_reels", "label", "max_video_bytes"]


def label(platform: str) -> str:
    return CONNECTORS[platform].label


def max_video_bytes(platform: str) -> int | None:
    """The largest video ``platform`` takes on its plainest route (Zalo: 50 MB), or None."""
    name = VIDEO_RULES.get(platform)
    return getattr(L, name).max_bytes if name else None


def feed_beside_reels(platform: str) -> bool:
    """Whether ``platform`` has a feed for videos beside its Reels (a 4:5 cut goes there)."""
    return {"reel", "video"} <= set(CONNECTORS[platform].routes)
