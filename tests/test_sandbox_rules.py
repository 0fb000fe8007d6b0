"""The sandbox refuses what the platforms refuse (sandbox/rules.py, each rule with its source).
Each test sends the request the connectors used to send and sees it refused, then the corrected
one accepted: a connector that went back to the old behaviour fails against the sandbox."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from sandbox import Sandbox, SandboxServer
from sandbox import rules as R

ARTICLE = "openapi.zalo.me/v2.0/article"


@pytest.fixture
def zalo():
    sb = Sandbox(processing_seconds=0)
    with SandboxServer(sb) as server:
        creds = sb.new_account("zalo", name="Công an xã Kon Chiêng")
        session = requests.Session()
        session.headers["access_token"] = creds["access_token"]
        session.base = server.base
        session.sb = sb
        yield session


def body(**kw):
    article = {"type": "normal", "title": "Tiêu đề", "description": "Mô tả", "author": "Công an xã",
               "cover": {"cover_type": "photo", "photo_url": "https://example.org/bia.jpg", "status": "show"},
               "body": [{"type": "text", "content": "<p>x</p>"}], "status": "show", "comment": "show"}
    article.update(kw)
    return article


def create(zalo, **kw) -> dict:
    return zalo.post(f"{zalo.base}/{ARTICLE}/create", json=body(**kw)).json()


def verify(zalo, token: str) -> dict:
    return zalo.post(f"{zalo.base}/{ARTICLE}/verify", json={"token": token}).json()


def test_a_listing_page_holds_ten_at_most(zalo):
    """The connector asked for pages of 50: Zalo answers -201 "maximum limit is 10"."""
    old = zalo.get(f"{zalo.base}/{ARTICLE}/getslice", params={"offset": 0, "limit": 50, "type": "normal"})
    assert old.status_code == 200 and old.json()["error"] == R.ZALO_LIST_TOO_MANY[0]
    assert old.json()["message"] == "maximum limit is 10"
    new = zalo.get(f"{zalo.base}/{ARTICLE}/getslice", params={"offset": 0, "limit": 10, "type": "normal"})
    assert new.json()["error"] == 0


def test_a_normal_article_without_an_author_is_refused(zalo):
    article = body()
    del article["author"]  # what the connector sent when no author was set
    old = zalo.post(f"{zalo.base}/{ARTICLE}/create", json=article).json()
    assert (old["error"], old["message"]) == R.ZALO_AUTHOR_MISSING
    assert create(zalo)["error"] == 0


@pytest.mark.parametrize("field,cut,works", [("title", 150, 140), ("description", 300, 250)])
def test_the_documented_length_itself_is_refused_the_working_one_accepted(zalo, field, cut, works):
    """The connector cut at exactly 150/300; Zalo refused a title of exactly 150 in production."""
    assert create(zalo, **{field: "ữ" * cut})["error"] == -210
    assert create(zalo, **{field: "ữ" * works})["error"] == 0


def test_a_cover_address_with_a_space_or_a_vietnamese_letter_is_invalid(zalo):
    old = create(zalo, cover={"cover_type": "photo", "photo_url": "https://xa.example/ảnh bìa.jpg", "status": "show"})
    assert (old["error"], old["message"]) == R.ZALO_COVER_INVALID
    encoded = "https://xa.example/%E1%BA%A3nh%20b%C3%ACa.jpg"
    assert create(zalo, cover={"cover_type": "photo", "photo_url": encoded, "status": "show"})["error"] == 0


@pytest.fixture
def pictures():
    """A web server on this machine with a small cover, a cover of 1 MB and a missing one."""
    files = {"/bia.jpg": b"\xff\xd8" + b"x" * 50_000, "/to.jpg": b"\xff\xd8" + b"x" * R.ZALO_COVER_MAX}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            data = files.get(self.path)
            self.send_response(200 if data else 404)
            self.send_header("Content-Length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("path,error", [("/bia.jpg", 0), ("/to.jpg", R.ZALO_COVER_FAILED[0]),
                                        ("/khong-co.jpg", R.ZALO_COVER_FAILED[0])])
def test_zalo_fetches_the_cover_at_verify_and_fails_it_there(zalo, pictures, path, error):
    """Create accepts any well-formed address; verify is where a cover Zalo cannot read (missing,
    or 1 MB and more) fails, and that answer is final, not "processing"."""
    made = create(zalo, cover={"cover_type": "photo", "photo_url": pictures + path, "status": "show"})
    assert made["error"] == 0
    answer = verify(zalo, made["data"]["token"])
    assert answer["error"] == error
    if error:
        assert answer["message"] == "Upload media failed"
        assert verify(zalo, made["data"]["token"])["error"] == error  # the same again: never "processing"
        assert zalo.sb.ledger == []  # nothing was shown


def test_one_article_s_page_gives_its_link_and_numbers_and_a_listing_gives_none_as_read(zalo):
    """getdetail is how loa reads one article (its link_view and counts): the numbers it gives
    are what the sandbox remembers as given; a listing's are not (loa reads no numbers there)."""
    made = create(zalo)
    article_id = verify(zalo, made["data"]["token"])["data"]["id"]
    zalo.get(f"{zalo.base}/{ARTICLE}/getslice", params={"offset": 0, "limit": 10, "type": "normal"})
    assert article_id not in zalo.sb.answered
    detail = zalo.get(f"{zalo.base}/{ARTICLE}/getdetail", params={"id": article_id}).json()
    assert detail["error"] == 0 and detail["data"]["link_view"].endswith(article_id)
    assert zalo.sb.answered[article_id] == {"views": detail["data"]["total_view"],
                                            "shares": detail["data"]["total_share"]}
    gone = zalo.get(f"{zalo.base}/{ARTICLE}/getdetail", params={"id": "khong-co"}).json()
    assert gone["error"] == -201


def test_the_oa_s_name_is_read_from_getoa(zalo):
    info = zalo.get(f"{zalo.base}/openapi.zalo.me/v2.0/oa/getoa").json()
    assert info["error"] == 0 and info["data"]["name"] == "Công an xã Kon Chiêng"


# --- Facebook ------------------------------------------------------------------------------
GRAPH = "graph.facebook.com"


def test_a_graph_version_past_its_end_is_refused():
    """v21.0 ends on 21 January 2027 (Meta's version table): the sandbox, on that day, refuses it;
    the version loa uses now answers."""
    from datetime import datetime, timezone

    from connectors import limits as L

    day = datetime(2027, 1, 21, 9, 0, tzinfo=timezone.utc).timestamp()
    sb = Sandbox(clock=lambda: day)
    with SandboxServer(sb) as server:
        page = sb.new_account("facebook")
        old = requests.get(f"{server.base}/{GRAPH}/v21.0/{page['page_id']}/published_posts",
                           params={"access_token": page["access_token"]})
        assert old.status_code == 400 and old.json()["error"]["code"] == R.FB_VERSION_ENDED[0]
        new = requests.get(f"{server.base}/{GRAPH}/{L.FACEBOOK_GRAPH_VERSION}/{page['page_id']}/published_posts",
                           params={"access_token": page["access_token"]})
        assert new.status_code == 200


def _published_feed_post(sb, server, page) -> str:
    r = requests.post(f"{server.base}/{GRAPH}/v26.0/{page['page_id']}/feed",
                      data={"message": "Không một mình", "access_token": page["access_token"]})
    return r.json()["id"]


def test_insights_need_read_insights_which_the_old_consent_never_asked():
    """loa's consent asked pages_manage_posts, pages_read_engagement, pages_show_list and
    publish_video: a Page connected so is refused every post's views and reach."""
    from connectors.oauth import FACEBOOK_SCOPES

    sb = Sandbox(processing_seconds=0)
    with SandboxServer(sb) as server:
        old = sb.new_account("facebook", scopes=["pages_manage_posts", "pages_read_engagement", "pages_show_list",
                                                 "publish_video"])
        post = _published_feed_post(sb, server, old)
        refused = requests.get(f"{server.base}/{GRAPH}/v26.0/{post}/insights",
                               params={"metric": "post_media_view", "access_token": old["access_token"]})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == R.FB_NO_PERMISSION[0]
        granted = requests.get(f"{server.base}/{GRAPH}/v26.0/me/permissions",
                               params={"access_token": old["access_token"]}).json()["data"]
        assert "read_insights" not in {p["permission"] for p in granted}
        new = sb.new_account("facebook", scopes=FACEBOOK_SCOPES.split(","))
        post = _published_feed_post(sb, server, new)
        ok = requests.get(f"{server.base}/{GRAPH}/v26.0/{post}/insights",
                          params={"metric": "post_media_view", "access_token": new["access_token"]})
        assert ok.status_code == 200


def test_a_video_has_no_shares_field_its_post_has_the_counts():
    """Asked on the video with shares (as the connector did), the whole read fails; on the
    video's post_id the reactions, comments and shares answer."""
    sb = Sandbox(processing_seconds=0)
    with SandboxServer(sb) as server:
        page = sb.new_account("facebook")
        video_id = new_video(sb, page)
        fields = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
        old = requests.get(f"{server.base}/{GRAPH}/v26.0/{video_id}",
                           params={"fields": fields, "access_token": page["access_token"]})
        assert old.status_code == 400 and old.json()["error"]["message"] == R.FB_VIDEO_NO_SHARES[1]
        post_id = requests.get(f"{server.base}/{GRAPH}/v26.0/{video_id}",
                               params={"fields": "post_id", "access_token": page["access_token"]}).json()["post_id"]
        counts = requests.get(f"{server.base}/{GRAPH}/v26.0/{post_id}",
                              params={"fields": fields, "access_token": page["access_token"]})
        assert counts.status_code == 200 and "reactions" in counts.json()


def new_video(sb, page) -> str:
    """A published Page video, put straight into the sandbox's state as its upload would leave it."""
    from sandbox.facebook import settle

    video_id = "9" + page["page_id"]
    with sb.lock:
        sb.fb_objects[video_id] = {"type": "video", "id": video_id, "page": page["page_id"], "reel": False,
                                   "status": "processing", "finished_at": sb.clock() - 10, "publish": "",
                                   "description": "Video", "permalink": f"https://www.facebook.com/watch/?v={video_id}",
                                   "size": 1, "uploaded": 1}
    settle(sb)
    return video_id


def test_connecting_a_page_through_the_login_dialog_grants_what_insights_need():
    """The consent URL loa builds asks for read_insights; the Page the sandbox's dialog gives for
    it can read a post's insights (the old scope list could not, above)."""
    from urllib.parse import parse_qs, urlsplit

    from connectors.http import Http
    from connectors.oauth import FacebookAuth

    url = FacebookAuth("123", "app-secret", "http://127.0.0.1/cb", Http()).consent_url("s")
    scopes = parse_qs(urlsplit(url).query)["scope"][0].split(",")
    assert {"pages_manage_posts", "publish_video", "pages_show_list", "pages_read_engagement",
            "read_insights"} <= set(scopes)
    sb = Sandbox(processing_seconds=0)
    with SandboxServer(sb) as server:
        page = sb.new_account("facebook", scopes=scopes)
        post = _published_feed_post(sb, server, page)
        ok = requests.get(f"{server.base}/{GRAPH}/v26.0/{post}/insights",
                          params={"metric": "post_media_view", "access_token": page["access_token"]})
        assert ok.status_code == 200


# --- TikTok --------------------------------------------------------------------------------
def test_a_desktop_app_s_challenge_is_hex_a_base64url_one_is_refused():
    """TikTok's desktop Login Kit wants the hex SHA-256 of the verifier: the base64url challenge
    loa sent is refused at the exchange; a loopback redirect without a port is refused at once."""
    import base64
    import hashlib
    from urllib.parse import parse_qs, urlsplit

    sb = Sandbox()
    with SandboxServer(sb) as server:
        creds = sb.new_account("tiktok")
        verifier = "v" * 50
        digest = hashlib.sha256(verifier.encode())
        old = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
        redirect = "http://127.0.0.1:8765/loa-callback"

        def exchange(challenge: str, redirect_uri: str = redirect) -> int:
            consent = requests.get(f"{server.base}/www.tiktok.com/v2/auth/authorize/", params={
                "client_key": creds["client_key"], "scope": "video.publish,video.upload", "response_type": "code",
                "redirect_uri": redirect_uri, "state": "s", "code_challenge": challenge,
                "code_challenge_method": "S256", "decision": "allow"}, allow_redirects=False)
            if consent.status_code != 302:
                return consent.status_code
            code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
            return requests.post(f"{server.base}/open.tiktokapis.com/v2/oauth/token/", data={
                "client_key": creds["client_key"], "client_secret": creds["client_secret"], "code": code,
                "grant_type": "authorization_code", "redirect_uri": redirect_uri,
                "code_verifier": verifier}).status_code

        assert exchange(old) == 400
        assert exchange(digest.hexdigest()) == 200
        assert exchange(digest.hexdigest(), "http://127.0.0.1/loa-callback") == 400  # no port
        assert exchange(old, "https://loa.example/cb") == 200  # a web app (base64url: UNVERIFIED)


@pytest.fixture
def tiktok():
    sb = Sandbox(processing_seconds=0)
    with SandboxServer(sb) as server:
        creds = sb.new_account("tiktok", privacy_options=["SELF_ONLY"], tiktok_off=("duet",))
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {creds['access_token']}"
        session.base = f"{server.base}/open.tiktokapis.com/v2/post/publish"
        yield session


def init(tiktok, **post_info) -> dict:
    source = {"source": "FILE_UPLOAD", "video_size": 1000, "chunk_size": 1000, "total_chunk_count": 1}
    return tiktok.post(f"{tiktok.base}/video/init/", json={"post_info": {"title": "x", **post_info},
                                                           "source_info": source}).json()


def test_a_direct_post_needs_the_person_s_privacy_and_the_old_default_is_refused(tiktok):
    """The connector sent the channel's default, PUBLIC_TO_EVERYONE, with nobody choosing it: an
    unaudited app's post is refused; with no privacy at all the init is invalid; the level the
    account offers (and the person chose) goes through."""
    old = init(tiktok, privacy_level="PUBLIC_TO_EVERYONE")
    assert old["error"]["code"] == "unaudited_client_can_only_post_to_private_accounts"
    assert (init(tiktok)["error"]["code"], init(tiktok)["error"]["message"]) == R.TT_PRIVACY_MISSING
    assert init(tiktok, privacy_level="SELF_ONLY")["error"]["code"] == "ok"


def test_branded_content_cannot_be_private(tiktok):
    got = init(tiktok, privacy_level="SELF_ONLY", brand_content_toggle=True)
    assert (got["error"]["code"], got["error"]["message"]) == R.TT_BRANDED_PRIVATE
    assert init(tiktok, privacy_level="SELF_ONLY", brand_organic_toggle=True)["error"]["code"] == "ok"


def test_creator_info_says_what_the_creator_turned_off_and_the_longest_video(tiktok):
    info = tiktok.post(f"{tiktok.base}/creator_info/query/").json()["data"]
    assert info["duet_disabled"] is True and info["comment_disabled"] is False
    assert info["privacy_level_options"] == ["SELF_ONLY"] and info["max_video_post_duration_sec"] == R.TT_MAX_DURATION


def test_an_inbox_draft_is_not_public_until_the_person_posts_it():
    """The connector called SEND_TO_USER_INBOX "published"; it is a draft in the creator's inbox."""
    sb = Sandbox(processing_seconds=0)
    with SandboxServer(sb) as server:
        creds = sb.new_account("tiktok")
        api = f"{server.base}/open.tiktokapis.com/v2/post/publish"
        auth = {"Authorization": f"Bearer {creds['access_token']}"}
        source = {"source": "FILE_UPLOAD", "video_size": 4, "chunk_size": 4, "total_chunk_count": 1}
        data = requests.post(f"{api}/inbox/video/init/", json={"source_info": source}, headers=auth).json()["data"]
        upload = data["upload_url"].replace("https://open-upload.tiktokapis.com", f"{server.base}/open-upload.tiktokapis.com")
        assert requests.put(upload, data=b"abcd", headers={"Content-Range": "bytes 0-3/4"}).status_code == 201
        status = requests.post(f"{api}/status/fetch/", json={"publish_id": data["publish_id"]}, headers=auth).json()
        assert status["data"]["status"] == R.TT_INBOX_STATUS and sb.ledger == []
        post_id = sb.post_draft(data["publish_id"])
        status = requests.post(f"{api}/status/fetch/", json={"publish_id": data["publish_id"]}, headers=auth).json()
        assert status["data"]["status"] == R.TT_INBOX_POSTED_STATUS
        assert status["data"]["publicaly_available_post_id"] == [post_id] and len(sb.ledger) == 1


def test_a_refresh_answers_the_scopes_granted_and_a_call_without_its_scope_is_refused():
    """TikTok's token answers carry the scopes the person agreed to; the sandbox's refresh used to
    answer a fixed list without video.list, and loa kept none of them, so no check could say what the
    account may do. A direct post without video.publish is refused; the inbox needs only video.upload."""
    from connectors import CONNECTORS
    from connectors.credentials import Secret
    from connectors.http import Http

    sb = Sandbox(processing_seconds=0)
    with SandboxServer(sb) as server:
        creds = sb.new_account("tiktok", scopes=["user.info.basic", "video.upload"])
        assert creds["scope"] == "user.info.basic,video.upload"
        token = requests.post(f"{server.base}/open.tiktokapis.com/v2/oauth/token/", data={
            "client_key": creds["client_key"], "client_secret": creds["client_secret"],
            "grant_type": "refresh_token", "refresh_token": creds["refresh_token"]}).json()
        assert token["scope"] == "user.info.basic,video.upload"  # the same grant, said again
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        api = f"{server.base}/open.tiktokapis.com/v2/post/publish"
        source = {"source": "FILE_UPLOAD", "video_size": 4, "chunk_size": 4, "total_chunk_count": 1}
        direct = requests.post(f"{api}/video/init/", headers=auth, json={
            "post_info": {"title": "x", "privacy_level": "SELF_ONLY"}, "source_info": source})
        assert direct.status_code == 401 and direct.json()["error"]["code"] == "scope_not_authorized"
        assert requests.post(f"{api}/inbox/video/init/", headers=auth,
                             json={"source_info": source}).json()["error"]["code"] == "ok"

        # the connector keeps what each answer says: a refresh records the grant anew
        stored: list[dict] = []
        old = {k: v for k, v in creds.items() if k != "scope"}
        old["refresh_token"] = token["refresh_token"]
        connector = CONNECTORS["tiktok"](old, {}, http=Http(base=server.base, timeout=(2, 5)),
                                         on_credentials=lambda new: stored.append(
                                             {k: (v.reveal() if isinstance(v, Secret) else v) for k, v in new.items()}))
        assert connector._scopes_check().met is None  # nothing recorded yet
        connector.refresh()
        assert stored[-1]["scope"] == "user.info.basic,video.upload"
        check = connector._scopes_check()
        assert check.met is False and "video.publish" in str(check.found) and "video.list" in str(check.found)
