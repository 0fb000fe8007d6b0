"""Scheduler figures: dispatch lag, throughput, and the claim query on a million deliveries.

1. Dispatch lag: 1,000 deliveries due within one minute, one `loa run` (SQLite) against the
   sandbox answering at once; lag = when the post reached the sandbox minus when it was due.
   Printed as p50 and p99 (goal p99 <= 1 s).
2. Throughput: deliveries per second with the sandbox answering at once, one worker on SQLite and
   four on PostgreSQL (when LOA_TEST_DATABASE_URL is set), beside the reference: bare HTTP posts
   to the same sandbox from one process (the ceiling no publisher can beat).
3. Claim query: median time of the engine's claim with 1,000,000 deliveries in the table
   (goal <= 5 ms), beside the reference: a primary-key lookup on the same table.

Usage: python benchmarks/scheduler.py [--skip-lag] [--skip-throughput] [--skip-claim] [--rows 1000000]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("LOA_TEST_DATABASE_URL")


def loa(*args, env, cwd, check=True):
    return subprocess.run([sys.executable, "-m", "loa", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          check=check)


def campaign(tmp: Path, server, env: dict, pages: int, rows: list[str]) -> Path:
    folder = tmp / uuid.uuid4().hex[:6]
    loa("init", str(folder), "--campaign", "Đo đạc", "--hashtags", "#khongmotminh", env=env, cwd=tmp)
    for i in range(pages):
        f = folder / f"fb{i}.json"
        f.write_text(json.dumps(server.sandbox.new_account("facebook")))
        loa("channel", "add", "facebook", "--name", f"trang{i}", "--credentials", str(f), env=env, cwd=folder)
    (folder / "posts.csv").write_text("\n".join(["at,to,text"] + rows) + "\n", encoding="utf-8")
    loa("post", "import", "posts.csv", env=env, cwd=folder)
    return folder


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def dispatch_lag(tmp: Path) -> None:
    from zoneinfo import ZoneInfo

    from sandbox import Sandbox, SandboxServer

    with SandboxServer(Sandbox(processing_seconds=0)) as server:
        env = {**os.environ, "LOA_API_BASE": server.base}
        env.pop("LOA_DATABASE_URL", None)
        start = datetime.now(timezone.utc) + timedelta(seconds=45)
        due = [start + timedelta(seconds=60 * i / 1000) for i in range(1000)]
        tz = ZoneInfo("Asia/Ho_Chi_Minh")
        rows = [f'{d.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")},trang{i % 10},"Bài {i} đến hạn"'
                for i, d in enumerate(due)]
        # times are kept to the second by the CSV: the exact due instants are read back from the database
        folder = campaign(tmp, server, env, 10, rows)
        proc = subprocess.Popen([sys.executable, "-m", "loa", "run", "--quiet"], env=env, cwd=folder,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 240
        while len(server.sandbox.ledger) < 1000 and time.time() < deadline:
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        reached = {e["text"].split("\n")[0]: e["at"] for e in server.sandbox.ledger}
    import sqlite3

    db = sqlite3.connect(folder / "loa.db")
    lags = []
    for text, due_at in db.execute("SELECT p.text, d.due_at FROM deliveries d JOIN posts p ON p.id = d.post_id"):
        due_ts = datetime.fromisoformat(due_at).replace(tzinfo=timezone.utc).timestamp()
        if text.split("\n")[0] in reached:
            lags.append(reached[text.split("\n")[0]] - due_ts)
    print(f"dispatch lag, 1,000 deliveries due within one minute (SQLite, one worker): "
          f"p50 {pct(lags, 50):.3f} s, p99 {pct(lags, 99):.3f} s, max {max(lags):.3f} s, "
          f"published {len(lags)}/1000 (goal p99 <= 1 s)")


def reference_http(server, n: int = 500) -> float:
    import requests

    creds = server.sandbox.new_account("facebook")
    s = requests.Session()
    t = time.perf_counter()
    for i in range(n):
        s.post(f"{server.base}/graph.facebook.com/v21.0/{creds['page_id']}/feed",
               data={"message": f"tham chiếu {i}", "access_token": creds["access_token"]})
    return n / (time.perf_counter() - t)


def throughput(tmp: Path) -> None:
    from sandbox import Sandbox, SandboxServer

    results = []
    setups = [("SQLite", 1, None)]
    if PG:
        setups.append(("PostgreSQL", 4, PG))
    for name, workers, url in setups:
        with SandboxServer(Sandbox(processing_seconds=0)) as server:
            env = {**os.environ, "LOA_API_BASE": server.base}
            env.pop("LOA_DATABASE_URL", None)
            schema = None
            if url:
                import sqlalchemy as sa

                from content_queue.store import normalise_url

                schema = "bench_" + uuid.uuid4().hex[:8]
                with sa.create_engine(normalise_url(url)).begin() as c:
                    c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                sep = "&" if "?" in url else "?"
                env["LOA_DATABASE_URL"] = f"{url}{sep}options=-csearch_path%3D{schema}"
            rows = [f'now,all,"Bài {i}"' for i in range(250)]
            folder = campaign(tmp, server, env, 4, rows)
            t = time.perf_counter()
            procs = [subprocess.Popen([sys.executable, "-m", "loa", "run", "--until-idle", "--quiet"], env=env,
                                      cwd=folder, stdout=subprocess.DEVNULL) for _ in range(workers)]
            for p in procs:
                p.wait()
            seconds = time.perf_counter() - t
            ref = reference_http(server)
            results.append((name, workers, 1000 / seconds, ref))
            if schema:
                with sa.create_engine(normalise_url(url)).begin() as c:
                    c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    for name, workers, rate, ref in results:
        print(f"throughput, {name}, {workers} worker(s): {rate:.0f} deliveries/s (incl. start-up); "
              f"reference bare HTTP posts from one process: {ref:.0f}/s; ratio {rate / ref:.2f}")


def claim_query(rows: int) -> None:
    import sqlalchemy as sa

    from content_queue.store import make_engine, migrate, normalise_url, session_factory
    from scheduler.engine import Engine

    targets = [("SQLite", None)] + ([("PostgreSQL", PG)] if PG else [])
    for name, url in targets:
        schema = None
        if url is None:
            db = Path(tempfile.mkdtemp()) / "claim.db"
            eng = make_engine(f"sqlite:///{db}", create_file=True)
        else:
            schema = "claim_" + uuid.uuid4().hex[:8]
            admin = sa.create_engine(normalise_url(url))
            with admin.begin() as c:
                c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in url else "?"
            eng = make_engine(f"{url}{sep}options=-csearch_path%3D{schema}")
        migrate(eng)
        channels, posts = 1000, max(1, rows // 1000)
        now = datetime.now(timezone.utc)
        with eng.begin() as c:
            c.execute(sa.text("INSERT INTO campaigns (id, slug, name, message, hashtags, timezone, language, "
                              "grace_minutes, add_hashtags, facebook_handoff, guardian_age, created_at) VALUES "
                              "(1, 'b', 'b', '', '', 'UTC', 'vi', 120, true, false, 16, :n)"), {"n": now})
            c.execute(sa.text("INSERT INTO channels (id, campaign_id, platform, name, account_id, credentials_json, "
                              "credentials_version, settings, health, health_detail, active, created_at, updated_at) "
                              "VALUES (:i, 1, 'facebook', :name, '1', '{}', 1, '{}', 'ok', '', true, :n, :n)"),
                      [{"i": i + 1, "name": f"c{i}", "n": now} for i in range(channels)])
            c.execute(sa.text("INSERT INTO posts (id, campaign_id, title, text, link, cover_url, variants, "
                              "add_hashtags, due_at, source, created_at, updated_at) VALUES "
                              "(:i, 1, '', 'x', '', '', '{}', true, :n, 'b', :n, :n)"),
                      [{"i": i + 1, "n": now} for i in range(posts)])
        t0 = time.perf_counter()
        batch = []
        past = now - timedelta(days=3)
        for p in range(posts):
            for ch in range(channels):
                live = (p * channels + ch) % 1000 == 0  # one in a thousand is still waiting
                batch.append({"p": p + 1, "c": ch + 1, "s": "scheduled" if live else "published",
                              "d": now - timedelta(seconds=5) if live else past})
            if len(batch) >= 50000 or p == posts - 1:
                with eng.begin() as c:
                    c.execute(sa.text("INSERT INTO deliveries (post_id, channel_id, state, due_at, next_attempt_at, "
                                      "attempt_count, remote_state, last_error, last_error_kind, preflight, created_at, "
                                      "updated_at) VALUES (:p, :c, :s, :d, :d, 0, '{}', '', '', '', :d, :d)"), batch)
                batch = []
        with eng.begin() as c:
            if url is None:
                c.exec_driver_sql("ANALYZE")
            else:
                c.exec_driver_sql("ANALYZE deliveries")
            total = c.execute(sa.text("SELECT count(*) FROM deliveries")).scalar()
        load = time.perf_counter() - t0
        engine = Engine(session_factory(eng), media_dir=Path("."), worker_id="bench")
        claim_times, ref_times = [], []
        for _ in range(30):
            t = time.perf_counter()
            ids = engine.claim(limit=20)
            claim_times.append((time.perf_counter() - t) * 1000)
            with eng.begin() as c:  # put them back for the next round
                c.execute(sa.text("UPDATE deliveries SET state='scheduled', attempt_count=0 WHERE id IN :ids")
                          .bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids})
            t = time.perf_counter()
            with eng.connect() as c:
                c.execute(sa.text("SELECT state FROM deliveries WHERE id = :i"), {"i": 777777 % total + 1}).all()
            ref_times.append((time.perf_counter() - t) * 1000)
        print(f"claim query, {name}, {total:,} deliveries ({total // 1000:,} waiting; loaded in {load:.0f} s): "
              f"median {statistics.median(claim_times):.2f} ms, p90 {pct(claim_times, 90):.2f} ms (goal <= 5 ms); "
              f"reference primary-key read: median {statistics.median(ref_times):.2f} ms; "
              f"ratio {statistics.median(claim_times) / statistics.median(ref_times):.1f}")
        eng.dispose()
        if schema:
            with admin.begin() as c:
                c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-lag", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-claim", action="store_true")
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_claim:
            claim_query(args.rows)
        if not args.skip_throughput:
            throughput(Path(tmp))
        if not args.skip_lag:
            dispatch_lag(Path(tmp))


if __name__ == "__main__":
    main()
