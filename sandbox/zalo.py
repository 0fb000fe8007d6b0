"""The Zalo OA Open API stand-in: OAuth v4 single-use refresh, articles, video upload."""
from __future__ import annotations

import re
import secrets
from typing import Any

from werkzeug.wrappers import Request, Response

from . import rules as R
from .state import State
from .web import consent_screen, json_response, new_id, read_body, redirect_with, s256

VERIFY_PROCESSING_TIMES = 1  # the first verify of each token answers -214
# A new article is processed on Zalo's own clock: until then verify answers -214 and getslice does
# not list it (after processing_seconds, or once a verify has given its id, whichever comes first).


def route(sb: State, method: str, host: str, rest: str):
    if host == "oauth.zaloapp.com" and method == "POST" and rest == "/v4/oa/access_token":
        return lambda r: token(sb, r)
    if host == "oauth.zaloapp.com" and method == "GET" and rest == "/v4/oa/permission":
        return lambda r: permission(sb, r)
    if host != "openapi.zalo.me":
        return None
    table = {
        ("POST", "/v2.0/article/create"): create,
        ("POST", "/v2.0/article/verify"): verify,
        ("POST", "/v2.0/article/update"): update,
        ("POST", "/v2.0/article/remove"): remove,
        ("GET", "/v2.0/article/getslice"): getslice,
        ("GET", "/v2.0/article/getdetail"): getdetail,
        ("GET", "/v2.0/oa/getoa"): getoa,
        ("POST", "/v2.0/article/upload_video/preparevideo"): prepare_video,
        ("GET", "/v2.0/article/upload_video/verify"): verify_video,
    }
    fn = table.get((method, rest))
    return (lambda r: fn(sb, r)) if fn else None


def ok(data: Any, effect: bool = False) -> Response:
    return json_response({"error": 0, "message": "Success", "data": data}, effect=effect)


def err(code: int, message: str) -> Response:
    return json_response({"error": code, "message": message})  # Zalo answers errors with HTTP 200


def _oa(sb: State, r: Request) -> tuple[str | None, Response | None]:
    value = r.headers.get("access_token", "")
    with sb.lock:
        t = sb.tokens.get(value)
        if t is None or t.kind != "access" or t.account not in sb.zalo_oas:
            return None, err(-216, "Access token is invalid")
        if t.expires < sb.clock():
            return None, err(-220, "Access token has expired")
        return t.account, None


def permission(sb: State, r: Request) -> Response:
    """The OA admin approves the app; Zalo sends them back with a code and the OA's id."""
    app_id = r.args.get("app_id", "")
    with sb.lock:
        oa = next((k for k, v in sb.zalo_oas.items() if v["app_id"] == app_id), None)
    if oa is None:
        return Response("unknown app_id", status=400)

    def allow() -> Response:
        code = "zcode-" + new_id()
        with sb.lock:
            sb.codes[code] = {"platform": "zalo", "oa": oa, "challenge": r.args.get("code_challenge", "")}
        return redirect_with(r.args.get("redirect_uri", ""), code=code, oa_id=oa, state=r.args.get("state", ""))

    return consent_screen(r, platform="Zalo Official Account", who=f"OA {oa}",
                          scopes="manage_articles send_messages", allow=allow)


def token(sb: State, r: Request) -> Response:
    app_id, secret = r.form.get("app_id", ""), r.headers.get("secret_key", "")
    with sb.lock:
        oa = next((k for k, v in sb.zalo_oas.items() if v["app_id"] == app_id), None)
        if oa is None or sb.zalo_oas[oa]["app_secret"] != secret:
            return json_response({"error": -14002, "error_name": "invalid_app",
                                  "error_description": "app_id or secret_key is wrong"})
        if r.form.get("grant_type") == "authorization_code":
            grant = sb.codes.pop(r.form.get("code", ""), None)
            if grant is None or grant["oa"] != oa or grant["challenge"] != s256(r.form.get("code_verifier", "")):
                return json_response({"error": -14019, "error_name": "invalid_grant",
                                      "error_description": "Invalid code or code_verifier"})
            access = sb._token(oa, "access", sb.access_lifetime["zalo"], "za.")
            refresh = sb._token(oa, "refresh", 90 * 86400, "zr.")
            return json_response({"access_token": access, "refresh_token": refresh,
                                  "expires_in": str(sb.access_lifetime["zalo"])})
        if r.form.get("grant_type") != "refresh_token":
            return json_response({"error": -14003, "error_name": "unsupported_grant_type",
                                  "error_description": "grant_type not supported by the sandbox"})
        old = sb.tokens.get(r.form.get("refresh_token", ""))
        if old is None or old.kind != "refresh" or old.account != oa or old.expires < sb.clock():
            return json_response({"error": -14014, "error_name": "invalid_grant",
                                  "error_description": "Invalid refresh token"})
        del sb.tokens[old.value]  # single use
        access = sb._token(oa, "access", sb.access_lifetime["zalo"], "za.")
        refresh = sb._token(oa, "refresh", 90 * 86400, "zr.")
    return json_response({"access_token": access, "refresh_token": refresh,
                          "expires_in": str(sb.access_lifetime["zalo"])})


def _check_article(body: dict[str, Any], oa: str, sb: State) -> Response | None:
    kind = body.get("type")
    title = body.get("title") or ""
    if kind not in ("normal", "video"):
        return err(-201, "type must be normal or video")
    if not title:
        return err(-201, "title is required")
    if len(title) >= R.ZALO_TITLE_MAX:
        return err(-210, f"title allow 1 to {R.ZALO_TITLE_MAX} characters")
    if len(body.get("description") or "") >= R.ZALO_DESCRIPTION_MAX:
        return err(-210, f"description allow 1 to {R.ZALO_DESCRIPTION_MAX} characters")
    if len(body.get("author") or "") > R.ZALO_AUTHOR_MAX:
        return err(-210, "author is over 50 characters")
    if kind == "normal" and not (body.get("author") or "").strip():
        return err(*R.ZALO_AUTHOR_MISSING)
    if body.get("status", "show") not in ("show", "hide"):
        return err(-201, "status must be show or hide")
    if kind == "normal":
        cover = body.get("cover") or {}
        if not re.match(r"https?://", cover.get("photo_url") or ""):
            return err(-201, "cover.photo_url must be a public URL")
        if not _url_form_ok(cover["photo_url"]):
            return err(*R.ZALO_COVER_INVALID)
        if not body.get("body"):
            return err(-201, "body is required")
    else:
        video = next((v for v in sb.zalo_videos.values() if v.get("video_id") == body.get("video_id")), None)
        if video is None or video["oa"] != oa:
            return err(-201, "video_id is not valid")
        if not re.match(r"https?://", body.get("avatar") or ""):
            return err(-201, "avatar must be a public URL")
    return None


def _url_form_ok(url: str) -> bool:
    """Only printable ASCII without spaces: a space or a Vietnamese letter is "invalid" to Zalo."""
    return all(33 <= ord(c) < 127 for c in url)


def _cover_fault(url: str) -> tuple[int, str] | None:
    """What Zalo finds when it fetches the cover at verify time. The sandbox really fetches an
    address on this machine (the campaign's own public pages in a rehearsal), refusing one it
    cannot read or of ZALO_COVER_MAX bytes and more; an address elsewhere is taken as a picture
    Zalo can read (the sandbox has no internet)."""
    import urllib.request
    from urllib.parse import urlsplit

    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (loopback only, above)
            data = resp.read(R.ZALO_COVER_MAX)
            if resp.status != 200 or not data or len(data) >= R.ZALO_COVER_MAX:
                return R.ZALO_COVER_FAILED
    except OSError:
        return R.ZALO_COVER_FAILED
    return None


def _text_of(body: dict[str, Any]) -> str:
    return body.get("title", "")


def _apply(sb: State, article: dict[str, Any], body: dict[str, Any]) -> None:
    was_shown = article.get("status") == "show"
    article.update({k: v for k, v in body.items() if k not in ("id",)})
    if article.get("status") == "show" and not was_shown:
        sb.record("zalo", article["oa"], article["id"], article["type"], _text_of(article))


def create(sb: State, r: Request) -> Response:
    oa, e = _oa(sb, r)
    if e:
        return e
    body = r.get_json(force=True, silent=True) or {}
    if (problem := _check_article(body, oa, sb)):
        return problem
    with sb.lock:
        article_id = secrets.token_hex(16)
        article = {"id": article_id, "oa": oa, "create_date": int(sb.clock() * 1000), "status": "hide",
                   "link_view": f"https://zalo.me/s/{oa}/{article_id}", "total_view": 0,
                   "processed_at": sb.clock() + sb.processing_seconds}
        _apply(sb, article, {**body, "status": body.get("status", "show")})
        sb.zalo_articles[article_id] = article
        tok = secrets.token_urlsafe(24)
        sb.zalo_jobs[tok] = {"id": article_id, "oa": oa, "verifies": 0}
    return ok({"token": tok}, effect=True)


def update(sb: State, r: Request) -> Response:
    oa, e = _oa(sb, r)
    if e:
        return e
    body = r.get_json(force=True, silent=True) or {}
    with sb.lock:
        article = sb.zalo_articles.get(str(body.get("id", "")))
        if article is None or article["oa"] != oa:
            return err(-201, "id is not valid")
    if (problem := _check_article(body, oa, sb)):
        return problem
    with sb.lock:
        _apply(sb, article, body)
        tok = secrets.token_urlsafe(24)
        sb.zalo_jobs[tok] = {"id": article["id"], "oa": oa, "verifies": 0}
    return ok({"token": tok}, effect=True)


def verify(sb: State, r: Request) -> Response:
    oa, e = _oa(sb, r)
    if e:
        return e
    tok = (r.get_json(force=True, silent=True) or {}).get("token", "")
    with sb.lock:
        job = sb.zalo_jobs.get(tok)
        if job is None or job["oa"] != oa:
            return err(-201, "token is not valid")
        job["verifies"] += 1
        article = sb.zalo_articles.get(job["id"], {})
        if job["verifies"] <= VERIFY_PROCESSING_TIMES and not _processed(sb, article):
            return err(-214, "Article is being processed")
        url = (article.get("cover") or {}).get("photo_url", "") if article.get("type") == "normal" else ""
    fault = job.get("cover_fault", "unread")
    if fault == "unread":  # Zalo fetches the cover once, when it processes the article
        fault = _cover_fault(url) if url else None
    with sb.lock:
        job["cover_fault"] = fault
        if fault:  # never published with a cover Zalo could not read
            article["status"] = "hide"
            sb.ledger[:] = [x for x in sb.ledger if not (x["platform"] == "zalo" and x["remote_id"] == job["id"])]
            return err(*fault)
        article["processed_at"] = min(article.get("processed_at", 0), sb.clock())
    return ok({"id": job["id"]})


def _processed(sb: State, article: dict[str, Any]) -> bool:
    return article.get("processed_at", 0) <= sb.clock()


def remove(sb: State, r: Request) -> Response:
    oa, e = _oa(sb, r)
    if e:
        return e
    article_id = str((r.get_json(force=True, silent=True) or {}).get("id", ""))
    with sb.lock:
        article = sb.zalo_articles.get(article_id)
        if article is None or article["oa"] != oa:
            return err(-201, "id is not valid")
        article["status"] = "removed"
    return ok({"id": article_id})


def _listed(sb: State, a: dict[str, Any], *, asked: bool) -> dict[str, Any]:
    """An article as Zalo gives it, with a shown article's numbers; remembered as given to loa
    only when loa asked for this one article (getdetail), not when it came in a listing."""
    counts = sb.numbers(a["id"]) if a["status"] == "show" else None
    if counts and asked:
        sb.gave(a["id"], views=counts["views"], shares=counts["shares"])
    return {"id": a["id"], "title": a["title"], "status": a["status"], "create_date": a["create_date"],
            "link_view": a["link_view"], "type": a["type"],
            "total_view": counts["views"] if counts else a["total_view"],
            **({"total_share": counts["shares"]} if counts else {})}


def getslice(sb: State, r: Request) -> Response:
    oa, e = _oa(sb, r)
    if e:
        return e
    kind = r.args.get("type", "normal")
    offset, limit = int(r.args.get("offset", 0)), int(r.args.get("limit", R.ZALO_LIST_MAX))
    if limit > R.ZALO_LIST_MAX:
        return err(*R.ZALO_LIST_TOO_MANY)
    with sb.lock:
        rows = [a for a in sb.zalo_articles.values() if a["oa"] == oa and a["type"] == kind and a["status"] != "removed"
                and _processed(sb, a)]
        rows.sort(key=lambda a: a["create_date"], reverse=True)
        medias = [_listed(sb, a, asked=False) for a in rows[offset: offset + limit]]
    return ok({"medias": medias, "total": len(rows)})


def getoa(sb: State, r: Request) -> Response:
    """The OA's own description (``GET /v2.0/oa/getoa``). UNVERIFIED: the field names beyond
    ``oa_id`` and ``name``."""
    oa, e = _oa(sb, r)
    if e:
        return e
    with sb.lock:
        info = sb.zalo_oas[oa]
        return ok({"oa_id": oa, "name": info["name"], "description": "", "is_verified": True,
                   "package_name": info.get("package", "Nâng cao")})


def getdetail(sb: State, r: Request) -> Response:
    """One article by its id, with its public link and numbers (``GET /v2.0/article/getdetail?id=``)."""
    oa, e = _oa(sb, r)
    if e:
        return e
    with sb.lock:
        a = sb.zalo_articles.get(r.args.get("id", ""))
        if a is None or a["oa"] != oa or a["status"] == "removed" or not _processed(sb, a):
            return err(-201, "id is not valid")
        return ok(_listed(sb, a, asked=True))


def prepare_video(sb: State, r: Request) -> Response:
    oa, e = _oa(sb, r)
    if e:
        return e
    upload = r.files.get("file")
    if upload is None:
        return err(-201, "file is required")
    if not (upload.filename or "").lower().endswith((".mp4", ".avi")):
        return err(-201, "only mp4 and avi are accepted")
    size, digest = read_body(upload.stream)
    if size > R.ZALO_VIDEO_MAX:
        return err(-210, "file is over 50MB")
    tok = secrets.token_urlsafe(24)
    with sb.lock:
        sb.zalo_videos[tok] = {"oa": oa, "size": size, "sha256": digest, "at": sb.clock(), "video_id": None,
                               "name": upload.filename}
    return ok({"token": tok})


def verify_video(sb: State, r: Request) -> Response:
    oa, e = _oa(sb, r)
    if e:
        return e
    tok = r.headers.get("token", "")
    with sb.lock:
        video = sb.zalo_videos.get(tok)
        if video is None or video["oa"] != oa:
            return err(-201, "token is not valid")
        elapsed = sb.clock() - video["at"]
        if elapsed < sb.processing_seconds:
            pct = int(100 * elapsed / max(sb.processing_seconds, 0.001))
            return ok({"status": 3, "convert_percent": pct, "convert_error_code": 0, "video_id": "",
                       "video_name": video["name"], "video_size": video["size"]})
        if not video["video_id"]:
            video["video_id"] = new_id()
    return ok({"status": 1, "convert_percent": 100, "convert_error_code": 0, "video_id": video["video_id"],
               "video_name": video["name"], "video_size": video["size"]})
