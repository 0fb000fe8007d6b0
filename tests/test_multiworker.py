"""Four `loa run` workers share one PostgreSQL queue: 1,000 deliveries, each published once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa

from sandbox import Sandbox, SandboxServer
from tests.conftest import PG_URL, _pg_schema_url

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL not configured: set LOA_TEST_DATABASE_URL")


@pytest.fixture
def pg_schema():
    from content_queue.store import normalise_url

    schema = "mw_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield _pg_schema_url(schema)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def loa(*args, env, cwd, check=True, timeout=300):
    return subprocess.run([sys.executable, "-m", "loa", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          check=check, timeout=timeout)


POSTS = 125  # to four Pages: 500 deliveries shared by four `loa run` processes (the scale: benchmarks/scheduler.py)


@pytest.mark.slow
def test_four_workers_share_five_hundred_deliveries_none_twice(pg_schema, tmp_path):
    with SandboxServer(Sandbox(processing_seconds=0.0)) as server:
        env = {**os.environ, "LOA_DATABASE_URL": pg_schema, "LOA_API_BASE": server.base}
        env.pop("LOA_HOME", None)
        folder = tmp_path / "province"
        loa("init", str(folder), "--campaign", "Tỉnh", "--hashtags", "#khongmotminh", env=env, cwd=tmp_path)
        pages = []
        for i in range(4):
            creds = server.sandbox.new_account("facebook")
            f = folder / f"fb{i}.json"
            f.write_text(json.dumps(creds))
            loa("channel", "add", "facebook", "--name", f"trang{i}", "--credentials", str(f), env=env, cwd=folder)
            pages.append(creds["page_id"])
        rows = ["at,to,text"] + [f'now,all,"Bài số {n} #khongmotminh"' for n in range(POSTS)]
        (folder / "posts.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        loa("post", "import", "posts.csv", env=env, cwd=folder)
        workers = [subprocess.Popen([sys.executable, "-m", "loa", "run", "--until-idle", "--quiet", "--timeout", "240"],
                                    env=env, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(4)]
        outputs = [w.communicate(timeout=300) for w in workers]
        assert all(w.returncode == 0 for w in workers), outputs
        ledger = server.sandbox.ledger
    per_post = Counter((e["account"], e["text"]) for e in ledger)
    assert len(ledger) == 4 * POSTS
    assert max(per_post.values()) == 1
    engine = sa.create_engine(pg_schema.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        states = dict(conn.execute(sa.text("SELECT state, count(*) FROM deliveries GROUP BY state")).all())
        per_delivery = conn.execute(sa.text(
            "SELECT delivery_id, count(*) FROM attempts WHERE action = 'publish' GROUP BY delivery_id "
            "HAVING count(*) > 1")).all()
        by_worker = conn.execute(sa.text("SELECT count(DISTINCT worker) FROM attempts")).scalar()
    engine.dispose()
    assert states == {"published": 4 * POSTS}
    assert per_delivery == []
    assert by_worker >= 2  # the work really was shared


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_long_upload_keeps_its_claim(db_url, tmp_path):
    """The lease is renewed on its own thread: while worker A spends several leases on one slow
    call, worker B passes again and again and never takes A's claim for a dead worker's."""
    import threading
    import time as _time

    from sqlalchemy import select

    from connectors.http import Http
    from sandbox import Sandbox, SandboxServer
    from content_queue.models import Attempt, DeliveryState
    from scheduler.engine import Engine, Policy
    from tests.scheduler_helpers import Clock, make_world

    with SandboxServer(Sandbox(processing_seconds=0.1)) as server:
        w = make_world(db_url, tmp_path, server, Clock())
        w.clock = lambda: __import__("datetime").datetime.now(__import__("datetime").timezone.utc)
        w.add_channel("facebook", "fanpage")
        [d] = w.post("Tải chậm", "facebook", at=w.clock())
        server.sandbox.slow_down("/feed", 4.0)  # the publishing call takes four leases
        policy = Policy(lease_seconds=1.0)

        def engine() -> Engine:
            return Engine(w.sessions, media_dir=w.media_dir, policy=policy, http=Http(base=server.base, timeout=(2, 10)))

        a, b = engine(), engine()
        a.start_lease()
        b.start_lease()
        t = threading.Thread(target=a.run_pass)
        t.start()
        deadline = _time.monotonic() + 30  # a loaded machine may take a while to claim it; no timing is asserted
        while w.delivery(d).state is DeliveryState.scheduled and _time.monotonic() < deadline:
            _time.sleep(0.05)
        assert w.delivery(d).state is DeliveryState.publishing and w.delivery(d).claimed_by == a.worker_id
        passes = 0
        while t.is_alive():
            b.run_pass()
            passes += 1
            _time.sleep(0.2)
        t.join()
        a.retire()
        b.retire()
        got = w.delivery(d)
        assert got.state is DeliveryState.published and passes >= 10
        with w.sessions() as s:
            actions = [x.action for x in s.scalars(select(Attempt).where(Attempt.delivery_id == d))]
        assert actions == ["publish"], actions  # never recovered, never reconciled
        assert len(w.ledger("Tải chậm")) == 1
        w.engine_db.dispose()
