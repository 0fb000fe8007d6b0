"""Kênh in the workspace: connecting a Facebook Page, a Zalo OA and a TikTok account through the
sandbox's consent screens, the platform sending the browser back to the workspace (no address to
paste); a refusal on the consent screen, another user's or an unknown attempt, a reconnect in place
and the channel's failed posts sent again, each through the same core as `loa channel connect`."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from sandbox import Sandbox, SandboxServer
from tests.test_workspace import MARKUP, a_failed_delivery, sign_in, token, ws  # noqa: F401 (fixture)

PUBLIC = "https://loa.test"  # a web app registers an https redirect (TikTok refuses http)


@pytest.fixture(scope="module")
def server():
    with SandboxServer(Sandbox(processing_seconds=0.1)) as s:
        yield s


@pytest.fixture
def app(ws, server, monkeypatch):  # noqa: F811
    """The workspace with every platform call sent to the sandbox, at a public address."""
    from loa.workspace import create_app

    monkeypatch.setenv("LOA_API_BASE", server.base)
    app = create_app(ws.folder, public_url=PUBLIC, now=ws.clock)
    app.config["TESTING"] = True
    app.folder, app.loa, app.server = ws.folder, ws.loa, server
    return app


def consent(consent_url: str, decision: str = "allow") -> str:
    """The officer's browser on the platform's consent screen: it shows what is asked, then a
    button; the platform sends the browser back. Returns where it is sent."""
    screen = requests.get(consent_url, timeout=5)
    assert screen.status_code == 200 and 'value="allow"' in screen.text and 'value="deny"' in screen.text
    back = requests.get(consent_url, params={"decision": decision}, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    return back.headers["Location"]


def start(client, **form) -> str:
    page = client.get("/channels").get_data(as_text=True)
    r = client.post("/channels/connect", data={"csrf_token": token(page), **form})
    assert r.status_code == 303, r.get_data(as_text=True)
    return r.headers["Location"]


def come_back(client, location: str):
    """The browser lands on the workspace's callback (the redirect address registered for the app)."""
    assert location.startswith(PUBLIC + "/channels/callback?")
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=True)


def channel(app, name: str):
    from content_queue.models import Channel

    with app.folder.sessions() as s:
        c = s.scalar(select(Channel).where(Channel.name == name))
        if c is not None:
            s.expunge(c)
        return c


def test_the_channels_page_shows_health_expiry_and_the_address_to_register(app):
    client = app.test_client()
    sign_in(client, "can-bo")
    body = client.get("/channels").get_data(as_text=True)
    assert "Kênh" in body and "fanpage" in body and "zalo-oa" in body and "tiktok" in body
    assert f"{PUBLIC}/channels/callback" in body  # what to register in the developer portal
    assert "chưa kiểm tra" in body  # the health of a channel never used yet


def test_connect_zalo_through_its_consent_screen(app):
    from content_queue.models import Activity

    creds = app.server.sandbox.new_account("zalo")
    client = app.test_client()
    sign_in(client, "can-bo")
    consent_url = start(client, platform="zalo", name="Zalo xã", key=creds["app_id"], secret=creds["app_secret"])
    assert consent_url.startswith(app.server.base) and "code_challenge=" in consent_url
    assert creds["app_secret"] not in consent_url
    page = come_back(client, consent(consent_url))
    body = page.get_data(as_text=True)
    assert "Đã kết nối kênh Zalo xã" in body, body
    c = channel(app, "Zalo xã")
    assert c.account_id == creds["oa_id"] and c.access_expires_at is not None
    with app.folder.sessions() as s:
        acts = [(a.who, a.action, a.channel_id) for a in s.scalars(select(Activity))]
    assert ("can-bo", "connected", c.id) in acts
    assert creds["app_secret"] not in body


def test_connect_tiktok_and_facebook(app):
    creds = app.server.sandbox.new_account("tiktok")
    client = app.test_client()
    sign_in(client, "can-bo")
    come_back(client, consent(start(client, platform="tiktok", name="tiktok-doan", key=creds["client_key"],
                                    secret=creds["client_secret"])))
    assert channel(app, "tiktok-doan").account_id == creds["open_id"]
    body = come_back(client, consent(start(client, platform="facebook", name="trang-xa", key="app-fb",
                                           secret="fb-app-secret-9"))).get_data(as_text=True)
    assert "Đã kết nối kênh trang-xa" in body
    c = channel(app, "trang-xa")
    assert set(c.credentials) == {"page_id", "access_token", "user_token", "app_id", "app_secret"}


def test_a_refusal_on_the_consent_screen_is_said_and_connects_nothing(app):
    creds = app.server.sandbox.new_account("tiktok")
    client = app.test_client()
    sign_in(client, "can-bo")
    where = start(client, platform="tiktok", name="tu-choi", key=creds["client_key"], secret=creds["client_secret"])
    body = come_back(client, consent(where, "deny")).get_data(as_text=True)
    assert "Nền tảng không cho quyền truy cập" in body and "cho phép mọi quyền" in body
    assert channel(app, "tu-choi") is None


def test_bad_input_is_refused_before_going_to_the_platform(app):
    client = app.test_client()
    sign_in(client, "can-bo")
    page = client.get("/channels").get_data(as_text=True)
    r = client.post("/channels/connect", data={"csrf_token": token(page), "platform": "zalo", "name": "fanpage",
                                               "key": "1", "secret": "2"})
    assert r.status_code == 400 and "Đã có kênh tên &#39;fanpage&#39;" in r.get_data(as_text=True)
    r = client.post("/channels/connect", data={"csrf_token": token(page), "platform": "zalo", "name": "moi",
                                               "key": "1", "secret": ""})
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "App secret" in body and 'value="moi"' in body  # the form kept


def test_another_user_cannot_finish_someone_s_attempt_nor_an_unknown_one(app):
    creds = app.server.sandbox.new_account("tiktok")
    officer, approver = app.test_client(), app.test_client()
    sign_in(officer, "can-bo")
    sign_in(approver, "lanh-dao")
    back = consent(start(officer, platform="tiktok", name="cua-ai", key=creds["client_key"],
                         secret=creds["client_secret"]))
    body = come_back(approver, back).get_data(as_text=True)
    assert "không rõ hoặc đã hết hạn" in body and channel(app, "cua-ai") is None
    body = officer.get("/channels/callback?code=x&state=made-up", follow_redirects=True).get_data(as_text=True)
    assert "không rõ hoặc đã hết hạn" in body


def test_reconnect_in_place_then_post_the_failed_posts_again(app):
    from content_queue.models import ChannelHealth, Delivery, DeliveryState
    from content_queue.store import transaction

    creds = app.server.sandbox.new_account("zalo")
    client = app.test_client()
    sign_in(client, "can-bo")
    come_back(client, consent(start(client, platform="zalo", name="oa", key=creds["app_id"],
                                    secret=creds["app_secret"])))
    c = channel(app, "oa")
    d = a_failed_delivery(app, "Bài cho OA")
    with transaction(app.folder.sessions) as s:
        from content_queue.models import Channel

        s.get(Delivery, d).channel_id = c.id
        s.get(Channel, c.id).health = ChannelHealth.reconnect
        s.get(Channel, c.id).health_detail = f"Zalo: mã truy cập hết hạn {MARKUP}"
    page = client.get("/channels").get_data(as_text=True)
    assert "cần kết nối lại" in page and MARKUP not in page
    r = client.post(f"/channels/{c.id}/retry-failed", data={"csrf_token": token(page)}, follow_redirects=True)
    said = r.get_data(as_text=True)
    assert "Cần kết nối lại kênh oa trước" in said and "Kết nối lại” bên cạnh kênh đó ở trang Kênh" in said
    assert "loa channel connect" not in said  # the fix in the workspace's terms; the same rule as `loa retry`
    r = client.post(f"/channels/{c.id}/reconnect", data={"csrf_token": token(page)})
    assert r.status_code == 303
    body = come_back(client, consent(r.headers["Location"])).get_data(as_text=True)
    assert "Đã kết nối kênh oa" in body
    again = channel(app, "oa")
    assert again.id == c.id and again.health is ChannelHealth.unknown
    assert again.credentials_version == c.credentials_version + 1
    r = client.post(f"/channels/{c.id}/retry-failed", data={"csrf_token": token(page)}, follow_redirects=True)
    assert "1 bài đăng của oa sẽ được gửi lại" in r.get_data(as_text=True)
    with app.folder.sessions() as s:
        assert s.get(Delivery, d).state is DeliveryState.retry_wait


def test_a_channel_added_without_its_app_cannot_be_reconnected_here_and_says_how(app):
    client = app.test_client()
    sign_in(client, "can-bo")
    page = client.get("/channels").get_data(as_text=True)
    fanpage = channel(app, "fanpage")  # added from a file with the Page token only
    r = client.post(f"/channels/{fanpage.id}/reconnect", data={"csrf_token": token(page)}, follow_redirects=True)
    assert "không thể kết nối lại từ đây" in r.get_data(as_text=True)


OLD_SCOPES = ["pages_manage_posts", "pages_read_engagement", "pages_show_list", "publish_video"]


def test_the_go_live_check_on_the_kenh_page_says_what_is_missing(app, tmp_path):
    """The same engine call as `loa channel check`: a Page connected without read_insights and an
    unaudited TikTok app are each said, with what to do; nothing is posted; a viewer may not."""
    import json

    from content_queue.channels import get_channel
    from content_queue.models import Campaign, Channel

    ids = {}
    for platform, name, account in (("facebook", "trang-that", {"scopes": OLD_SCOPES}),
                                    ("tiktok", "tiktok-that", {"privacy_options": ["SELF_ONLY"]})):
        f = tmp_path / f"{name}.json"
        f.write_text(json.dumps(app.server.sandbox.new_account(platform, **account)))
        assert app.loa("channel", "add", platform, "--name", name, "--credentials", str(f)).exit_code == 0
        with app.folder.sessions() as s:
            ids[name] = get_channel(s, s.scalars(select(Campaign)).one(), name).id
    client = app.test_client()
    sign_in(client, "can-bo")
    page = client.get("/channels").get_data(as_text=True)
    assert "Kiểm tra trước khi đăng thật" in page
    r = client.post(f"/channels/{ids['trang-that']}/check", data={"csrf_token": token(page)})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "CHƯA ĐẠT" in body and "read_insights" in body and "“Kết nối lại”" in body
    assert "--replace" not in body  # the workspace says its own button, not a command
    assert "Graph API v26.0" in body
    r = client.post(f"/channels/{ids['tiktok-that']}/check", data={"csrf_token": token(page)})
    body = r.get_data(as_text=True)
    assert "TikTok chưa duyệt (audit) ứng dụng" in body and "“Gửi vào hộp thư TikTok”" in body
    assert "--mode inbox" not in body  # the fix is the form beside the channel, not a command
    # ...and the form is there: the same core call as `loa channel set NAME --mode inbox`
    r = client.post(f"/channels/{ids['tiktok-that']}/mode", data={"csrf_token": token(page), "mode": "inbox"},
                    follow_redirects=True)
    assert "Kênh tiktok-that: Gửi vào hộp thư TikTok" in r.get_data(as_text=True)
    r = client.post(f"/channels/{ids['tiktok-that']}/mode", data={"csrf_token": token(page), "mode": "public"},
                    follow_redirects=True)
    assert "public" in r.get_data(as_text=True) and "direct, inbox" in r.get_data(as_text=True)  # refused, said
    with app.folder.sessions() as s:
        assert s.get(Channel, ids["tiktok-that"]).settings["mode"] == "inbox"
    assert app.server.sandbox.ledger == []
    viewer = app.test_client()
    sign_in(viewer, "xem")
    page = viewer.get("/channels").get_data(as_text=True)
    assert viewer.post(f"/channels/{ids['tiktok-that']}/check", data={"csrf_token": token(page)}).status_code == 403
    assert viewer.post(f"/channels/{ids['tiktok-that']}/mode",
                       data={"csrf_token": token(page), "mode": "direct"}).status_code == 403


@pytest.mark.parametrize("platform", ["facebook", "zalo", "tiktok"])
def test_each_platform_s_setup_guide_says_what_loa_itself_asks_for(app, platform):
    """The Vietnamese guide, linked from Kênh, takes every fact loa decides from the code: the
    permissions asked, the redirect address to register, TikTok's desktop address, the limits."""
    from connectors import limits as L
    from connectors import oauth

    client = app.test_client()
    assert client.get(f"/channels/guide/{platform}").status_code == 302  # signed-in users only
    sign_in(client, "xem")  # a viewer may read it
    assert client.get(f"/channels/guide/{platform}").status_code == 200
    sign_in(client, "can-bo")
    page = client.get("/channels").get_data(as_text=True)
    assert f'href="/channels/guide/{platform}"' in page
    body = client.get(f"/channels/guide/{platform}").get_data(as_text=True)
    assert f"{PUBLIC}/channels/callback" in body and "Cần" in body and "đồng ý" in body
    if platform == "facebook":
        assert all(f"<code>{s}</code>" in body for s in oauth.FACEBOOK_SCOPES.split(","))
        assert L.FACEBOOK_GRAPH_VERSION in body
    elif platform == "tiktok":
        assert all(f"<code>{s}</code>" in body for s in oauth.TIKTOK_SCOPES.split(","))
        assert oauth.TikTokAuth.default_redirect in body and "SELF_ONLY" in body
        assert "<b>Web</b> (không gian làm việc này" in body  # the workspace at https: a web app
    else:
        assert f"tối đa {L.ZALO_TITLE_MAX_CHARS} ký tự" in body and "-224" in body
    assert client.get("/channels/guide/myspace").status_code == 404


def test_a_zalo_channel_s_cover_from_a_picture_sent_on_the_kenh_page(app, tmp_path):
    """The same core call as `loa channel set --cover-picture`: the picture becomes a JPEG under
    1 MB on the public pages and the channel's cover; the sent file is not kept; a viewer may not."""
    import io
    import json

    from PIL import Image

    from connectors import limits as L
    from content_queue.models import Channel

    f = tmp_path / "oa.json"
    f.write_text(json.dumps(app.server.sandbox.new_account("zalo")))
    assert app.loa("channel", "add", "zalo", "--name", "oa-bia", "--credentials", str(f), "--cover-url",
                   "https://example.org/bia.jpg").exit_code == 0
    assert app.loa("campaign", "set", "--public-url", PUBLIC).exit_code == 0  # where Zalo will fetch it
    client = app.test_client()
    sign_in(client, "can-bo")
    page = client.get("/channels").get_data(as_text=True)
    with app.folder.sessions() as s:
        cid = s.scalar(select(Channel).where(Channel.name == "oa-bia")).id
    assert f'action="/channels/{cid}/cover"' in page
    picture = io.BytesIO()
    Image.new("RGB", (2400, 1600), "#1565c0").save(picture, "PNG")
    picture.seek(0)
    r = client.post(f"/channels/{cid}/cover", data={"csrf_token": token(page), "picture": (picture, "bìa.png")},
                    content_type="multipart/form-data", follow_redirects=True)
    body = r.get_data(as_text=True)
    assert "ảnh bìa đã sẵn sàng cho Zalo" in body, body[:2000]
    with app.folder.sessions() as s:
        url = s.get(Channel, cid).settings["cover_url"]
    name = url.rsplit("/", 1)[1]
    stored = app.folder.media_dir / "covers" / name
    assert url.startswith(PUBLIC) and "/covers/" in url and stored.stat().st_size < L.ZALO_IMAGE_MAX_BYTES
    assert url in body  # the page says the channel's cover now
    assert not any((app.folder.root / "uploads" / "workspace").glob("*.png"))  # the sent file is not kept
    r = client.post(f"/channels/{cid}/cover", data={"csrf_token": token(page), "picture": (io.BytesIO(b"not"),
                                                                                           "x.png")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "không phải là ảnh mà loa đọc được" in r.get_data(as_text=True)
    viewer = app.test_client()
    sign_in(viewer, "xem")
    vpage = viewer.get("/channels").get_data(as_text=True)
    assert f'action="/channels/{cid}/cover"' not in vpage
    assert viewer.post(f"/channels/{cid}/cover", data={"csrf_token": token(vpage)}).status_code == 403
