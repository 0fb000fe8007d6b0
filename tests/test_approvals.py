"""Approvals: with `loa campaign set --approval required`, a post publishes only once an approver
has approved it. The rule is the engine's: `loa run` holds an unapproved post at its time (visible,
never published, never marked missed), preflight warns the day before, editing an approved post
asks for approval again, and the workspace's approver goes through the same functions."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from tests.test_cli_run import add_channel, sandbox_env  # noqa: F401 (fixture)


def test_an_unapproved_post_is_held_then_published_once_approved(loa, sandbox_env, tmp_path):  # noqa: F811
    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path)
    assert loa("campaign", "set", "--approval", "required").exit_code == 0
    assert loa("post", "add", "--text", "Chờ lãnh đạo duyệt", "--now", "--to", "facebook").exit_code == 0
    r = loa("run", "--until-idle", "--timeout", "20")
    assert r.exit_code == 0 and "published 0" in r.output
    assert sandbox_env.sandbox.ledger == []  # nothing reached the platform
    listed = json.loads(loa("post", "list", "--status", "awaiting-approval", "--json").output)
    assert [p["id"] for p in listed] == [1] and listed[0]["approval"] == "awaiting"
    assert json.loads(loa("status", "--json").output)["counts"] == {"scheduled": 1}  # held, not missed
    r = loa("post", "send-back", "1", "--comment", "")
    assert r.exit_code == 1 and "what to change" in r.output
    assert loa("post", "send-back", "1", "--comment", "Thêm số đường dây nóng 111").exit_code == 0
    shown = json.loads(loa("post", "show", "1", "--json").output)
    assert shown["approval"] == "sent_back" and shown["approval_comment"] == "Thêm số đường dây nóng 111"
    assert "published 0" in loa("run", "--once").output
    r = loa("post", "approve", "1", "--by", "lanh-dao")
    assert r.exit_code == 0 and "Post 1 approved." in r.output
    r = loa("run", "--until-idle", "--timeout", "20")
    assert "published 1" in r.output
    assert len(sandbox_env.sandbox.ledger) == 1
    assert json.loads(loa("post", "show", "1", "--json").output)["approved_by"] == "lanh-dao"


def test_editing_an_approved_post_asks_for_approval_again_and_preflight_warns(loa, sandbox_env,  # noqa: F811
                                                                              tmp_path):
    from content_queue.models import Delivery
    from loa import settings

    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path)
    loa("campaign", "set", "--approval", "required")
    from zoneinfo import ZoneInfo

    tomorrow = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=12)).strftime("%Y-%m-%d %H:%M")
    assert loa("post", "add", "--text", "Ngày mai", "--at", tomorrow, "--to", "facebook").exit_code == 0
    r = loa("post", "approve", "1")  # the computer's user wrote it
    assert r.exit_code == 1 and "cannot approve it" in r.output and "Another approver" in r.output
    assert loa("post", "approve", "1", "--by", "lanh-dao").exit_code == 0
    assert json.loads(loa("post", "show", "1", "--json").output)["approval"] == "approved"
    assert loa("post", "edit", "1", "--text", "Ngày mai, nội dung mới").exit_code == 0
    assert json.loads(loa("post", "show", "1", "--json").output)["approval"] == "awaiting"
    loa("run", "--once")  # preflight looks a day ahead
    with settings.find(loa.folder).sessions() as s:
        d = s.scalars(select(Delivery)).one()
        assert "not approved yet" in d.preflight


def test_a_held_post_is_not_marked_missed_and_approvals_need_the_setting(loa, sandbox_env, tmp_path):  # noqa: F811
    from content_queue.models import Delivery, DeliveryState, Post
    from loa import settings

    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path)
    r = loa("post", "approve", "1")
    assert r.exit_code == 1
    assert loa("post", "add", "--text", "Cũ", "--now", "--to", "facebook").exit_code == 0
    r = loa("post", "approve", "1")
    assert r.exit_code == 1 and "does not ask for approvals" in r.output
    loa("campaign", "set", "--approval", "required")
    with settings.find(loa.folder).sessions.begin() as s:  # due long ago, past the grace window
        long_ago = datetime.now().astimezone() - timedelta(hours=5)
        s.scalars(select(Post)).one().due_at = long_ago
        d = s.scalars(select(Delivery)).one()
        d.due_at = d.next_attempt_at = long_ago
    loa("run", "--once")
    with settings.find(loa.folder).sessions() as s:
        assert s.scalars(select(Delivery)).one().state is DeliveryState.scheduled
    assert sandbox_env.sandbox.ledger == []
    r = loa("campaign", "set", "--approval", "maybe")
    assert r.exit_code == 1


def _officer_and_approver(loa, monkeypatch):
    """The campaign folder with approvals required, an officer and an approver; no LOA_LANG."""
    from tests.test_workspace import PASSWORDS

    from content_queue import users
    from content_queue.store import transaction
    from loa import settings

    monkeypatch.delenv("LOA_LANG", raising=False)
    folder = settings.find(loa.folder)
    with transaction(folder.sessions) as s:
        users.add_user(s, "can-bo", "officer", PASSWORDS["can-bo"])
        users.add_user(s, "lanh-dao", "approver", PASSWORDS["lanh-dao"])
    loa("campaign", "set", "--approval", "required")
    return folder


def test_the_overview_shows_posts_awaiting_approval_to_approvers(loa, channels, monkeypatch):
    from tests.test_workspace import sign_in, token

    from loa.workspace import create_app

    folder = _officer_and_approver(loa, monkeypatch)
    from zoneinfo import ZoneInfo

    soon = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    assert loa("post", "add", "--text", "Cần duyệt <i>gấp</i>", "--at", soon, "--to", "fanpage").exit_code == 0
    app = create_app(folder)
    officer, approver = app.test_client(), app.test_client()
    sign_in(officer, "can-bo")
    sign_in(approver, "lanh-dao")
    page = officer.get("/").get_data(as_text=True)
    assert "Chờ duyệt" in page and "Cần duyệt &lt;i&gt;gấp&lt;/i&gt;" in page and ">Duyệt<" not in page
    assert officer.post("/posts/1/approve", data={"csrf_token": token(page)}).status_code == 403
    page = approver.get("/").get_data(as_text=True)
    assert ">Duyệt<" in page
    r = approver.post("/posts/1/send-back", data={"csrf_token": token(page), "comment": ""}, follow_redirects=True)
    assert "hãy ghi cần sửa gì" in r.get_data(as_text=True)
    r = approver.post("/posts/1/approve", data={"csrf_token": token(page)}, follow_redirects=True)
    assert "Đã duyệt bài đăng 1." in r.get_data(as_text=True)
    assert json.loads(loa("post", "show", "1", "--json").output)["approved_by"] == "lanh-dao"
    assert 'id="s-approve"' not in approver.get("/").get_data(as_text=True)  # nothing left awaiting


def test_nobody_approves_their_own_post_and_only_an_approver_turns_approvals_off(loa, channels, monkeypatch):
    from tests.test_workspace import sign_in, token

    from content_queue.models import Campaign
    from loa.workspace import create_app

    folder = _officer_and_approver(loa, monkeypatch)
    app = create_app(folder)
    officer, approver = app.test_client(), app.test_client()
    sign_in(officer, "can-bo")
    sign_in(approver, "lanh-dao")
    page = officer.get("/campaign").get_data(as_text=True)
    assert 'name="approval" disabled' in page and "Chỉ người duyệt" in page
    r = officer.post("/campaign", data={"csrf_token": token(page), "name": "Không một mình", "approval": "off"},
                     follow_redirects=True)
    assert "Chỉ người duyệt" in r.get_data(as_text=True)
    with folder.sessions() as s:
        assert s.query(Campaign).one().approval == "required"

    soon = (datetime.now().astimezone() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    page = approver.get("/posts/new").get_data(as_text=True)
    r = approver.post("/posts/new", data={"csrf_token": token(page), "text": "Bài của người duyệt", "at": soon,
                                        "to": "fanpage", "action": "save"}, follow_redirects=True)
    assert r.status_code == 200
    with folder.sessions() as s:
        from content_queue.models import Post

        post_id = s.query(Post).filter_by(text="Bài của người duyệt").one().id
    page = approver.get("/approvals").get_data(as_text=True)
    r = approver.post(f"/posts/{post_id}/approve", data={"csrf_token": token(page), "back": "approvals"},
                      follow_redirects=True)
    assert "không thể duyệt" in r.get_data(as_text=True)
    assert json.loads(loa("post", "show", str(post_id), "--json").output)["approval"] == "awaiting"
    page = approver.get("/campaign").get_data(as_text=True)  # alone, the approver turns approvals off
    r = approver.post("/campaign", data={"csrf_token": token(page), "name": "Không một mình", "approval": "off"},
                      follow_redirects=True)
    with folder.sessions() as s:
        assert s.query(Campaign).one().approval == "off"
