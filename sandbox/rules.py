"""The platforms' rules as the sandbox states them, in its own words, from the platforms' own
documentation (shared/design/platform-apis.md). Deliberately not imported from the connectors: a
wrong limit in a connector is then caught by a test against the sandbox, not mirrored by it."""
from __future__ import annotations

MB = 1024 * 1024
GB = 1024 * MB

# Facebook Graph API (Pages)
GRAPH_VERSION = "v21.0"
FB_POST_MESSAGE_MAX = 63_206  # characters of a Page post's message
FB_PHOTO_MAX = 4 * MB  # larger photos are refused with subcode 1366046
FB_SCHEDULE_EARLIEST = 10 * 60  # scheduled_publish_time: at least 10 minutes ahead...
FB_SCHEDULE_LATEST = 30 * 24 * 3600  # ...and at most 30 days
FB_REEL_SCHEDULE_LATEST = 29 * 24 * 3600  # Reels: at most 29 days ahead
FB_REELS_A_DAY = 30  # Reels published through the API per Page in 24 hours

# Zalo OA Open API (articles). Zalo documents these through its article form, not its API pages.
ZALO_TITLE_MAX = 150
ZALO_DESCRIPTION_MAX = 300
ZALO_AUTHOR_MAX = 50
ZALO_VIDEO_MAX = 50 * MB  # upload_video/preparevideo: mp4 or avi

# TikTok Content Posting API
TT_CAPTION_MAX_UTF16 = 2200  # post_info.title, in UTF-16 code units
TT_VIDEO_MAX = 4 * GB
TT_CHUNK_MIN = 5 * MB  # every chunk but the last; smaller files go whole
TT_CHUNK_MAX = 64 * MB
TT_LAST_CHUNK_MAX = 128 * MB  # the last chunk takes the remainder
TT_CHUNKS_MAX = 1000
TT_INITS_A_MINUTE = 6  # video/init per user token
TT_CREATOR_INFO_A_MINUTE = 20
TT_STATUS_A_MINUTE = 30


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
