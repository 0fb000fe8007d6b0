"""The Facebook Graph API stand-in: Page feed, photos, Reels (rupload), chunked /videos."""
from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from werkzeug.wrappers import Request, Response

from . import rules as R
from .state import State
from .web import BLOCK, consent_screen, fb_error, json_response, new_id, path_match, read_body, redirect_with

GRAPH_HOSTS = ("graph.facebook.com", "graph-video.facebook.com")


def route(sb: State, method: str, host: str, rest: str):
    if host == "rupload.facebook.com" and method == "POST" and path_match(r"/video-upload/{ver}/\d+", rest):
        return lambda r: rupload(sb, r, rest.rsplit("/", 1)[1])
    if host == "www.facebook.com" and method == "GET" and path_match(r"/{ver}/dialog/oauth", rest):
        return lambda r: consent(sb, r)
    if host not in GRAPH_HOSTS:
        return None
    ended = _version_ended(sb, rest)
    if ended:
        return lambda r: fb_error(*ended, status=400)
    if method == "GET" and path_match(r"/{ver}/me/permissions", rest):
        return lambda r: permissions(sb, r)
    if method == "GET" and path_match(r"/{ver}/me/accounts", rest):
        return lambda r: me_accounts(sb, r)
    if method == "GET" and path_match(r"/{ver}/oauth/access_token", rest):
        return lambda r: exchange(sb, r)
    m = path_match(r"/{ver}/(\d+)/(feed|photos|video_reels|videos|published_posts|scheduled_posts)", rest)
    if m:
        page, edge = m.group(1), m.group(2)
        handlers = {("POST", "feed"): feed, ("POST", "photos"): photos, ("POST", "video_reels"): video_reels,
                    ("POST", "videos"): videos, ("GET", "published_posts"): listing, ("GET", "scheduled_posts"): listing}
        fn = handlers.get((method, edge))
        if fn:
            return lambda r: fn(sb, r, page, edge)
    m = path_match(r"/{ver}/([0-9_]+)/(insights|video_insights)", rest)
    if m and method == "GET":
        return lambda r: insights(sb, r, m.group(1), m.group(2))
    m = path_match(r"/{ver}/([0-9_]+)", rest)
    if m and method == "GET":
        return lambda r: get_object(sb, r, m.group(1))
    return None


def _version_ended(sb: State, rest: str) -> tuple[int, str] | None:
    from datetime import datetime, timezone

    version = rest.lstrip("/").split("/", 1)[0]
    end = R.FB_VERSION_ENDS.get(version)
    if end and datetime.fromtimestamp(sb.clock(), timezone.utc).date().isoformat() >= end:
        return R.FB_VERSION_ENDED
    return None


# --- auth ---------------------------------------------------------------------------------
def _token_value(r: Request) -> str:
    auth = r.headers.get("Authorization", "")
    if auth.startswith("OAuth "):
        return auth[6:]
    return r.args.get("access_token") or r.form.get("access_token") or ""


def _auth(sb: State, r: Request, page: str | None, kind: str = "page") -> Response | None:
    value = _token_value(r)
    with sb.lock:
        token = sb.tokens.get(value)
        if token is None or token.kind != kind:
            return fb_error(190, "Invalid OAuth access token - Cannot parse access token", status=400)
        if token.expires < sb.clock():
            return fb_error(190, "Error validating access token: Session has expired.", status=400, subcode=463)
        if page is not None and token.account != page:
            return fb_error(200, "Permissions error", status=403)
    return None


def _usage(sb: State, page: str, response: Response) -> Response:
    with sb.lock:
        calls = len([t for t in sb.windows.get(f"fb-calls:{page}", []) if sb.clock() - t < 3600])
    sb._window(f"fb-calls:{page}", 10**9, 3600)
    pct = min(100, calls * 100 // 4800)
    response.headers["X-Business-Use-Case-Usage"] = json.dumps(
        {page: [{"type": "pages", "call_count": pct, "total_cputime": pct // 2, "total_time": pct // 2,
                 "estimated_time_to_regain_access": 0}]})
    response.headers["X-App-Usage"] = json.dumps({"call_count": pct, "total_cputime": 0, "total_time": 0})
    return response


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _publish_post(sb: State, obj: dict[str, Any]) -> None:
    obj["is_published"] = True
    obj["created"] = sb.clock()
    sb.record("facebook", obj["page"], obj["id"], obj["kind"], obj.get("message", ""), sha256=obj.get("sha256"))


def _video_published(sb: State, obj: dict[str, Any], now: float) -> None:
    """A video goes out as a Page post of its own: the Video node's post_id."""
    obj["publish"] = "published"
    obj["created"] = now
    post_id = f"{obj['page']}_{new_id()}"
    obj["post_id"] = post_id
    sb.fb_objects[post_id] = {"type": "post", "kind": "video_post", "id": post_id, "page": obj["page"],
                              "message": obj.get("description", ""), "is_published": True, "created": now,
                              "permalink": obj["permalink"], "counts_of": obj["id"]}
    sb.record("facebook", obj["page"], obj["id"], "reel" if obj["reel"] else "video",
              obj.get("description", ""), sha256=obj.get("sha256"), size=obj.get("size"))


def settle(sb: State) -> None:
    """Scheduled posts whose time has come are published; finished videos become ready."""
    now = sb.clock()
    published: list[dict[str, Any]] = []
    with sb.lock:
        for obj in sb.fb_objects.values():
            if obj["type"] == "post" and not obj["is_published"] and obj.get("scheduled") and obj["scheduled"] <= now:
                _publish_post(sb, obj)
            if obj["type"] == "video" and obj.get("finished_at") and obj["status"] == "processing" \
                    and now - obj["finished_at"] >= sb.processing_seconds:
                obj["status"] = "ready"
                if obj.get("scheduled") and obj["scheduled"] > now:
                    obj["publish"] = "scheduled"
                elif obj.get("video_state", "PUBLISHED") == "PUBLISHED" or obj.get("scheduled"):
                    published.append(obj)
            if obj["type"] == "video" and obj.get("publish") == "scheduled" and obj["scheduled"] <= now:
                published.append(obj)
        for obj in published:  # new post objects: not while the loop above reads the dict
            _video_published(sb, obj, now)


def _schedule(sb: State, r: Request, reel: bool = False) -> tuple[float | None, Response | None]:
    raw = r.form.get("scheduled_publish_time")
    if not raw:
        return None, None
    ahead = float(raw) - sb.clock()
    top = R.FB_REEL_SCHEDULE_LATEST if reel else R.FB_SCHEDULE_LATEST
    if not R.FB_SCHEDULE_EARLIEST <= ahead <= top:
        return None, fb_error(100, "(#100) The specified scheduled publish time is invalid.", status=400)
    return float(raw), None


# --- posts --------------------------------------------------------------------------------
def feed(sb: State, r: Request, page: str, edge: str) -> Response:
    if (err := _auth(sb, r, page)):
        return err
    message = r.form.get("message", "")
    if not message and not r.form.get("link"):
        return fb_error(100, "(#100) Requires one of the params: message, link", status=400)
    if len(message) > R.FB_POST_MESSAGE_MAX:
        return fb_error(100, "(#100) Message too long", status=400)
    scheduled, err = _schedule(sb, r)
    if err:
        return err
    published = r.form.get("published", "true").lower() != "false"
    if not published and scheduled is None:
        scheduled = None  # an unpublished post with no time: a draft
    post_id = f"{page}_{new_id()}"
    obj = {"type": "post", "kind": "feed", "id": post_id, "page": page, "message": message,
           "link": r.form.get("link", ""), "is_published": False, "scheduled": scheduled, "created": sb.clock(),
           "permalink": f"https://www.facebook.com/{page}/posts/{post_id.split('_')[1]}"}
    with sb.lock:
        sb.fb_objects[post_id] = obj
        if published:
            _publish_post(sb, obj)
    return _usage(sb, page, json_response({"id": post_id}, effect=True))


def photos(sb: State, r: Request, page: str, edge: str) -> Response:
    if (err := _auth(sb, r, page)):
        return err
    upload = r.files.get("source")
    if upload is None and not r.form.get("url"):
        return fb_error(324, "(#324) Requires upload file", status=400)
    size, digest = read_body(upload.stream) if upload is not None else (0, "")
    if size > R.FB_PHOTO_MAX:
        return fb_error(100, "Photo is too large", status=400, subcode=1366046)
    scheduled, err = _schedule(sb, r)
    if err:
        return err
    photo_id, post_id = new_id(), f"{page}_{new_id()}"
    obj = {"type": "post", "kind": "photo", "id": post_id, "page": page, "message": r.form.get("caption", ""),
           "is_published": False, "scheduled": scheduled, "created": sb.clock(), "sha256": digest,
           "permalink": f"https://www.facebook.com/photo/?fbid={photo_id}"}
    with sb.lock:
        sb.fb_objects[post_id] = obj
        sb.fb_objects[photo_id] = {**obj, "id": photo_id, "alias_of": post_id}
        if r.form.get("published", "true").lower() != "false":
            _publish_post(sb, obj)
    return _usage(sb, page, json_response({"id": photo_id, "post_id": post_id}, effect=True))


def listing(sb: State, r: Request, page: str, edge: str) -> Response:
    if (err := _auth(sb, r, page)):
        return err
    settle(sb)
    since = float(r.args.get("since", 0) or 0)
    want_published = edge == "published_posts"
    limit = min(int(r.args.get("limit", 25)), 100)
    start = int(base64.urlsafe_b64decode(r.args["after"]).decode()) if r.args.get("after") else 0
    with sb.lock:
        # a video's own post is not listed here (a simplification: Facebook lists it too)
        rows = [o for o in sb.fb_objects.values() if o["type"] == "post" and o["page"] == page
                and "alias_of" not in o and "counts_of" not in o and o["is_published"] == want_published
                and o["created"] >= since]
        rows.sort(key=lambda o: o["created"], reverse=True)
        data = [{"id": o["id"], "message": o["message"], "created_time": _iso(o["created"]),
                 "permalink_url": o["permalink"]} for o in rows[start: start + limit]]
    body: dict[str, Any] = {"data": data}
    if start + limit < len(rows):  # Graph API cursor paging: follow paging.next
        after = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        query = {k: v for k, v in r.args.items() if k != "after"}
        query["after"] = after
        body["paging"] = {"cursors": {"after": after},
                          "next": f"{sb.upload_base('graph.facebook.com')}{r.path.split('graph.facebook.com', 1)[1]}?"
                                  + "&".join(f"{k}={v}" for k, v in query.items())}
    return _usage(sb, page, json_response(body))


# --- videos -------------------------------------------------------------------------------
def _new_video(sb: State, page: str, reel: bool, size: int | None = None) -> dict[str, Any]:
    video_id = new_id()
    obj = {"type": "video", "id": video_id, "page": page, "reel": reel, "uploaded": 0, "size": size,
           "hash": hashlib.sha256(), "status": "uploading", "publish": "not_published",
           "permalink": (f"https://www.facebook.com/reel/{video_id}" if reel
                         else f"https://www.facebook.com/watch/?v={video_id}")}
    sb.fb_objects[video_id] = obj
    return obj


def video_reels(sb: State, r: Request, page: str, edge: str) -> Response:
    if (err := _auth(sb, r, page)):
        return err
    phase = r.form.get("upload_phase") or (r.get_json(silent=True) or {}).get("upload_phase")
    if phase == "start":
        with sb.lock:
            obj = _new_video(sb, page, reel=True)
        return _usage(sb, page, json_response({
            "video_id": obj["id"],
            "upload_url": f"{sb.upload_base('rupload.facebook.com')}/video-upload/{R.GRAPH_VERSION}/{obj['id']}"}))
    if phase == "finish":
        video_id = r.form.get("video_id", "")
        with sb.lock:
            obj = sb.fb_objects.get(video_id)
            if obj is None or obj["page"] != page or not obj["reel"]:
                return fb_error(100, "(#100) Invalid video_id", status=400)
            if obj["size"] is None or obj["uploaded"] < obj["size"]:
                return fb_error(100, "(#100) The video upload is not complete", status=400)
            if obj.get("finished_at"):
                return fb_error(100, "(#100) This video has already been published", status=400, subcode=1363130)
        if not sb._window(f"fb-reels:{page}", R.FB_REELS_A_DAY, 86400):
            return fb_error(4, "Reels publishing limit reached (30 per Page per 24 hours)", status=400)
        scheduled, err = _schedule(sb, r, reel=True)
        if err:
            return err
        with sb.lock:
            obj.update(finished_at=sb.clock(), status="processing", description=r.form.get("description", ""),
                       video_state=r.form.get("video_state", "PUBLISHED"), scheduled=scheduled)
        return _usage(sb, page, json_response({"success": True}, effect=True))
    return fb_error(100, "(#100) upload_phase must be start or finish", status=400)


def rupload(sb: State, r: Request, video_id: str) -> Response:
    with sb.lock:
        obj = sb.fb_objects.get(video_id)
    if obj is None:
        return json_response({"debug_info": {"retriable": False, "type": "NotFoundError", "message": "unknown video"}}, 404)
    if (err := _auth(sb, r, obj["page"])):
        return err
    try:
        offset, total = int(r.headers.get("offset", "0")), int(r.headers.get("file_size", "0"))
    except ValueError:
        return json_response({"debug_info": {"retriable": False, "type": "BadRequest", "message": "bad headers"}}, 400)
    with sb.lock:
        if offset != obj["uploaded"]:
            return json_response({"debug_info": {"retriable": False, "type": "ProcessingFailedError",
                                                 "message": f"offset {offset} does not match {obj['uploaded']}"}}, 400)
        obj["size"] = total
    while block := r.stream.read(BLOCK):
        with sb.lock:
            obj["hash"].update(block)
            obj["uploaded"] += len(block)
    with sb.lock:
        if obj["uploaded"] >= total:
            obj["sha256"] = obj["hash"].hexdigest()
            obj["status"] = "upload_complete"
    return json_response({"success": True})


def videos(sb: State, r: Request, page: str, edge: str) -> Response:
    if (err := _auth(sb, r, page)):
        return err
    phase = r.form.get("upload_phase")
    if phase == "start":
        size = int(r.form.get("file_size", "0") or 0)
        if size <= 0:
            return fb_error(100, "(#100) file_size is required", status=400)
        with sb.lock:
            obj = _new_video(sb, page, reel=False, size=size)
            obj["session"] = new_id()
        return _usage(sb, page, json_response({"video_id": obj["id"], "upload_session_id": obj["session"],
                                               "start_offset": "0", "end_offset": str(min(sb.facebook_chunk, size))}))
    session = r.form.get("upload_session_id", "")
    with sb.lock:
        obj = next((o for o in sb.fb_objects.values() if o.get("session") == session and o["page"] == page), None)
    if obj is None:
        return fb_error(100, "(#100) Invalid upload_session_id", status=400)
    if phase == "transfer":
        start = int(r.form.get("start_offset", "-1"))
        chunk = r.files.get("video_file_chunk")
        if chunk is None:
            return fb_error(100, "(#100) video_file_chunk is required", status=400)
        if start != obj["uploaded"]:
            chunk.stream.read()
            return fb_error(6000, "There was a problem uploading your video file. Please try again.", status=400,
                            subcode=1363037, error_data={"start_offset": str(obj["uploaded"]),
                                                         "end_offset": str(min(obj["uploaded"] + sb.facebook_chunk, obj["size"]))})
        while block := chunk.stream.read(BLOCK):
            obj["hash"].update(block)
            obj["uploaded"] += len(block)
        end = min(obj["uploaded"] + sb.facebook_chunk, obj["size"])
        return _usage(sb, page, json_response({"start_offset": str(obj["uploaded"]), "end_offset": str(end)}))
    if phase == "finish":
        if obj["uploaded"] < obj["size"]:
            return fb_error(100, "(#100) The video upload is not complete", status=400)
        if obj.get("finished_at"):
            return fb_error(100, "(#100) This upload session is already finished", status=400)
        scheduled, err = _schedule(sb, r)
        if err:
            return err
        with sb.lock:
            obj.update(finished_at=sb.clock(), status="processing", description=r.form.get("description", ""),
                       title=r.form.get("title", ""), sha256=obj["hash"].hexdigest(), scheduled=scheduled,
                       video_state="PUBLISHED" if r.form.get("published", "true") != "false" or scheduled else "DRAFT")
        return _usage(sb, page, json_response({"success": True}, effect=True))
    return fb_error(100, "(#100) upload_phase must be start, transfer or finish", status=400)


# --- numbers ------------------------------------------------------------------------------
# The metrics a post's /insights and a video's /video_insights answer, by loa's name for them; the
# impressions family is retired on posts (code 100), as Meta retired it.
POST_METRICS = {"post_media_view": "views", "post_total_media_view_unique": "reach"}
RETIRED = {"post_impressions", "post_impressions_unique"}
VIDEO_METRICS = {"blue_reels_play_count": "plays", "post_impressions_unique": "reach",
                 "post_video_avg_time_watched": "avg_watch_seconds", "total_video_views": "plays",
                 "total_video_views_unique": "reach", "total_video_avg_time_watched": "avg_watch_seconds"}


def insights(sb: State, r: Request, object_id: str, edge: str) -> Response:
    settle(sb)
    with sb.lock:
        obj = sb.fb_objects.get(object_id)
    if obj is None:
        return fb_error(100, f"(#100) Object with ID '{object_id}' does not exist", status=400, subcode=33)
    if (err := _auth(sb, r, obj["page"])):
        return err
    if R.FB_INSIGHTS_PERMISSION not in _scopes(sb, r):
        return fb_error(*R.FB_NO_PERMISSION, status=403)
    name = r.args.get("metric", "")
    table = POST_METRICS if edge == "insights" else VIDEO_METRICS
    if name in RETIRED and edge == "insights" or name not in table:
        return fb_error(100, f"(#100) The value must be a valid insights metric: {name}", status=400)
    with sb.lock:
        if sb.fb_pages.get(obj["page"], {}).get("small"):  # under 100 likes: no insights at all
            return json_response({"data": []})
        counts = sb.numbers(obj.get("published_id") or object_id) or sb.numbers(object_id)
    if counts is None:
        return json_response({"data": []})
    value = counts[table[name]]
    with sb.lock:
        sb.gave(object_id, **{table[name]: value}, **({"views": value} if table[name] == "plays" else {}))
    if name.endswith("avg_time_watched"):
        value = int(value * 1000)  # milliseconds, as Facebook gives them
    return json_response({"data": [{"name": name, "period": "lifetime", "values": [{"value": value}],
                                    "id": f"{object_id}/insights/{name}/lifetime"}]})


# --- objects and tokens -------------------------------------------------------------------
def get_object(sb: State, r: Request, object_id: str) -> Response:
    settle(sb)
    with sb.lock:
        obj = sb.fb_objects.get(object_id)
    if obj is None:
        return fb_error(100, f"(#100) Unsupported get request. Object with ID '{object_id}' does not exist", status=400,
                        subcode=33)
    if (err := _auth(sb, r, obj["page"])):
        return err
    fields = set((r.args.get("fields") or "id").split(","))
    if obj["type"] == "video" and "shares" in fields:
        return fb_error(*R.FB_VIDEO_NO_SHARES, status=400)
    out: dict[str, Any] = {"id": object_id}
    if "permalink_url" in fields:
        out["permalink_url"] = obj["permalink"]
    if obj["type"] == "video" and "post_id" in fields and obj.get("post_id"):
        out["post_id"] = obj["post_id"]
    if any(f.startswith(("reactions", "comments", "shares")) for f in fields):
        key = obj.get("counts_of") or object_id  # a video's post counts as the video (the ledger's id)
        with sb.lock:
            counts = sb.numbers(key)
        if counts is not None:
            if any(f.startswith("reactions") for f in fields):
                out["reactions"] = {"data": [], "summary": {"total_count": counts["reactions"]}}
                sb.gave(key, reactions=counts["reactions"])
            if any(f.startswith("comments") for f in fields):
                out["comments"] = {"data": [], "summary": {"total_count": counts["comments"]}}
                sb.gave(key, comments=counts["comments"])
            if "shares" in fields and counts["shares"]:
                out["shares"] = {"count": counts["shares"]}
                sb.gave(key, shares=counts["shares"])
    if obj["type"] == "post":
        if "is_published" in fields:
            out["is_published"] = obj["is_published"]
        if "message" in fields:
            out["message"] = obj["message"]
    if obj["type"] == "video" and "status" in fields:
        uploaded_done = obj["size"] is not None and obj["uploaded"] >= obj["size"]
        out["status"] = {
            "video_status": obj["status"],
            "uploading_phase": {"status": "complete" if uploaded_done else "in_progress",
                                "bytes_transfered": obj["uploaded"]},
            "processing_phase": {"status": "complete" if obj["status"] == "ready" else
                                 ("in_progress" if obj["status"] == "processing" else "not_started")},
            "publishing_phase": {"status": "complete" if obj["publish"] == "published" else "not_started",
                                 "publish_status": obj["publish"]},
        }
    return _usage(sb, obj["page"], json_response(out))


def _scopes(sb: State, r: Request) -> tuple[str, ...]:
    with sb.lock:
        token = sb.tokens.get(_token_value(r))
        scopes = sb.fb_scopes.get(token.account) if token else None
    return tuple(R.FB_SCOPES_GRANTED if scopes is None else scopes)


def permissions(sb: State, r: Request) -> Response:
    """``GET /me/permissions``: what the person granted, each ``granted`` (Meta's Graph API
    reference, User permissions); a Page token answers for the person who gave it."""
    value = _token_value(r)
    with sb.lock:
        token = sb.tokens.get(value)
    if token is None or token.expires < sb.clock():
        return fb_error(190, "Invalid OAuth access token - Cannot parse access token", status=400)
    return json_response({"data": [{"permission": p, "status": "granted"} for p in _scopes(sb, r)]})


def me_accounts(sb: State, r: Request) -> Response:
    if (err := _auth(sb, r, None, kind="user")):
        return err
    with sb.lock:
        page = sb.tokens[_token_value(r)].account
        token = sb._token(page, "page", 0, "EAAP")
        name = sb.fb_pages[page]["name"]
    return json_response({"data": [{"id": page, "name": name, "access_token": token,
                                    "tasks": ["CREATE_CONTENT", "MANAGE"]}]})


def consent(sb: State, r: Request) -> Response:
    """The Login dialog: the user approves and is sent back with a code for a new Page."""
    def allow() -> Response:
        creds = sb.new_account("facebook", name="Công an xã (sandbox)",
                               scopes=[x for x in r.args.get("scope", "").replace(" ", ",").split(",") if x])
        code = "fbcode-" + new_id()
        with sb.lock:
            sb.codes[code] = {"platform": "facebook", "user_token": creds["user_token"]}
        return redirect_with(r.args.get("redirect_uri", ""), code=code, state=r.args.get("state", ""))

    return consent_screen(r, platform="Facebook", who="Công an xã (sandbox)", scopes=r.args.get("scope", ""),
                          allow=allow)


def exchange(sb: State, r: Request) -> Response:
    if r.args.get("code"):
        with sb.lock:
            grant = sb.codes.pop(r.args["code"], None)
        if grant is None or grant["platform"] != "facebook":
            return fb_error(100, "Invalid verification code format.", status=400, subcode=36007)
        return json_response({"access_token": grant["user_token"], "token_type": "bearer", "expires_in": 3600})
    value = r.args.get("fb_exchange_token", "")
    with sb.lock:
        token = sb.tokens.get(value)
        if token is None or token.expires < sb.clock():
            return fb_error(190, "Invalid OAuth access token", status=400)
        new = sb._token(token.account, "user", 60 * 86400, "EAAU")
    return json_response({"access_token": new, "token_type": "bearer", "expires_in": 60 * 86400})
