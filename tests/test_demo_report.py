"""`loa demo` end to end, and the report it ends with: figures against the database and the
sandbox's ledger, and the HTML report in headless Chromium."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.browser import artifact, browser

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo as an officer runs it: no LOA_LANG, so everything speaks the campaign's Vietnamese."""
    from content_queue import i18n
    from loa.cli import cli
    from loa.demo import run_demo

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LOA_LANG", raising=False)
        i18n.set_language(None)
        root, ledger = run_demo(tmp_path_factory.mktemp("demo") / "khong-mot-minh", cli)
    return root, ledger


def report_json(root):
    from click.testing import CliRunner

    from loa.cli import cli

    r = CliRunner().invoke(cli, ["report", "--format", "json"], env={"LOA_HOME": str(root), "LOA_LANG": None}, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_demo_publishes_everything_once(demo):
    root, ledger = demo
    # the Reel and the feed video of the recap share their caption, not their file
    keys = [(e["platform"], e["account"], e["text"], e.get("sha256")) for e in ledger]
    assert len(keys) == len(set(keys)), "something was published twice"
    assert (root / "bao-cao.html").is_file() and (root / "recaps" / "recap-khong-mot-minh.mp4").is_file()


def test_the_campaign_folder_is_the_officer_s_alone_after_the_demo(demo):
    """Folders 0700, files 0600 (the media store's copies 0400): no other account on the computer
    can read a participant's video, the database, a log or a report."""
    import os
    import stat

    root, _ledger = demo
    seen = {"dirs": 0, "files": 0, "media": 0}
    for dirpath, dirnames, filenames in os.walk(root):
        assert stat.S_IMODE(os.stat(dirpath).st_mode) == 0o700, dirpath
        seen["dirs"] += 1
        for name in filenames:
            path = os.path.join(dirpath, name)
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            assert mode & 0o077 == 0, (path, oct(mode))
            seen["files"] += 1
            seen["media"] += "/media/" in path and name.endswith(".mp4")
    assert seen["media"] >= 10 and seen["dirs"] >= 5  # the clips, the recaps, the logs were there to check


def test_the_demo_s_tips_are_a_series_on_its_slots_and_its_quiz_answer_came_after_it(demo, monkeypatch):
    from content_queue.models import Post, Series
    from loa import settings

    root, _ledger = demo
    monkeypatch.setenv("LOA_HOME", str(root))
    folder = settings.find()
    with folder.sessions() as s:
        series = s.query(Series).one()
        tips = s.query(Post).filter(Post.series_id == series.id).order_by(Post.series_number).all()
        assert [p.title for p in tips] == [f"Mẹo an toàn số {n}" for n in range(1, 5)]
        due = [p.due_at for p in tips]
        assert due == sorted(due) and len(set(due)) == 4  # one slot each, in order
        assert all(d.state.value == "published" for p in tips for d in p.deliveries)
        answer = s.query(Post).filter(Post.answer_of_id.is_not(None)).one()
        quiz = s.get(Post, answer.answer_of_id)
        quiz_out = {d.channel_id: d.published_at for d in quiz.deliveries}
        for d in answer.deliveries:
            assert d.state.value == "published" and d.published_at >= quiz_out[d.channel_id]


def test_report_figures_match_database_and_ledger(demo, monkeypatch):
    root, ledger = demo
    monkeypatch.setenv("LOA_HOME", str(root))
    data = report_json(root)
    from content_queue.models import Clip, ClipStatus, Delivery, DeliveryState
    from loa import settings

    folder = settings.find()
    with folder.sessions() as s:
        deliveries = list(s.scalars(select(Delivery)))
        clips = list(s.scalars(select(Clip)))
    published = [d for d in deliveries if d.state is DeliveryState.published]
    assert data["totals"]["deliveries"] == len(deliveries) == 23
    assert data["totals"]["published"] == len(published) == len(ledger)
    remote_ids = {e["remote_id"] for e in ledger}
    for ch in data["channels"]:
        for d in ch["deliveries"]:
            if d["state"] == "published":
                assert any(rid.split("_")[-1] in d["url"] for rid in remote_ids), d["url"]
    assert data["clips"]["received"] == len(clips) == 12
    assert data["clips"]["rejected"] == sum(c.status is ClipStatus.rejected for c in clips) == 1
    assert data["clips"]["in_public_recap"] == 10  # the 14-year-old without a guardian's consent is out
    assert sum(v["received"] for v in data["clips"]["by_school"].values()) == 12
    vertical, feed = data["recaps"]
    assert (vertical["format"], feed["format"]) == ("vertical", "feed")
    assert sorted(p["platform"] for p in vertical["published"]) == ["facebook", "tiktok", "zalo"]
    assert [p["platform"] for p in feed["published"]] == ["facebook"]
    assert all(p["state"] == "published" for p in vertical["published"] + feed["published"])
    [quiz] = data["quizzes"]  # the quiz and its answer, as a pair, per channel: the answer after the quiz
    assert len(quiz["channels"]) == 2 and all(c["quiz"] and c["answer"] and c["answer"] > c["quiz"]
                                              for c in quiz["channels"])
    assert data["pledges"]["approved"] == data["pledges"]["signed"] == 5  # signed on the public page, approved
    assert data["pledges"]["by_school"]["Trường THCS Kon Chiêng"] == 2
    consent_none = next(c for c in data["clips"]["list"] if c["consent"] == "none")
    assert consent_none["id"] not in vertical["clips"] and vertical["clips"] == feed["clips"]


def test_the_report_s_reach_is_the_sandbox_s_own_counts_and_says_why_where_none(demo, monkeypatch):
    """After the demo, each published delivery's numbers in the report are what the sandbox gave
    when they were read; every unavailable number names its reason."""
    root, ledger = demo
    monkeypatch.setenv("LOA_HOME", str(root))
    data = report_json(root)
    given = {str(e["remote_id"]): e["numbers"] for e in ledger if e.get("numbers")}
    checked = 0
    for ch in data["channels"]:
        for d in ch["deliveries"]:
            if d["state"] != "published":
                continue
            assert d["numbers"], d
            sandbox_says = next((v for k, v in given.items() if k.split("_")[-1] in d["url"] or k in d["url"]), None)
            for m, n in d["numbers"]["metrics"].items():
                if n["value"] is None:
                    assert n["reason"] and n["why"], (m, n)
                elif sandbox_says is not None and m != "avg_watch_seconds":
                    assert n["value"] == sandbox_says[m], (ch["platform"], m, n, sandbox_says)
                    checked += 1
    assert checked >= 10
    assert data["reach"]["total"]["views"] > 0 and data["reach"]["top_posts"]
    # the views over time end at the total; each recap's reach is its own deliveries' numbers added up
    assert data["reach"]["over_time"][-1]["views"] == data["reach"]["total"]["views"]
    for rc in data["recaps"]:
        views = [p["numbers"]["metrics"]["views"]["value"] for p in rc["published"]
                 if p["numbers"]["metrics"]["views"]["value"] is not None]
        assert views and rc["reach"]["views"] == sum(views)


def test_report_text_and_csv(demo):
    from click.testing import CliRunner

    from loa.cli import cli

    root, _ = demo
    r = CliRunner().invoke(cli, ["report"], env={"LOA_HOME": str(root), "LOA_LANG": None})
    assert "BÁO CÁO CHIẾN DỊCH: Không một mình – Cùng nhau an toàn trực tuyến" in r.output
    assert "Video hưởng ứng: nhận 12, hợp lệ 11, bị loại 1" in r.output
    assert "Theo sự đồng ý: phụ huynh đồng ý 8 (hợp lệ 7); chưa có đồng ý 1 (hợp lệ 1); tự đồng ý 3 (hợp lệ 3)" in r.output
    assert "Video tóm tắt #1 (dọc 9:16," in r.output and "Video tóm tắt #2 (4:5 cho bảng tin Facebook," in r.output
    out = root / "bai-dang-da-dang.csv"
    r = CliRunner().invoke(cli, ["report", "--format", "csv", "--out", str(out)], env={"LOA_HOME": str(root), "LOA_LANG": None})
    rows = out.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("channel,platform,delivery") and len(rows) == 24  # a header and 23 deliveries
    assert rows[0].endswith("views,reach,reactions,comments,shares,numbers_read")
    import csv

    table = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert all(row["numbers_read"] for row in table) and any(row["reach"] == "" for row in table)  # empty, not 0
    every = root / "so-lieu.csv"
    r = CliRunner().invoke(cli, ["report", "--format", "csv", "--insights", "--out", str(every)],
                           env={"LOA_HOME": str(root), "LOA_LANG": None})
    assert r.exit_code == 0, r.output
    readings = list(csv.DictReader(every.read_text(encoding="utf-8-sig").splitlines()))
    assert len({(x["delivery"], x["metric"]) for x in readings}) == 23 * 7  # every metric of every delivery
    assert len({x["read_at"] for x in readings}) >= 2 and len(readings) > 23 * 7  # the opening read twice
    assert all(x["unavailable_reason"] for x in readings if x["value"] == "")
    assert all(not x["unavailable_reason"] for x in readings if x["value"] != "")
    r = CliRunner().invoke(cli, ["report", "--insights"], env={"LOA_HOME": str(root), "LOA_LANG": None})
    assert r.exit_code != 0 and "--format csv" in r.output


def test_html_report_in_headless_chromium(demo):
    root, _ = demo
    html_file = root / "bao-cao.html"
    assert "http://" not in re.sub(r'href="[^"]+"', "", html_file.read_text(encoding="utf-8")).replace(
        "http://www.w3.org/2000/svg", "")  # nothing to fetch: it opens offline
    errors: list[str] = []
    with browser() as b:
        page = b.new_page(viewport={"width": 1100, "height": 1400})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.goto(html_file.as_uri())
        for section in ("tong-quan", "dong-thoi-gian", "kenh", "video-huong-ung", "video-tom-tat"):
            assert page.locator(f"section#{section}").count() == 1, section
        assert "Báo cáo chiến dịch" in page.locator("h1").inner_text()
        assert page.locator("svg").count() >= 5
        assert page.locator("section#tiep-can figure svg polyline").count() >= 1  # views over time
        clips = report_json(root)["clips"]  # a picture only of a clip that may be shown in public
        assert page.locator(".clip img").count() == clips["in_public_recap"] == sum(
            bool(c["poster"]) for c in clips["list"]) < clips["received"]
        shot = artifact("report.png")
        page.screenshot(path=str(shot), full_page=True)
    assert errors == []
    assert shot.stat().st_size > 50_000


def test_the_html_report_escapes_what_was_stored(loa, channels):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = loa("post", "add", "--text", f"Mẹo {hostile}", "--title", hostile, "--at", "2031-10-20 08:00", "--to", "facebook")
    assert r.exit_code == 0, r.output
    html = loa("report", "--format", "html").output
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html or "&lt;script&gt;alert(&quot;x&quot;)" in html
