"""The platforms' rules as the sandbox states them, in its own words, from the platforms' own
documentation (shared/design/platform-apis.md). Deliberately not imported from the connectors: a
wrong limit in a connector is then caught by a test against the sandbox, not mirrored by it."""
from __future__ import annotations

MB = 1024 * 1024
GB = 1024 * MB

# Facebook Graph API (Pages)
GRAPH_VERSION = "v26.0"  # the current version, as the sandbox answers it (upload URLs)
# Meta's version table (developers.facebook.com/docs/graph-api/changelog/versions): v21.0 is
# available until 21 January 2027; v26.0 is the current version (December 2026), its end not yet
# announced. The sandbox refuses a version on and after its end (Meta would serve the oldest
# version still available instead: a stale version constant is caught here, not silently upgraded).
FB_VERSION_ENDS = {"v21.0": "2027-01-21"}
FB_VERSION_ENDED = (12, "(#12) This Graph API version is no longer available")  # UNVERIFIED: code and words
# Page and post insights need read_insights (Meta's Page Insights docs: read_insights with
# pages_read_engagement and pages_show_list). A token without it is refused on /insights and
# /video_insights. UNVERIFIED: the code and words (Meta's permission errors are #10 or #200).
FB_INSIGHTS_PERMISSION = "read_insights"
FB_NO_PERMISSION = (10, "(#10) Requires read_insights permission for this action")
FB_SCOPES_GRANTED = ("pages_manage_posts", "pages_read_engagement", "pages_show_list", "publish_video",
                     "read_insights")  # what a sandbox account grants unless told otherwise
# A Video node has no shares field: "(#100) Tried accessing nonexisting field (shares) on node type
# (Video)", which loses reactions and comments asked in the same call; a video's counts are read on
# its post_id (the Video node's post_id field: Meta's Graph API reference, Video).
FB_VIDEO_NO_SHARES = (100, "(#100) Tried accessing nonexisting field (shares) on node type (Video)")
FB_POST_MESSAGE_MAX = 63_206  # characters of a Page post's message
FB_PHOTO_MAX = 4 * MB  # larger photos are refused with subcode 1366046
FB_SCHEDULE_EARLIEST = 10 * 60  # scheduled_publish_time: at least 10 minutes ahead...
FB_SCHEDULE_LATEST = 30 * 24 * 3600  # ...and at most 30 days
FB_REEL_SCHEDULE_LATEST = 29 * 24 * 3600  # Reels: at most 29 days ahead
FB_REELS_A_DAY = 30  # Reels published through the API per Page in 24 hours

# Zalo OA Open API (articles). Zalo documents these through its article form, not its API pages;
# the sources below are integrations that run against it.
# Title and description: 150 and 300 are the documented maxima, but a production client logged
# "title allow 1 to 150 characters" for a title of exactly 150 and backs off to 140/250 (a ward's OA
# client, zalo/articleClient.js, 2026). The sandbox refuses a title of 150 characters or more and a
# description of 300 or more. UNVERIFIED: how Zalo counts (characters, bytes or UTF-16 units).
ZALO_TITLE_MAX = 150  # refused from this length on
ZALO_DESCRIPTION_MAX = 300  # refused from this length on
# A normal article's author is required, at most 50 characters (redai-zalo-sdk 1.32.17,
# dist/services/article.service.js: "Author: required for normal articles, max 50 characters").
ZALO_AUTHOR_MAX = 50
ZALO_AUTHOR_MISSING = (-201, "author is required")  # UNVERIFIED: the code and words Zalo uses
# getslice pages: "Article list: max 10 items per request" (redai-zalo-sdk, same file); a larger
# limit is answered -201 "maximum limit is 10" (a ward's OA client, comment on listRecentTitles).
ZALO_LIST_MAX = 10
ZALO_LIST_TOO_MANY = (-201, "maximum limit is 10")
# The cover: Zalo fetches photo_url itself, at verify time. An image it cannot fetch, or of about
# 1 MB and more, fails only then with -200 "Upload media failed"; spaces or Vietnamese letters in the
# URL give "photo_url ... is invalid" (the ward's client: COVER_ERROR_RE and encodeImageUrl;
# redai-zalo-sdk: "Image size: max 1MB per image").
ZALO_COVER_MAX = 1 * MB  # refused from this size on (UNVERIFIED: "about 1 MB")
ZALO_COVER_FAILED = (-200, "Upload media failed")
ZALO_COVER_INVALID = (-201, "photo_url is invalid")  # UNVERIFIED: the code
ZALO_VIDEO_MAX = 50 * MB  # upload_video/preparevideo: mp4 or avi

# TikTok Login Kit. Desktop apps: "You must use hex encoding of SHA256 to generate the code
# challenge" (Login Kit for Desktop; TikTok's own Android SDK, PKCEUtils.kt, uses hex too), and
# their redirect URIs are loopback addresses with a port. Web apps redirect to an https address;
# their challenge is taken as RFC 7636's base64url (UNVERIFIED: TikTok's web page does not say).
TT_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def tt_app_kind(redirect_uri: str) -> str:
    from urllib.parse import urlsplit

    return "desktop" if (urlsplit(redirect_uri).hostname or "") in TT_LOOPBACK_HOSTS else "web"


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
# The direct post's post_info (Content Posting API reference, Direct Post: privacy_level is
# required and "must be one of the privacy_level_options" of creator_info; Workato's TikTok
# connector: "required when Post mode is Direct post"). The posting screen TikTok's audit expects
# (Content Sharing Guidelines, "Required UX Implementation", as quoted in inovector/mixpost#74 and
# built in trypostit/trypost#25): the person picks the privacy with no default; comment, duet and
# stitch are off until the person turns them on, and greyed out where creator_info says the creator
# turned them off; a commercial-content disclosure; "By posting, you agree to TikTok's Music Usage
# Confirmation" before the button; the duration within max_video_post_duration_sec.
TT_PRIVACY_MISSING = ("invalid_param", "privacy_level is required for a direct post")
# Branded content (a paid partnership, brand_content_toggle) "cannot be posted with privacy
# SELF_ONLY" (the guideline; Zernio's TikTok reference says the same). UNVERIFIED: the code and words
# the API answers it with.
TT_BRANDED_PRIVATE = ("invalid_param", "Branded content visibility cannot be set to private")
# The inbox route (video.upload, /inbox/video/init/): the status becomes SEND_TO_USER_INBOX, "a
# draft in the creator's TikTok inbox": nothing is public until the person posts it in the app
# (Content Posting API, Upload; Get Post Status). When they do, the status answers PUBLISH_COMPLETE
# with the public id, as for a direct post. UNVERIFIED: the status page draws the Content Upload
# flow ending in the creator's post, but its text does not name the status then answered.
TT_INBOX_STATUS = "SEND_TO_USER_INBOX"
TT_INBOX_POSTED_STATUS = "PUBLISH_COMPLETE"  # UNVERIFIED (see above)
TT_MAX_DURATION = 600  # creator_info's max_video_post_duration_sec of a sandbox account (10 minutes)
# The token answers, to the code grant and to each refresh, carry ``scope``: "A comma-separated list
# (,) of the scopes the user has agreed to authorize"; "Users have the rights to only agree to a
# subset of scopes you requested" (Login Kit, Manage User Access Tokens with OAuth v2). A direct post
# needs video.publish, an inbox draft video.upload (Content Posting API, Direct Post / Upload), the
# counts video.list (Display API, Query Videos); a call without its scope is refused with
# scope_not_authorized (401). What a sandbox account has granted unless a test says otherwise:
TT_SCOPES_GRANTED = ("user.info.basic", "video.publish", "video.upload", "video.list")
TT_SCOPE_OF = {"direct": "video.publish", "inbox": "video.upload", "counts": "video.list"}


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
