"""The keeping period carried out (issue 28): with a driven clock, nothing is erased before the day
the privacy notice names; a week before, the officer is told; on the day, the daily step beside
`loa run` / `loa serve` erases every clip's file and poster, every name, signature and upload
address (a scan of the database file and of the campaign folder finds none), the report's
figures are unchanged and say what was erased and when; a finished upload keeps no address."""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select, text
from werkzeug.test import Client

from tests.conftest import make_video
from tests.test_portal import meta, patch, portal, result_of  # noqa: F401 (fixtures and helpers)
from tests.test_withdrawal import _a_recap_of

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PEOPLE = {"Đoàn Văn Khải": "17", "Lữ Thị Quyên": "13"}  # an adult and a minor (kept by the given name)
SECRETS = ["Đoàn Văn Khải", "Quyên", "Lữ Văn Định", "Mẫn Thị Xuyến", "Xuyến", "10.9.8.7", "10.9.8.8",
           "VID_Khai.mp4"]


@pytest.fixture(scope="module")
def clips_made(tmp_path_factory):
    d = tmp_path_factory.mktemp("privacy")
    return [make_video(d / f"{i}.mp4", size="360x640", seconds=2 + i / 2) for i in range(3)]


def create(c: Client, token: str, length: int, address: str, **form):
    return c.post(f"/c/{token}/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(length),
                                                  "Upload-Metadata": meta(**form)},
                  environ_base={"REMOTE_ADDR": address})


def _everything_people_sent(loa, portal, clips_made):  # noqa: F811
    assert loa("campaign", "set", "--start", "2026-10-01", "--end", "2026-12-31", "--keep-days", "30").exit_code == 0
    c = Client(portal)
    data = clips_made[0].read_bytes()
    r = create(c, portal.token, len(data), "10.9.8.7", name="Đoàn Văn Khải", age="17", filename="VID_Khai.mp4")
    assert r.status_code == 201, r.text
    assert patch(c, r.headers["Location"], 0, data).status_code == 204
    assert result_of(c, r.headers["Location"])["status"] == "pending"
    half = create(c, portal.token, 10_000_000, "10.9.8.8", name="Ai Đó", age="18")
    assert patch(c, half.headers["Location"], 0, b"\0" * 1000).status_code == 204  # never finished
    r = loa("clips", "add", str(clips_made[1]), "--participant", "Lữ Thị Quyên", "--school", "THCS Kon Chiêng",
            "--age", "13", "--consent", "guardian", "--guardian", "Lữ Văn Định")
    assert r.exit_code == 0, r.output
    ids = [x["id"] for x in json.loads(loa("clips", "list", "--json").output)]
    assert loa("clips", "approve", *map(str, ids)).exit_code == 0
    r = c.post(f"/c/{portal.token}/wall", data={"name": "Mẫn Thị Xuyến", "style": "full",
                                               "organisation": "Chi hội Phụ nữ", "age_band": "25+"},
               environ_base={"REMOTE_ADDR": "10.9.8.9"})
    assert r.status_code == 200, r.text
    _a_recap_of(loa, ids, clips_made[2])
    return ids


def _scan(folder) -> list[str]:
    """Every secret still readable anywhere: the database's rows, its file and WAL, the folder's files."""
    found = []
    with folder.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                found += [f"{table}: {w}" for w in SECRETS if w in " ".join(map(str, row))]
    raw = b"".join(p.read_bytes() for p in folder.root.glob("loa.db*"))
    found += [f"db file: {w}" for w in SECRETS if w.encode() in raw]
    return found


def test_what_people_sent_is_erased_on_the_day_the_notice_names_and_the_report_keeps_its_figures(
        loa, portal, clips_made):  # noqa: F811
    from content_queue.models import Campaign, Upload
    from loa import keeping, notify

    _everything_people_sent(loa, portal, clips_made)
    folder = portal.folder
    with folder.sessions() as s:
        done = [u for u in s.scalars(select(Upload)) if u.clip_id is not None]
        assert [(u.address, u.form) for u in done] == [("", {})]  # a finished upload keeps no address
    privacy_page = Client(portal).get(f"/c/{portal.token}/privacy").text
    assert "30/01/2027" in privacy_page and "địa chỉ mạng" in privacy_page  # the day, the address: said
    before = json.loads(loa("report", "--format", "json").output)
    media_files = [p for p in folder.media_dir.rglob("*") if p.is_file()]
    assert len(media_files) >= 5 and _scan(folder)  # clips, posters, the recap; names and addresses in rows

    said = json.loads(loa("privacy", "purge", "--json").output)  # today (December 2026): not yet
    assert said["due"] is False and said["erase_on"] == "2027-01-30" and said["erased"]["clips"] == 2
    assert [p for p in folder.media_dir.rglob("*") if p.is_file()] == media_files

    week_before = datetime(2027, 1, 24, 9, 0, tzinfo=VN)
    with folder.sessions() as s:
        told = notify.troubles(s, s.scalars(select(Campaign)).one(), week_before)["privacy"]
        assert len(told) == 1 and "30/01/2027" in told[0][1]
        assert notify.troubles(s, s.scalars(select(Campaign)).one(), datetime(2027, 1, 20, tzinfo=VN))["privacy"] == []
    from content_queue import users
    from content_queue.store import transaction
    from loa.workspace import create_app
    from tests.test_workspace import PASSWORDS, sign_in

    with transaction(folder.sessions) as s:
        users.add_user(s, "can-bo", "officer", PASSWORDS["can-bo"])
    officer = create_app(folder, now=lambda: week_before).test_client()
    sign_in(officer, "can-bo")
    overview = officer.get("/").get_data(as_text=True)
    assert 'id="erasure"' in overview and "30/01/2027" in overview  # the officer is told on the overview too
    assert keeping.step(folder, portal.campaign_id, week_before) is None  # a week before the day: nothing
    assert keeping.step(folder, portal.campaign_id, datetime(2027, 1, 29, 23, 59, tzinfo=VN)) is None

    said = keeping.step(folder, portal.campaign_id, datetime(2027, 1, 30, 0, 5, tzinfo=VN))
    assert said["done"] and said["erased"]["clips"] == 2 and said["erased"]["signatures"] == 1
    assert said["erased"]["uploads"] == 2
    assert [p for p in folder.media_dir.rglob("*") if p.is_file()] == []
    assert [p for p in (folder.root / "uploads").rglob("*") if p.is_file()] == []
    assert _scan(folder) == []
    after = json.loads(loa("report", "--format", "json").output)
    figures = ("received", "accepted", "approved", "rejected", "withdrawn", "in_public_recap", "by_school", "by_age",
               "by_consent")
    assert {k: after["clips"][k] for k in figures} == {k: before["clips"][k] for k in figures}
    assert after["pledges"] == before["pledges"] and after["clips"]["list"] == []
    assert after["purged"]["at"].startswith("30/01/2027") or "2027-01-30" in after["purged"]["at"]
    assert "2 clips" in loa("report").output  # the text report says what was erased
    assert keeping.step(folder, portal.campaign_id, datetime(2027, 1, 31, tzinfo=VN)) is None  # once


def test_the_command_says_when_and_what_and_erases_only_on_the_day(loa, clips_made, monkeypatch):
    from datetime import timezone

    from content_queue.models import Clip
    from loa import settings
    from loa.cli import app as cli_app

    r = loa("privacy", "purge", "--dry-run")
    assert r.exit_code == 1 and "no last day" in r.output and "loa campaign set --end" in r.output
    assert loa("campaign", "set", "--end", "2026-11-01", "--keep-days", "10").exit_code == 0
    assert loa("clips", "add", str(clips_made[0]), "--participant", "Đoàn Văn Khải", "--age", "20",
               "--consent", "self").exit_code == 0
    init = cli_app.App.__init__

    def on(day: int) -> None:  # the command's clock, on that day of November 2026
        def driven(self, *a, **k):
            init(self, *a, **k)
            self.now = lambda: datetime(2026, 11, day, 12, 0, tzinfo=timezone.utc)
        monkeypatch.setattr(cli_app.App, "__init__", driven)

    on(10)
    r = loa("privacy", "purge")
    assert r.exit_code == 0 and "Kept until 11/11/2026" in r.output and "1 clips" in r.output
    on(11)
    r = loa("privacy", "purge", "--dry-run")
    assert "Due since 11/11/2026; would erase: 1 clips" in r.output
    with settings.find(loa.folder).sessions() as s:
        assert s.scalars(select(Clip)).all() != []
    r = loa("privacy", "purge")
    assert r.exit_code == 0 and "Erased on" in r.output and "1 clips" in r.output
    with settings.find(loa.folder).sessions() as s:
        assert s.scalars(select(Clip)).all() == []
