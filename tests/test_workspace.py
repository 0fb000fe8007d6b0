"""The workspace (`loa serve`), its security over every route, and `loa user`.

Every page needs a signed-in user; a POST without the form's token is refused; a viewer changes
nothing; stored markup is shown as text; wrong passwords are slowed down and logged; sessions end;
the overview's number of SQL statements does not grow with the campaign."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

MARKUP = "<img src=x onerror=alert(1)>"
PASSWORDS = {"can-bo": "mat khau can bo 1", "lanh-dao": "mat khau lanh dao 2", "xem": "mat khau nguoi xem 3"}


class Clock:
    def __init__(self) -> None:
        self.t = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture
def ws(loa, channels, monkeypatch):
    """The workspace over a campaign folder with an officer, an approver and a viewer; no LOA_LANG:
    the pages speak the campaign's Vietnamese."""
    from content_queue import users
    from content_queue.store import transaction
    from loa import settings
    from loa.workspace import create_app

    monkeypatch.delenv("LOA_LANG", raising=False)
    folder = settings.find(loa.folder)
    with transaction(folder.sessions) as s:
        users.add_user(s, "can-bo", "officer", PASSWORDS["can-bo"])
        users.add_user(s, "lanh-dao", "approver", PASSWORDS["lanh-dao"])
        users.add_user(s, "xem", "viewer", PASSWORDS["xem"])
    clock = Clock()
    app = create_app(folder, now=clock)
    app.config["TESTING"] = True
    app.clock, app.folder, app.loa = clock, folder, loa
    return app


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, name: str, password: str | None = None):
    page = client.get("/sign-in")
    return client.post("/sign-in", data={"username": name, "password": password or PASSWORDS[name],
                                         "csrf_token": token(page.get_data(as_text=True))})


def a_failed_delivery(ws, text: str = "Chào các em") -> int:
    from content_queue.lifecycle import Action, ErrorKind, Outcome, move
    from content_queue.models import Delivery, DeliveryState, Post

    from zoneinfo import ZoneInfo

    soon = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=2)  # the campaign's zone
    r = ws.loa("post", "add", "--text", text, "--at", soon.strftime("%Y-%m-%d %H:%M"), "--to", "fanpage")
    assert r.exit_code == 0, r.output
    with ws.folder.sessions.begin() as s:
        d = s.scalars(select(Delivery).join(Post).where(Post.text == text)).one()
        move(s, d, DeliveryState.publishing, action=Action.publish, outcome=Outcome.started)
        move(s, d, DeliveryState.failed, action=Action.publish, outcome=Outcome.failed, kind=ErrorKind.rejected,
             reason=f"Facebook từ chối {MARKUP}", platform_said=MARKUP)
        return d.id


def count_statements(ws, client, path: str) -> int:
    """How many SQL statements the page at ``path`` runs (it must answer 200)."""
    seen = []
    listener = lambda *a, **k: seen.append(1)  # noqa: E731
    event.listen(ws.folder.engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(ws.folder.engine, "before_cursor_execute", listener)
    return len(seen)


def routes(app):
    """Every route of the workspace, with sample values for its parameters."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static",):
            continue
        path = re.sub(r"<int:\w+>", "1", rule.rule).replace("<kind>", "poster").replace("<fmt>", "html")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, path, rule.endpoint))
    return out


def test_every_page_needs_a_signed_in_user_and_shows_nothing_without_one(ws):
    from loa.workspace.app import PUBLIC

    client = ws.test_client()
    checked = 0
    for method, path, endpoint in routes(ws):
        if endpoint in PUBLIC:
            continue
        r = client.open(path, method=method)
        body = r.get_data(as_text=True)
        if method == "GET":
            assert r.status_code == 302 and "/sign-in" in r.headers["Location"], (method, path)
        else:
            assert r.status_code in (302, 400), (method, path)  # no session, and no form token either
        assert "Không một mình" not in body and "Chào" not in body
        checked += 1
    assert checked >= 3
    health = client.get("/health")
    assert health.status_code == 200 and health.get_data(as_text=True) == "ok"


def test_sign_in_page_is_a_plain_form_and_signing_in_opens_the_overview(ws):
    client = ws.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page and "<form method=\"post\"" in page
    r = sign_in(client, "can-bo")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    home = client.get("/")
    assert home.status_code == 200
    body = home.get_data(as_text=True)
    assert "Tổng quan" in body and "Không một mình" in body and "Hôm nay" in body and "Cần anh/chị xử lý" in body
    assert home.headers["Cache-Control"] == "no-store"


def test_https_public_address_makes_cookies_secure_and_asks_for_https_from_then_on(ws):
    from loa.workspace import create_app

    plain = ws.test_client().get("/sign-in")
    assert "Strict-Transport-Security" not in plain.headers
    assert "frame-ancestors 'none'" in plain.headers["Content-Security-Policy"]
    app = create_app(ws.folder, public_url="https://loa.example.org")
    client = app.test_client()
    r = sign_in(client, "can-bo")
    assert "Secure" in r.headers["Set-Cookie"] and r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_post_without_the_form_token_is_refused(ws):
    d = a_failed_delivery(ws)
    client = ws.test_client()
    sign_in(client, "can-bo")
    r = client.post(f"/deliveries/{d}/retry")
    assert r.status_code == 400 and "Biểu mẫu đã hết hạn" in r.get_data(as_text=True)
    r = client.post(f"/deliveries/{d}/retry", data={"csrf_token": "forged"})
    assert r.status_code == 400


def test_a_viewer_changes_nothing_on_every_changing_route(ws):
    d = a_failed_delivery(ws)
    client = ws.test_client()
    sign_in(client, "xem")
    home = client.get("/").get_data(as_text=True)
    assert "Đăng lại" not in home  # no button they could not use
    csrf = token(home)
    posted = 0
    for method, path, endpoint in routes(ws):
        if method != "POST" or endpoint in ("sign_in", "sign_out"):
            continue
        r = client.post(path.replace("/deliveries/1/", f"/deliveries/{d}/"), data={"csrf_token": csrf})
        assert r.status_code == 403, path
        posted += 1
    assert posted >= 1
    from content_queue.models import Delivery, DeliveryState

    with ws.folder.sessions() as s:
        assert s.get(Delivery, d).state is DeliveryState.failed


def test_the_officer_retries_a_failed_delivery_and_it_is_on_record(ws):
    from content_queue.models import Activity, Delivery, DeliveryState

    d = a_failed_delivery(ws)
    client = ws.test_client()
    sign_in(client, "can-bo")
    home = client.get("/").get_data(as_text=True)
    assert "Đăng lại" in home
    r = client.post(f"/deliveries/{d}/retry", data={"csrf_token": token(home)}, follow_redirects=True)
    assert r.status_code == 200 and f"Lượt đăng {d} sẽ được gửi lại" in r.get_data(as_text=True)
    with ws.folder.sessions() as s:
        assert s.get(Delivery, d).state is DeliveryState.retry_wait
        acts = [(a.who, a.action) for a in s.scalars(select(Activity).order_by(Activity.id))]
    assert ("can-bo", "retried") in acts and ("can-bo", "signed_in") in acts
    # the same rule as `loa retry`: a delivery that cannot be retried is refused with the reason
    r = client.post(f"/deliveries/{d}/retry", data={"csrf_token": token(home)}, follow_redirects=True)
    assert "chỉ lượt đăng thất bại, lỡ giờ, đã huỷ hoặc cần kiểm tra mới đăng lại được" in r.get_data(as_text=True)


def test_stored_markup_is_shown_as_text(ws):
    a_failed_delivery(ws, text=f"Bài {MARKUP}")
    client = ws.test_client()
    sign_in(client, "can-bo")
    body = client.get("/").get_data(as_text=True)
    assert MARKUP not in body and "&lt;img src=x onerror=alert(1)&gt;" in body


def test_wrong_passwords_are_slowed_down_and_logged(ws, caplog):
    client = ws.test_client()
    for _ in range(5):
        r = sign_in(client, "can-bo", "sai mat khau roi")
        assert "mật khẩu sai" in r.get_data(as_text=True) and "uid" not in r.headers.get("Set-Cookie", "")
    r = sign_in(client, "can-bo")  # the right one, too soon: still refused
    assert r.status_code == 200 and "Sai mật khẩu quá nhiều lần" in r.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert sum("sign-in failed for 'can-bo'" in m for m in caplog.messages) == 5
    assert any("too many wrong passwords" in m for m in caplog.messages)
    assert all(PASSWORDS["can-bo"] not in m and "sai mat khau" not in m for m in caplog.messages)


def test_someone_guessing_from_elsewhere_does_not_lock_the_officer_out(ws, monkeypatch):
    """The lockout counts a name from one address; an address trying many names is slowed down too."""
    from loa.workspace import pages

    monkeypatch.setattr(pages, "WRONG_PASSWORD_PAUSE", 0)  # the counting is what is looked at here
    guesser = ws.test_client()
    for _ in range(6):
        sign_in(guesser, "can-bo", "doan mo mat khau")  # the name's owner is elsewhere
    officer = ws.test_client()
    officer.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    sign_in(officer, "can-bo")
    assert officer.get("/").status_code == 200
    colleague = ws.test_client()  # the guesser's own address, another name: not yet held back
    assert sign_in(colleague, "lanh-dao").status_code == 302 and colleague.get("/").status_code == 200
    names = [f"ten-{i}" for i in range(20)]
    for name in names:
        sign_in(guesser, name, "doan mo mat khau")
    late = ws.test_client()  # twenty wrong tries from the address, for any names: it waits
    r = sign_in(late, "xem")
    assert "Sai mật khẩu quá nhiều lần" in r.get_data(as_text=True) and late.get("/").status_code == 302


def test_signing_out_ends_the_session_everywhere_and_a_removed_user_s_id_opens_nothing(ws):
    from content_queue import users
    from content_queue.store import transaction

    client = ws.test_client()
    sign_in(client, "can-bo")
    assert client.get("/").status_code == 200
    copied = ws.test_client()  # the same cookie, copied into another browser
    copied.set_cookie("loa_session", client.get_cookie("loa_session").value)
    assert copied.get("/").status_code == 200
    page = client.get("/").get_data(as_text=True)
    assert client.post("/sign-out", data={"csrf_token": token(page)}).status_code == 302
    assert copied.get("/").status_code == 302  # the copy ended with it

    sign_in(client, "xem")
    cookie = client.get_cookie("loa_session").value
    with transaction(ws.folder.sessions) as s:
        old_id = users.get_user(s, "xem").id
        users.remove_user(s, "xem")
    with transaction(ws.folder.sessions) as s:
        new = users.add_user(s, "xem-moi", "officer", "mat khau nguoi moi 4")
        assert new.id != old_id  # never the removed user's id
    stale = ws.test_client()
    stale.set_cookie("loa_session", cookie)
    assert stale.get("/").status_code == 302


def test_a_session_ends_after_its_hours_or_when_idle_or_when_the_password_changes(ws):
    from content_queue import users
    from content_queue.store import transaction

    client = ws.test_client()
    sign_in(client, "can-bo")
    assert client.get("/").status_code == 200
    ws.clock.t += timedelta(minutes=61)
    assert client.get("/").status_code == 302  # idle for over an hour
    sign_in(client, "can-bo")
    for _ in range(9):
        ws.clock.t += timedelta(minutes=55)
        client.get("/")
    assert client.get("/").status_code == 302  # over 8 hours since signing in
    sign_in(client, "can-bo")
    with transaction(ws.folder.sessions) as s:
        ws.clock.t += timedelta(seconds=1)
        users.set_password(s, "can-bo", "mot mat khau moi hoan toan")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "/%09/evil.example", "/%0a/x", "/%0d%0aSet-Cookie:x=1",
                                    "/%20/evil.example", "/\\evil.example", "https://evil.example/"])
def test_signing_in_never_sends_you_to_another_site(ws, target):
    """Issue 28: "/<tab>/evil.com" went to //evil.com (a browser drops the tab), "/<newline>/x" was a 500."""
    client = ws.test_client()
    page = client.get(f"/sign-in?next={target}").get_data(as_text=True)
    r = client.post(f"/sign-in?next={target}", data={"username": "can-bo", "password": PASSWORDS["can-bo"],
                                                     "csrf_token": token(page)})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_signing_in_still_goes_back_to_the_page_asked_for(ws):
    client = ws.test_client()
    page = client.get("/sign-in?next=/posts?status=failed").get_data(as_text=True)
    r = client.post("/sign-in?next=/posts%3Fstatus%3Dfailed", data={"username": "can-bo", "password": PASSWORDS["can-bo"],
                                                                    "csrf_token": token(page)})
    assert r.headers["Location"] == "/posts?status=failed"


def test_the_overview_s_statements_do_not_grow_with_the_campaign(ws):
    client = ws.test_client()
    sign_in(client, "can-bo")

    def statements() -> int:
        return count_statements(ws, client, "/")

    a_failed_delivery(ws, "một")
    few = statements()
    for i in range(12):
        a_failed_delivery(ws, f"bài {i}")
    assert statements() == few


def test_user_commands(loa):
    r = loa("user", "add", "can-bo", "--role", "officer", input="mot mat khau dai\n")
    assert r.exit_code == 0 and "can-bo" in r.output
    r = loa("user", "add", "ngan", "--role", "viewer", input="ngan\n")
    assert r.exit_code == 1 and "too short" in r.output
    r = loa("user", "add", "can-bo", "--role", "viewer", input="mot mat khau khac\n")
    assert r.exit_code == 1 and "already exists" in r.output
    r = loa("user", "add", "x", "--role", "boss", input="mot mat khau dai\n")
    assert r.exit_code == 1
    import json

    listed = json.loads(loa("user", "list", "--json").output)
    assert [u["name"] for u in listed] == ["can-bo"] and listed[0]["role"] == "officer"
    assert "mot mat khau" not in loa("user", "list").output
    assert loa("user", "password", "can-bo", input="mat khau moi dai hon\n").exit_code == 0
    assert loa("user", "remove", "can-bo").exit_code == 0
    assert json.loads(loa("user", "list", "--json").output) == []
    from sqlalchemy import text as sql

    from loa import settings

    with settings.find(loa.folder).engine.connect() as c:  # the password is kept only as a salted hash
        assert c.execute(sql("SELECT count(*) FROM users")).scalar() == 0


def test_the_officer_settles_an_unknown_result_from_the_overview(ws):
    from content_queue.lifecycle import Action, Outcome, move
    from content_queue.models import Activity, Delivery, DeliveryState

    d = a_failed_delivery(ws, "Kết quả chưa rõ")
    other = a_failed_delivery(ws, "Cái thứ hai")
    with ws.folder.sessions.begin() as s:
        for i in (d, other):
            row = s.get(Delivery, i)
            move(s, row, DeliveryState.retry_wait, action=Action.retry, outcome=Outcome.asked)
            move(s, row, DeliveryState.publishing, action=Action.publish, outcome=Outcome.started)
            move(s, row, DeliveryState.unknown, action=Action.publish, outcome=Outcome.unknown)
    client = ws.test_client()
    sign_in(client, "can-bo")
    home = client.get("/").get_data(as_text=True)
    assert "Chưa rõ kết quả" in home and f"/deliveries/{d}/resolve" in home
    r = client.post(f"/deliveries/{d}/resolve", data={"csrf_token": token(home), "outcome": "published",
                                                      "url": "facebook.com/123"}, follow_redirects=True)
    assert "không phải là địa chỉ web" in r.get_data(as_text=True)  # the rule of `loa resolve`
    r = client.post(f"/deliveries/{d}/resolve", data={"csrf_token": token(home), "outcome": "published",
                                                      "url": "https://facebook.com/123"}, follow_redirects=True)
    assert f"Đã xác nhận lượt đăng {d} đã đăng" in r.get_data(as_text=True)
    r = client.post(f"/deliveries/{other}/resolve", data={"csrf_token": token(home), "outcome": "not_published"},
                    follow_redirects=True)
    assert "sẽ được gửi lại" in r.get_data(as_text=True)
    with ws.folder.sessions() as s:
        assert s.get(Delivery, d).state is DeliveryState.published
        assert s.get(Delivery, d).remote_url == "https://facebook.com/123"
        assert s.get(Delivery, other).state is DeliveryState.retry_wait
        assert s.scalar(select(Activity).where(Activity.action == "resolved", Activity.detail == "https://facebook.com/123"))


def test_markup_in_a_channel_name_a_post_title_and_a_text_is_text_on_every_page(ws, tmp_path):
    import json

    f = tmp_path / "fb.json"
    f.write_text(json.dumps({"page_id": "77", "access_token": "EAAB-other-page-token-1"}), encoding="utf-8")
    assert ws.loa("channel", "add", "facebook", "--name", MARKUP, "--credentials", str(f)).exit_code == 0
    assert ws.loa("campaign", "set", "--approval", "required").exit_code == 0
    d = a_failed_delivery(ws, f"Bài {MARKUP}")
    from zoneinfo import ZoneInfo

    soon = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    r = ws.loa("post", "add", "--text", f"Nội dung {MARKUP}", "--title", f"Tiêu đề {MARKUP}", "--at", soon,
               "--to", "zalo-oa," + MARKUP)
    assert r.exit_code == 0, r.output
    client = ws.test_client()
    sign_in(client, "lanh-dao")
    seen = 0
    for method, path, endpoint in routes(ws):
        if method != "GET" or endpoint in ("health", "sign_in", "channel_callback"):
            continue
        for p in {path.replace("/posts/1", "/posts/2"), path}:
            r = client.get(p.replace("/deliveries/1/", f"/deliveries/{d}/"))
            if not (r.mimetype or "").startswith(("text/", "application/json")):
                continue  # a picture (the avatar frame): no stored text in it
            body = r.get_data(as_text=True)
            assert MARKUP not in body, p
            seen += MARKUP.replace("<", "&lt;").replace(">", "&gt;") in body
    assert seen >= 5  # the markup was on those pages, as text


def test_the_overview_shows_the_preflight_s_warnings_for_the_next_day(ws):
    from content_queue.models import Delivery, Post

    from zoneinfo import ZoneInfo

    for text, hours in (("Ngày mai", 5), ("Tuần sau", 24 * 6)):
        soon = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")
        assert ws.loa("post", "add", "--text", text, "--at", soon, "--to", "zalo-oa").exit_code == 0
    with ws.folder.sessions.begin() as s:
        for d in s.scalars(select(Delivery).join(Post)):
            d.preflight = f"kênh zalo-oa: chưa có địa chỉ ảnh bìa cho bài viết Zalo ({d.post.text})"
    client = ws.test_client()
    sign_in(client, "can-bo")
    body = client.get("/").get_data(as_text=True)
    assert "Cảnh báo" in body and "(Ngày mai)" in body and "(Tuần sau)" not in body
    assert "/posts/1/edit" in body
