"""Video tóm tắt in the workspace, and the jobs behind it: the planner's strip (reordered, dropped,
added to, seconds changed, without a script), a render submitted as a job and run in a process of
its own by the JobRunner (progress, result), cancelled while it runs (nothing kept), a job whose
process died shown as failed with the reason, the recap watched (range requests) and queued like
any post through the rules of `loa recap publish`."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.test_workspace import sign_in, token, ws  # noqa: F401 (fixture)
from tests.test_workspace_clips import clips  # noqa: F401 (fixture)


@pytest.fixture
def ready(ws, clips):  # noqa: F811
    """The three clips approved, the 13-year-old's guardian consent recorded."""
    assert ws.loa("clips", "approve", *map(str, clips)).exit_code == 0
    assert ws.loa("clips", "consent", str(clips[1]), "--consent", "guardian", "--guardian", "Trần Văn Bình").exit_code == 0
    return clips


def _strip(body: str) -> list[int]:
    import re

    return [int(x) for x in re.findall(r'<li draggable="true" data-clip="(\d+)"', body)]


def _wait(ws, job_id: int, states=("done", "failed", "cancelled"), timeout: float = 180):  # noqa: F811
    from content_queue.models import Job

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with ws.folder.sessions() as s:
            job = s.get(Job, job_id)
            if job.status in states:
                return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job.status}")


def test_the_strip_starts_from_the_planner_and_changes_without_a_script(ws, ready):  # noqa: F811
    client = ws.test_client()
    sign_in(client, "can-bo")
    body = client.get("/recap").get_data(as_text=True)
    first = _strip(body)
    assert sorted(first) == sorted(ready) and "Video tóm tắt" in body
    csrf = token(body)
    form = {"csrf_token": csrf, "clip": [str(i) for i in first], **{f"sec_{i}": "3" for i in first}}
    moved = _strip(client.post("/recap", data={**form, "action": f"up:{first[2]}"}).get_data(as_text=True))
    assert moved == [first[0], first[2], first[1]]
    dropped = client.post("/recap", data={**form, "action": f"drop:{first[0]}"}).get_data(as_text=True)
    assert _strip(dropped) == first[1:] and f'value="add:{first[0]}"' in dropped
    again = {"csrf_token": csrf, "clip": [str(i) for i in first[1:]], f"sec_{first[1]}": "2.5", f"sec_{first[2]}": "3",
             "action": f"add:{first[0]}"}
    body = client.post("/recap", data=again).get_data(as_text=True)
    assert _strip(body) == first[1:] + [first[0]] and f'name="sec_{first[1]}" value="2.5"' in body


def test_a_link_that_asks_for_a_render_starts_nothing(ws, ready):  # noqa: F811
    """A GET changes nothing: a link on another site, or a viewer, cannot start a render."""
    from content_queue.models import Job

    for who in ("can-bo", "xem"):
        client = ws.test_client()
        sign_in(client, who)
        r = client.get(f"/recap?action=render&fmt=square&clip={ready[0]}&sec_{ready[0]}=4")
        assert r.status_code == 200
        with ws.folder.sessions() as s:
            assert s.scalars(select(Job)).all() == []


@pytest.mark.slow
def test_a_render_is_a_job_run_in_its_own_process_and_its_recap_is_published(ws, ready):  # noqa: F811
    from content_queue.models import Job, Post, Recap
    from loa.jobs import JobRunner

    client = ws.test_client()
    sign_in(client, "can-bo")
    body = client.get("/recap").get_data(as_text=True)
    order = [ready[2], ready[0]]
    r = client.post("/recap", data={"csrf_token": token(body), "clip": [str(i) for i in order],
                                    f"sec_{ready[2]}": "1.5", f"sec_{ready[0]}": "2", "fmt": "square",
                                    "intro_title": "Không một mình – lớp 9A", "action": "render"})
    assert r.status_code == 302
    with ws.folder.sessions() as s:
        job = s.scalars(select(Job)).one()
        assert job.status == "queued" and job.params["clip_ids"] == order and job.created_by == "can-bo"
    runner = JobRunner(ws.folder, poll=0.2).start()
    try:
        done = _wait(ws, job.id)
    finally:
        runner.stop()
    assert done.status == "done", done.error
    state = client.get(f"/jobs/{job.id}.json").get_json()
    assert state["state"] == "done" and state["percent"] == 100 and state["result"]["recap"]
    with ws.folder.sessions() as s:
        recap = s.get(Recap, state["result"]["recap"])
        assert recap.clip_ids["ids"] == order and recap.settings["format"] == "square"
        assert recap.settings["clip_seconds"] == {str(ready[2]): 1.5, str(ready[0]): 2.0}
    page = client.get("/recap").get_data(as_text=True)
    assert f'src="/recaps/{recap.id}/video"' in page and "xong" in page.lower()
    part = client.get(f"/recaps/{recap.id}/video", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and len(part.data) == 10
    ids = _channel_ids(ws)
    r = client.post(f"/recaps/{recap.id}/publish", data={"csrf_token": token(page), "to": [ids["fanpage"]],
                                                          "now": "1"})
    assert r.status_code == 302, r.get_data(as_text=True)
    with ws.folder.sessions() as s:
        post = s.scalars(select(Post)).one()
        assert post.source == f"recap {recap.id}" and post.media is not None


def test_a_running_render_is_cancelled_and_keeps_nothing(ws, ready):  # noqa: F811
    from content_queue.models import Job, Recap
    from content_queue.store import transaction
    from loa import jobs
    from loa.jobs import JobRunner

    with transaction(ws.folder.sessions) as s:
        from content_queue.campaigns import get_campaign

        campaign = get_campaign(s, ws.folder.campaign_slug)
        job_id = jobs.submit(s, campaign, "recap", {"fmt": "vertical", "clip_ids": ready, "order": "given",
                                                    "seconds": 60, "per_clip": 3, "preset": "slow"}, by="can-bo").id
    runner = JobRunner(ws.folder, poll=0.2).start()
    try:
        _wait(ws, job_id, states=("running",), timeout=60)
        with ws.folder.sessions() as s:
            while s.get(Job, job_id).progress < 0.02 and s.get(Job, job_id).status == "running":
                time.sleep(0.2)
                s.expire_all()
        client = ws.test_client()
        sign_in(client, "can-bo")
        import os

        with ws.folder.sessions() as s:  # the render is another process's work: the server only reads its row
            assert s.get(Job, job_id).pid not in (0, os.getpid())
        assert client.get("/").status_code == 200  # the overview answers meanwhile (benchmarks/web.py: how fast)
        page = client.get("/recap").get_data(as_text=True)
        assert f"/jobs/{job_id}/cancel" in page
        client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": token(page)})
        job = _wait(ws, job_id)
    finally:
        runner.stop()
    assert job.status == "cancelled", (job.status, job.error)
    with ws.folder.sessions() as s:
        assert s.scalars(select(Recap)).all() == []
    assert not list((ws.folder.root / "recaps").glob("*.mp4"))


def test_a_job_whose_process_died_is_failed_with_the_reason_never_running_forever(ws):  # noqa: F811
    from content_queue.campaigns import get_campaign
    from content_queue.models import Job
    from content_queue.store import transaction
    from loa import jobs

    with transaction(ws.folder.sessions) as s:
        campaign = get_campaign(s, ws.folder.campaign_slug)
        job = jobs.submit(s, campaign, "recap", {}, by="can-bo")
        job.status, job.started_at = "running", jobs.now() - timedelta(minutes=5)
        job.heartbeat_at = jobs.now() - timedelta(minutes=4)
        job_id = job.id
    client = ws.test_client()
    sign_in(client, "xem")
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["state"] == "failed" and "dừng khi chưa xong" in state["error"]
    with transaction(ws.folder.sessions) as s:  # a process that exits without a word
        job2 = jobs.submit(s, get_campaign(s, ws.folder.campaign_slug), "recap", {"clip_ids": [999]}, by="can-bo")
        job2_id = job2.id
    jobs.JobRunner(ws.folder).run_in_process(job2_id)
    with ws.folder.sessions() as s:
        j = s.get(Job, job2_id)
        assert j.status == "failed" and "999" in j.error  # the planner's own refusal, in words
        job3 = jobs.submit(s, get_campaign(s, ws.folder.campaign_slug), "recap", {}, by="can-bo")
        s.commit()
        job3_id = job3.id
    # a process that dies before it can say anything (here: it cannot even find the campaign)
    jobs.JobRunner(ws.folder, env={"LOA_HOME": str(ws.folder.root / "nowhere")}).run_in_process(job3_id)
    with ws.folder.sessions() as s:
        j = s.get(Job, job3_id)
        assert j.status == "failed" and "dừng khi chưa xong" in j.error and "LOA_HOME" in j.error


def _channel_ids(ws):  # noqa: F811
    from content_queue.models import Channel

    with ws.folder.sessions() as s:
        return {c.name: str(c.id) for c in s.scalars(select(Channel))}
