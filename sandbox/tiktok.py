"""The TikTok Content Posting API stand-in: creator info, FILE_UPLOAD init, chunk PUTs, status."""
from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from werkzeug.wrappers import Request, Response

from . import rules as R
from .state import State
from .web import BLOCK, consent_screen, json_response, log_id, new_id, redirect_with, s256

UPLOAD_URL_LIFETIME = 3600


def route(sb: State, method: str, host: str, rest: str):
    if host == "open-upload.tiktokapis.com" and method == "PUT" and rest.startswith("/video/"):
        return lambda r: put_chunk(sb, r)
    if host == "www.tiktok.com" and method == "GET" and rest == "/v2/auth/authorize/":
        return lambda r: authorize(sb, r)
    if host != "open.tiktokapis.com" or method != "POST":
        return None
    table = {
        "/v2/oauth/token/": oauth_token,
        "/v2/post/publish/creator_info/query/": creator_info,
        "/v2/post/publish/video/init/": init_direct,
        "/v2/post/publish/inbox/video/init/": init_inbox,
        "/v2/post/publish/status/fetch/": status_fetch,
        "/v2/video/query/": video_query,
    }
    fn = table.get(rest)
    return (lambda r: fn(sb, r)) if fn else None


def ok(data: dict[str, Any]) -> Response:
    return json_response({"data": data, "error": {"code": "ok", "message": "", "log_id": log_id()}})


def fail(code: str, message: str, status: int) -> Response:
    r = json_response({"data": {}, "error": {"code": code, "message": message, "log_id": log_id()}}, status)
    if status == 429:
        r.headers["Retry-After"] = "10"
    return r


def _user(sb: State, r: Request) -> tuple[str | None, Response | None]:
    auth = r.headers.get("Authorization", "")
    value = auth[7:] if auth.startswith("Bearer ") else ""
    with sb.lock:
        t = sb.tokens.get(value)
        if t is None or t.kind != "access" or t.account not in sb.tiktok_users:
            return None, fail("access_token_invalid", "The access token is invalid or not found in the request.", 401)
        if t.expires < sb.clock():
            return None, fail("access_token_invalid", "The access token has expired.", 401)
    return t.account, None


def _granted(sb: State, user: str, scope: str) -> bool:
    with sb.lock:
        return scope in sb.tiktok_users[user]["scopes"].split(",")


def _no_scope() -> Response:
    return fail("scope_not_authorized", "The user did not authorize the scope required for completing this request.",
                401)


def _challenge_of(verifier: str, kind: str) -> str:
    """The challenge TikTok expects of this verifier: hex SHA-256 for a desktop app."""
    return hashlib.sha256(verifier.encode()).hexdigest() if kind == "desktop" else s256(verifier)


def authorize(sb: State, r: Request) -> Response:
    from urllib.parse import urlsplit

    redirect = r.args.get("redirect_uri", "")
    parts = urlsplit(redirect)
    if R.tt_app_kind(redirect) == "desktop" and parts.port is None:
        return Response("redirect_uri: a desktop app's redirect is a loopback address with a port", status=400)
    if R.tt_app_kind(redirect) == "web" and parts.scheme != "https":
        return Response("redirect_uri: a web app's redirect is an https address", status=400)
    key = r.args.get("client_key", "")
    with sb.lock:
        user = next((k for k, v in sb.tiktok_users.items() if v["client_key"] == key), None)
    if user is None:
        return Response("unknown client_key", status=400)

    def allow() -> Response:
        code = "ttcode-" + new_id()
        with sb.lock:
            sb.codes[code] = {"platform": "tiktok", "user": user, "challenge": r.args.get("code_challenge", ""),
                              "redirect_uri": r.args.get("redirect_uri", ""), "scope": r.args.get("scope", "")}
            sb.tiktok_users[user]["scopes"] = r.args.get("scope", "")  # the person agreed to what was asked
        return redirect_with(r.args.get("redirect_uri", ""), code=code, scopes=r.args.get("scope", ""),
                             state=r.args.get("state", ""))

    return consent_screen(r, platform="TikTok", who=f"@{user}", scopes=r.args.get("scope", ""), allow=allow)


def _tokens(sb: State, user: str, scope: str) -> Response:
    access = sb._token(user, "access", sb.access_lifetime["tiktok"], "act.")
    refresh = sb._token(user, "refresh", 365 * 86400, "rft.")
    return json_response({"access_token": access, "expires_in": sb.access_lifetime["tiktok"], "open_id": user,
                          "refresh_expires_in": 365 * 86400, "refresh_token": refresh, "scope": scope,
                          "token_type": "Bearer"})


def oauth_token(sb: State, r: Request) -> Response:
    key, secret = r.form.get("client_key", ""), r.form.get("client_secret", "")
    with sb.lock:
        user = next((k for k, v in sb.tiktok_users.items() if v["client_key"] == key), None)
        if user is None or sb.tiktok_users[user]["client_secret"] != secret:
            return json_response({"error": "invalid_client", "error_description": "Client key or secret is incorrect.",
                                  "log_id": log_id()}, 401)
        if r.form.get("grant_type") == "authorization_code":
            grant = sb.codes.pop(r.form.get("code", ""), None)
            if (grant is None or grant["user"] != user or grant["redirect_uri"] != r.form.get("redirect_uri")
                    or grant["challenge"] != _challenge_of(r.form.get("code_verifier", ""),
                                                           R.tt_app_kind(grant["redirect_uri"]))):
                return json_response({"error": "invalid_grant", "error_description": "Authorization code is invalid.",
                                      "log_id": log_id()}, 400)
            return _tokens(sb, user, grant["scope"])
        if r.form.get("grant_type") != "refresh_token":
            return json_response({"error": "unsupported_grant_type", "error_description": "sandbox: refresh only",
                                  "log_id": log_id()}, 400)
        old = sb.tokens.get(r.form.get("refresh_token", ""))
        if old is None or old.kind != "refresh" or old.account != user or old.expires < sb.clock():
            return json_response({"error": "invalid_grant", "error_description": "Refresh token is invalid or expired.",
                                  "log_id": log_id()}, 400)
        del sb.tokens[old.value]  # rotated: the old one no longer works
        return _tokens(sb, user, sb.tiktok_users[user]["scopes"])  # what the person granted, again


def video_query(sb: State, r: Request) -> Response:
    """The counts of the account's videos (scope video.list; an account connected without it is refused)."""
    user, e = _user(sb, r)
    if e:
        return e
    if not _granted(sb, user, R.TT_SCOPE_OF["counts"]):
        return _no_scope()
    wanted = [str(i) for i in ((r.get_json(force=True, silent=True) or {}).get("filters") or {}).get("video_ids", [])]
    if len(wanted) > 20:
        return fail("invalid_params", "at most 20 video ids", 400)
    fields = (r.args.get("fields") or "id").split(",")
    videos = []
    with sb.lock:
        mine = {str(e["remote_id"]) for e in sb.ledger if e["platform"] == "tiktok" and e["account"] == user}
        for vid in wanted:
            counts = sb.numbers(vid) if vid in mine else None
            if counts is None:
                continue
            have = {"id": vid, "view_count": counts["views"], "like_count": counts["reactions"],
                    "comment_count": counts["comments"], "share_count": counts["shares"]}
            sb.gave(vid, views=counts["views"], reactions=counts["reactions"], comments=counts["comments"],
                    shares=counts["shares"])
            videos.append({k: v for k, v in have.items() if k in fields or k == "id"})
    return ok({"videos": videos, "cursor": 0, "has_more": False})


def creator_info(sb: State, r: Request) -> Response:
    user, e = _user(sb, r)
    if e:
        return e
    if not sb._window(f"tt-info:{user}", R.TT_CREATOR_INFO_A_MINUTE, 60):
        return fail("rate_limit_exceeded", "creator_info: 20 requests per minute", 429)
    u = sb.tiktok_users[user]
    return ok({"creator_avatar_url": "https://p16.tiktokcdn.com/avatar.jpg", "creator_username": u["username"],
               "creator_nickname": u.get("nickname") or u["username"], "privacy_level_options": list(u["privacy"]),
               "comment_disabled": "comment" in u["off"], "duet_disabled": "duet" in u["off"],
               "stitch_disabled": "stitch" in u["off"], "max_video_post_duration_sec": u["max_duration"]})


def _check_source(info: dict[str, Any]) -> str | None:
    if info.get("source") != "FILE_UPLOAD":
        return "source must be FILE_UPLOAD"
    try:
        size, chunk, count = int(info["video_size"]), int(info["chunk_size"]), int(info["total_chunk_count"])
    except (KeyError, TypeError, ValueError):
        return "video_size, chunk_size and total_chunk_count are required"
    if size <= 0 or size > R.TT_VIDEO_MAX:
        return "video_size is out of range"
    if size < R.TT_CHUNK_MIN:
        if chunk != size or count != 1:
            return "a video under 5 MB must be uploaded whole (chunk_size = video_size, one chunk)"
        return None
    if not R.TT_CHUNK_MIN <= chunk <= R.TT_CHUNK_MAX and not (count == 1 and chunk == size):
        return "chunk_size must be between 5 MB and 64 MB"
    if count != size // chunk or not 1 <= count <= R.TT_CHUNKS_MAX:
        return "total_chunk_count must be floor(video_size / chunk_size), 1 to 1000"
    if size - (count - 1) * chunk > R.TT_LAST_CHUNK_MAX:
        return "the last chunk may be at most 128 MB"
    return None


def _init(sb: State, r: Request, inbox: bool) -> Response:
    user, e = _user(sb, r)
    if e:
        return e
    if not _granted(sb, user, R.TT_SCOPE_OF["inbox" if inbox else "direct"]):
        return _no_scope()
    if not sb._window(f"tt-init:{user}", R.TT_INITS_A_MINUTE, 60):
        return fail("rate_limit_exceeded", "init: 6 requests per minute", 429)
    body = r.get_json(force=True, silent=True) or {}
    u = sb.tiktok_users[user]
    post = body.get("post_info") or {}
    if not inbox:
        level = post.get("privacy_level")
        if not level:
            return fail(*R.TT_PRIVACY_MISSING, 400)
        if post.get("brand_content_toggle") and level == "SELF_ONLY":
            return fail(*R.TT_BRANDED_PRIVATE, 400)
        if u["privacy"] == ["SELF_ONLY"] and level != "SELF_ONLY":
            return fail("unaudited_client_can_only_post_to_private_accounts",
                        "Unaudited clients can only post to private accounts.", 403)
        if level not in u["privacy"]:
            return fail("privacy_level_option_mismatch", "privacy_level is not one of the creator's options.", 400)
        if R.utf16_units(post.get("title") or "") > R.TT_CAPTION_MAX_UTF16:
            return fail("invalid_param", "title is over 2200 UTF-16 runes", 400)
    problem = _check_source(body.get("source_info") or {})
    if problem:
        return fail("invalid_param", problem, 400)
    src = body["source_info"]
    upload_id, token = new_id(), secrets.token_urlsafe(16)
    publish_id = f"v_{'inbox' if inbox else 'pub'}_file~v2-1.{upload_id}"
    with sb.lock:
        sb.tiktok_jobs[upload_id] = {
            "publish_id": publish_id, "user": user, "token": token, "size": int(src["video_size"]),
            "chunk": int(src["chunk_size"]), "count": int(src["total_chunk_count"]), "received": 0,
            "hash": hashlib.sha256(), "created": sb.clock(), "complete_at": None, "inbox": inbox,
            "title": post.get("title", ""), "privacy": post.get("privacy_level"), "status": "PROCESSING_UPLOAD",
            "post_id": None, "settings": _as_posted(post, u) if not inbox else {}}
    return ok({"publish_id": publish_id,
               "upload_url": f"{sb.upload_base('open-upload.tiktokapis.com')}/video/?upload_id={upload_id}&upload_token={token}"})


def _as_posted(post: dict[str, Any], u: dict[str, Any]) -> dict[str, Any]:
    """What the video goes out with: the person's choices, where the creator's own app settings
    (creator_info's *_disabled) do not turn an interaction off."""
    return {"privacy": post.get("privacy_level"),
            "comment": not post.get("disable_comment") and "comment" not in u["off"],
            "duet": not post.get("disable_duet") and "duet" not in u["off"],
            "stitch": not post.get("disable_stitch") and "stitch" not in u["off"],
            "brand_content": bool(post.get("brand_content_toggle")),
            "brand_organic": bool(post.get("brand_organic_toggle"))}


def init_direct(sb: State, r: Request) -> Response:
    return _init(sb, r, inbox=False)


def init_inbox(sb: State, r: Request) -> Response:
    return _init(sb, r, inbox=True)


def put_chunk(sb: State, r: Request) -> Response:
    upload_id, token = r.args.get("upload_id", ""), r.args.get("upload_token", "")
    with sb.lock:
        job = sb.tiktok_jobs.get(upload_id)
    if job is None or job["token"] != token:
        return Response(status=404)
    if sb.clock() - job["created"] > UPLOAD_URL_LIFETIME:
        return Response(status=403)
    m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", r.headers.get("Content-Range", ""))
    if not m:
        return Response(status=400)
    first, last, total = map(int, m.groups())
    index = first // job["chunk"] if job["chunk"] else 0
    expected_last = job["size"] - 1 if index == job["count"] - 1 else first + job["chunk"] - 1
    if total != job["size"] or first != job["received"] or last != expected_last:
        while r.stream.read(BLOCK):
            pass
        return Response(status=416)
    received = 0
    while block := r.stream.read(BLOCK):
        job["hash"].update(block)
        received += len(block)
    if received != last - first + 1:
        return Response(status=400)
    with sb.lock:
        job["received"] += received
        if job["received"] >= job["size"]:
            job["complete_at"] = sb.clock()
            job["sha256"] = job["hash"].hexdigest()
            done = Response(status=201)
            done.effect = True  # the upload is complete: TikTok now publishes it
            return done
    return Response(status=206)


def _settle(sb: State, job: dict[str, Any]) -> None:
    if job["complete_at"] is None or job["status"] != "PROCESSING_UPLOAD":
        return
    if sb.clock() - job["complete_at"] < sb.processing_seconds:
        return
    if job["inbox"]:  # a draft in the creator's inbox: nothing is public until they post it in the app
        job["status"] = R.TT_INBOX_STATUS
        return
    job["status"] = "PUBLISH_COMPLETE"
    job["post_id"] = int(new_id())
    job["published_at"] = sb.clock()
    sb.record("tiktok", job["user"], str(job["post_id"]), "video", job["title"], sha256=job.get("sha256"),
              size=job["size"], settings=job["settings"])


def post_draft(sb: State, publish_id: str, privacy: str = "PUBLIC_TO_EVERYONE") -> int:
    """The person opens the TikTok app and posts the draft loa sent to their inbox, choosing who
    sees it there: it is public now (the ledger records it) and its status says so."""
    with sb.lock:
        job = next(j for j in sb.tiktok_jobs.values() if j["publish_id"] == publish_id)
        _settle(sb, job)
        if job["status"] != R.TT_INBOX_STATUS:
            raise ValueError(f"{publish_id} is not a draft in the inbox ({job['status']})")
        job.update(status=R.TT_INBOX_POSTED_STATUS, post_id=int(new_id()), published_at=sb.clock(), privacy=privacy)
        sb.record("tiktok", job["user"], str(job["post_id"]), "video", job["title"], sha256=job.get("sha256"),
                  size=job["size"], settings={"privacy": privacy, "posted_from": "inbox"})
        return job["post_id"]


def drafts(sb: State) -> list[dict[str, Any]]:
    """The drafts waiting in creators' inboxes (not public, not in the ledger)."""
    with sb.lock:
        return [dict(j) for j in sb.tiktok_jobs.values() if j["inbox"] and j["status"] == R.TT_INBOX_STATUS]


def settle_all(sb: State) -> None:
    """TikTok publishes a complete upload on its own clock, polled or not."""
    with sb.lock:
        for job in sb.tiktok_jobs.values():
            _settle(sb, job)


def status_fetch(sb: State, r: Request) -> Response:
    user, e = _user(sb, r)
    if e:
        return e
    if not sb._window(f"tt-status:{user}", R.TT_STATUS_A_MINUTE, 60):
        return fail("rate_limit_exceeded", "status: 30 requests per minute", 429)
    publish_id = (r.get_json(force=True, silent=True) or {}).get("publish_id", "")
    with sb.lock:
        job = next((j for j in sb.tiktok_jobs.values() if j["publish_id"] == publish_id and j["user"] == user), None)
        if job is None:
            return fail("invalid_publish_id", "publish_id does not exist", 400)
        if job["complete_at"] is None and sb.clock() - job["created"] > UPLOAD_URL_LIFETIME:
            job["status"] = "FAILED"
            job["fail_reason"] = "file_format_check_failed"
        _settle(sb, job)
        data: dict[str, Any] = {"status": job["status"], "uploaded_bytes": job["received"]}
        if job["status"] == "FAILED":
            data["fail_reason"] = job.get("fail_reason", "internal")
        if job["status"] == "PUBLISH_COMPLETE":  # the public id comes after moderation, as on TikTok
            public = job["privacy"] != "SELF_ONLY" and sb.clock() - job["published_at"] >= sb.moderation_seconds
            data["publicaly_available_post_id"] = [job["post_id"]] if public else []
    return ok(data)
