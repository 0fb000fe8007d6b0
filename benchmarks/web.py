"""How fast the workspace answers on a big campaign: 10,000 posts and 30,000 deliveries (one to
each of three channels), spread over the campaign's months, some failed and missed.

Server time of each page (the WSGI call, in this process, signed in), median and p95 of --runs
requests, beside the app's own health route in the same run. Goal: p95 under 150 ms for each page
on this machine: the overview, the month calendar and the post list.

Usage: python benchmarks/web.py [--posts 10000] [--runs 50]
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


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


if __name__ == "__main__":
    main()
