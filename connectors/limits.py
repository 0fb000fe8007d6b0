"""What each platform documents as its limits, in one place.

Every figure comes from ``shared/design/platform-apis.md`` (the platforms' own documentation and
SDKs). Figures that could not be confirmed officially are marked UNVERIFIED so they can be
changed here, once, when the platform says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass

FACEBOOK = "facebook"
ZALO = "zalo"
TIKTOK = "tiktok"
PLATFORMS = (FACEBOOK, ZALO, TIKTOK)

MB = 1024 * 1024


@dataclass(frozen=True)
class VideoRules:
    """What a platform accepts as a video file."""

    containers: tuple[str, ...]  # file suffixes, lower case, with the dot
    max_bytes: int
    min_seconds: float = 0.0
    max_seconds: float | None = None
    min_fps: float | None = None
    max_fps: float | None = None
    min_side: int | None = None
    max_side: int | None = None


# --- Facebook Pages -----------------------------------------------------------------------
# Meta's version table (developers.facebook.com/docs/graph-api/changelog/versions): v21.0, which
# loa used until December 2026, is available until 21 January 2027; v26.0 is the current version
# and its end is not announced yet (UNVERIFIED: the date it ends; `loa channel check` says what is
# known). One version for every call; the table below is what the go-live check reads.
FACEBOOK_GRAPH_VERSION = "v26.0"
FACEBOOK_GRAPH_VERSION_ENDS = {"v21.0": "2027-01-21", "v26.0": None}
FACEBOOK_MESSAGE_MAX_CHARS = 63_206
FACEBOOK_PHOTO_MAX_BYTES = 4 * MB  # larger photos: error subcode 1366046
FACEBOOK_PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tiff", ".tif", ".webp")
FACEBOOK_SCHEDULE_MIN_SECONDS = 10 * 60
FACEBOOK_SCHEDULE_MAX_SECONDS = 30 * 24 * 3600
FACEBOOK_REEL_SCHEDULE_MAX_SECONDS = 29 * 24 * 3600
FACEBOOK_REELS_PER_DAY = 30  # API-published reels per Page per rolling 24 hours
# Reels: vertical 9:16, at least 540x960, 24-60 fps, 3 to 90 seconds.
FACEBOOK_REEL = VideoRules(
    containers=(".mp4", ".mov"),
    max_bytes=1024 * MB,  # UNVERIFIED: reels guidance gives no byte cap; the /videos cap applies
    min_seconds=3.0,
    max_seconds=90.0,
    min_fps=24.0,
    max_fps=60.0,
)
FACEBOOK_REEL_MIN_WIDTH = 540
FACEBOOK_REEL_MIN_HEIGHT = 960
FACEBOOK_REEL_ASPECT = 9 / 16
FACEBOOK_REEL_ASPECT_TOLERANCE = 0.01
# Page videos through the chunked /videos upload.
FACEBOOK_VIDEO = VideoRules(
    containers=(".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv"),
    max_bytes=10 * 1024 * MB,  # UNVERIFIED: Facebook's help pages say 10 GB
    min_seconds=1.0,
    max_seconds=240 * 60.0,  # UNVERIFIED: Facebook's help pages say 240 minutes
)

# --- Zalo Official Account --------------------------------------------------------------------
# Title and description: Zalo's article form says 150 and 300, but a production client logged
# "title allow 1 to 150 characters" for a title of exactly 150 and sends at most 140/250, which
# work (a ward's OA client, zalo/articleClient.js). loa checks at queue time against 140/250.
ZALO_TITLE_MAX_CHARS = 140
ZALO_DESCRIPTION_MAX_CHARS = 250
# A normal article's author is required, at most 50 characters (redai-zalo-sdk 1.32.17,
# services/article.service.js); loa sends the channel's author setting, else the OA's own name.
ZALO_AUTHOR_MAX_CHARS = 50
ZALO_IMAGE_MAX_BYTES = 1 * MB  # UNVERIFIED: "about 1 MB" and more fails at verify (-200)
# getslice: "Article list: max 10 items per request" (redai-zalo-sdk); more is answered -201.
ZALO_LIST_MAX = 10
ZALO_VIDEO = VideoRules(containers=(".mp4", ".avi"), max_bytes=50 * MB)

# --- TikTok -----------------------------------------------------------------------------
TIKTOK_CAPTION_MAX_UTF16 = 2200
TIKTOK_VIDEO = VideoRules(
    containers=(".mp4", ".webm", ".mov"),
    max_bytes=4 * 1024 * MB,
    min_seconds=1.0,  # UNVERIFIED: TikTok does not document a minimum; 1 s guards empty files
    max_seconds=600.0,  # the creator's max_video_post_duration_sec is checked at publish time
    min_fps=23.0,
    max_fps=60.0,
    min_side=360,
    max_side=4096,
)
TIKTOK_CHUNK_MIN = 5 * MB
TIKTOK_CHUNK_MAX = 64 * MB
TIKTOK_LAST_CHUNK_MAX = 128 * MB
TIKTOK_MAX_CHUNKS = 1000
TIKTOK_INITS_PER_MINUTE = 6
TIKTOK_CREATOR_INFO_PER_MINUTE = 20
TIKTOK_STATUS_PER_MINUTE = 30
TIKTOK_PRIVACY_LEVELS = (
    "PUBLIC_TO_EVERYONE",
    "MUTUAL_FOLLOW_FRIENDS",
    "FOLLOWER_OF_CREATOR",
    "SELF_ONLY",
)


def utf16_units(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit TikTok counts captions in."""
    return len(text.encode("utf-16-le")) // 2

# What a TikTok account must grant loa (Login Kit scopes): video.publish for a direct post, video.upload
# for a draft in the inbox, video.list for the videos' numbers (Content Posting API; Display API).
TIKTOK_SCOPES_NEEDED = ("video.publish", "video.upload", "video.list")
