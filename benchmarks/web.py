"""How fast the workspace answers on a big campaign: 10,000 posts and 30,000 deliveries (one to
each of three channels), spread over the campaign's months, some failed and missed.

Server time of each page (the WSGI call, in this process, signed in), median and p95 of --runs
requests, beside the app's own health route in the same run. Goal: p95 under 150 ms for each page
on this machine: the overview, the month calendar and the post list.

Then the overview again while a recap renders (a job, in its own process, as `loa serve` runs it),
beside the same page with nothing running: goal under 500 ms, and the ratio of the medians.

Usage: python benchmarks/web.py [--posts 10000] [--runs 50] [--no-render]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_MS = 150.0


def make_campaign(root: Path, posts: int) -> Path:
    from sqlalchemy import insert

    from content_queue import users
    from content_queue.campaigns import create_campaign
    from content_queue.models import Channel, ChannelHealth, Delivery, DeliveryState, Platform, Post
    from content_queue.store import make_engine, migrate, session_factory, transaction
    from loa import settings

    folder = root / "camp"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'loa.db'}", create_file=True)
    migrate(engine)
    with transaction(session_factory(engine)) as s:
        c = create_campaign(s, name="Không một mình – Cùng nhau an toàn trực tuyến",
                            hashtags="#khongmotminh #antoantructuyen #niemtinso", tz="Asia/Ho_Chi_Minh", message="")
        chans = [Channel(campaign_id=c.id, platform=Platform(p), name=p, account_id=f"acc-{p}",
                         health=ChannelHealth.ok) for p in ("facebook", "zalo", "tiktok")]
        s.add_all(chans)
        s.flush()
        settings.write_config(folder, {"campaign": {"slug": c.slug}, "store": {"database": "loa.db", "media": "media"}})
        users.add_user(s, "can-bo", "officer", "mat khau do benchmark")
        start = datetime.now(timezone.utc) - timedelta(days=60)
        rows = [{"campaign_id": c.id, "text": f"Mẹo an toàn số số {i}: đừng gửi ảnh riêng tư cho người lạ.",
                 "title": "", "due_at": start + timedelta(minutes=17 * i), "variants": {}, "add_hashtags": True}
                for i in range(posts)]
        s.execute(insert(Post), rows)
        ids = [pid for (pid,) in s.execute(Post.__table__.select().with_only_columns(Post.id).order_by(Post.id))]
        states = [DeliveryState.published] * 7 + [DeliveryState.failed, DeliveryState.missed, DeliveryState.scheduled]
        deliveries = []
        for n, (pid, r) in enumerate(zip(ids, rows)):
            past = r["due_at"] < datetime.now(timezone.utc)
            for ch in chans:
                st = states[(n + ch.id) % len(states)] if past else DeliveryState.scheduled
                deliveries.append({"post_id": pid, "channel_id": ch.id, "state": st, "due_at": r["due_at"],
                                   "next_attempt_at": r["due_at"], "remote_state": {},
                                   "last_error": "Facebook từ chối bài đăng." if st is DeliveryState.failed else ""})
        s.execute(insert(Delivery), deliveries)
    engine.dispose()
    return folder


def timed(client, path: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(path)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--no-render", action="store_true", help="Skip the overview-while-rendering figure.")
    args = ap.parse_args()
    import re

    from loa import settings
    from loa.workspace import create_app

    with tempfile.TemporaryDirectory(prefix="loa-web-") as tmp:
        t = time.perf_counter()
        folder = make_campaign(Path(tmp), args.posts)
        print(f"campaign: {args.posts} posts, {3 * args.posts} deliveries, made in {time.perf_counter() - t:.1f} s")
        app = create_app(settings.load(folder))
        client = app.test_client()
        page = client.get("/sign-in").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/sign-in", data={"username": "can-bo", "password": "mat khau do benchmark", "csrf_token": csrf})
        for path in ("/health", "/", "/calendar", "/posts"):
            timed(client, path, 3)  # warm up
        ref = timed(client, "/health", args.runs)
        print(f"reference  /health    median {statistics.median(ref):6.1f} ms   p95 {_p95(ref):6.1f} ms")
        for name, path in (("overview", "/"), ("month", "/calendar"), ("post list", "/posts")):
            ms = timed(client, path, args.runs)
            p95 = _p95(ms)
            print(f"{name:10} {path:10} median {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   "
                  f"({statistics.median(ms) / statistics.median(ref):.0f}x the health route; goal p95 < "
                  f"{GOAL_MS:.0f} ms: {'met' if p95 < GOAL_MS else 'not met'})")
        if not args.no_render:
            during_render(settings.load(folder), client, args.runs)


def during_render(folder, client, runs: int) -> None:
    """The overview while a 60-second vertical recap of four clips renders, beside it idle."""
    import subprocess

    import imageio_ffmpeg

    from content_queue import clips as C
    from content_queue.campaigns import get_campaign
    from content_queue.models import Job
    from content_queue.store import transaction
    from loa import jobs

    with transaction(folder.sessions) as s:
        campaign = get_campaign(s, folder.campaign_slug)
        for i in range(4):
            path = folder.root / f"clip{i}.mp4"
            subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                            f"testsrc2=s=1080x1920:r=30:d={12 + i}", "-f", "lavfi", "-i",
                            f"sine=frequency={300 + 50 * i}:duration={12 + i}", "-c:v", "libx264", "-preset",
                            "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)], check=True)
            clip = C.add_clip(s, campaign, path, C.Sender(participant=f"Bạn {i}", age=18, consent="self"),
                              media_dir=folder.media_dir)
            C.approve(s, campaign, clip.id)
        job_id = jobs.submit(s, campaign, "recap", {"fmt": "vertical", "seconds": 60, "per_clip": 12,
                                                   "preset": "medium"}, by="benchmark").id
    runner = jobs.JobRunner(folder, poll=0.2).start()
    try:
        while True:
            with folder.sessions() as s:
                job = s.get(Job, job_id)
                if job.status != "queued" and (job.progress or 0) > 0.05 or job.status in jobs.FINISHED:
                    break
            time.sleep(0.2)
        busy = timed(client, "/", runs)
        with folder.sessions() as s:
            progress, state = s.get(Job, job_id).progress, s.get(Job, job_id).status
        with transaction(folder.sessions) as s:
            if s.get(Job, job_id).status not in jobs.FINISHED:
                jobs.cancel(s, get_campaign(s, folder.campaign_slug), job_id)
    finally:
        runner.stop(timeout=120)
    idle = timed(client, "/", runs)
    mb, mi = statistics.median(busy), statistics.median(idle)
    print(f"overview while a recap renders (job {state}, {progress:.0%} done when measured): median {mb:6.1f} ms "
          f"p95 {_p95(busy):6.1f} ms; idle median {mi:6.1f} ms; ratio {mb / mi:.2f}x; goal < 500 ms: "
          f"{'met' if _p95(busy) < 500 else 'not met'}")


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


if __name__ == "__main__":
    main()
