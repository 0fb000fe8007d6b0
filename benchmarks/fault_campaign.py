"""Fault campaign: hundreds of deliveries, a faulty sandbox, and `loa run` killed with SIGKILL.

The sandbox fails calls the way the platforms do (5xx, 429 with Retry-After, timeouts and dropped
connections *after* the post was made, expired access tokens), on the reads (status checks,
listings) as well as the writes, while the `loa run` process is
killed at random moments and restarted. At the end the sandbox's ledger and loa's database are
compared:

- published twice: a post that appears more than once on a platform (must be 0);
- lost: a delivery that is neither published (once, matching the ledger) nor in a state the
  officer can see and act on with a reason (must be 0);
- untracked: on the platform but not recorded as published by loa (must be 0).

Usage: python benchmarks/fault_campaign.py [--deliveries 300] [--kills 6] [--fault-rate 0.2] [--seed 7]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VISIBLE_WITH_REASON = {"failed", "needs_attention", "missed"}


def _loa(*args: str, env: dict, cwd: Path, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loa", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          check=check, timeout=timeout)


def setup(folder: Path, base: str, deliveries: int, env: dict, rng: random.Random) -> int:
    """A campaign with two Facebook Pages, two Zalo OAs and three TikTok accounts."""
    import requests

    _loa("init", str(folder), "--campaign", "Không một mình – chiến dịch thử lỗi", "--hashtags", "#khongmotminh",
         env=env, cwd=folder.parent)
    names = []
    for platform, count in (("facebook", 2), ("zalo", 2), ("tiktok", 3)):
        for i in range(count):
            creds = requests.post(f"{base}/_sandbox/accounts", json={"platform": platform}, timeout=10).json()
            f = folder / f"{platform}{i}.json"
            f.write_text(json.dumps(creds))
            extra = ["--cover-url", "https://example.org/bia.jpg"] if platform == "zalo" else []
            _loa("channel", "add", platform, "--name", f"{platform}{i}", "--credentials", str(f), *extra,
                 env=env, cwd=folder)
            names.append(f"{platform}{i}")
    from tests.conftest import make_video

    video = make_video(folder / "clip.mp4", size="540x960", seconds=3)
    rows = ["at,to,title,text,media,privacy_tiktok,music_tiktok"]
    made = 0
    n = 0
    while made < deliveries:
        n += 1
        if n % 6 == 0:  # a video to one TikTok account (TikTok allows 6 uploads a minute per account)
            target, media = f"tiktok{n % 3}", video.name
            made += 1
        else:
            target, media = "facebook0,facebook1,zalo0,zalo1", ""
            made += 4
        chosen = "PUBLIC_TO_EVERYONE,yes" if media else ","  # TikTok: the person's own choices
        rows.append(f'now,"{target}",Bài [{n}],"Bài [{n}] Không một mình: mẹo an toàn số {n}",{media},{chosen}')
    (folder / "posts.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = _loa("post", "import", "posts.csv", "--json", env=env, cwd=folder)
    return len(json.loads(out.stdout)["imported"])


def count(folder: Path, ledger: list[dict], env: dict) -> dict:
    from sqlalchemy import select

    from content_queue.models import Delivery
    from loa import settings

    os.environ["LOA_HOME"] = str(folder)
    f = settings.find()
    on_platform: Counter = Counter()
    for e in ledger:
        m = re.search(r"\[(\d+)\]", e["text"])
        on_platform[(e["platform"], e["account"], m.group(1) if m else e["text"])] += 1
    twice = sum(1 for v in on_platform.values() if v > 1)
    states: Counter = Counter()
    lost, untracked, mismatched = [], [], []
    with f.sessions() as s:
        for d in s.scalars(select(Delivery)):
            states[d.state.value] += 1
            tag = re.search(r"\[(\d+)\]", d.post.title).group(1)
            key = (d.channel.platform.value, d.channel.account_id, tag)
            seen = on_platform.get(key, 0)
            if d.state.value == "published":
                if seen != 1:
                    mismatched.append((d.id, d.state.value, seen))
            elif d.state.value in VISIBLE_WITH_REASON and d.last_error:
                if seen:
                    untracked.append((d.id, d.state.value, seen))
            else:
                lost.append((d.id, d.state.value, seen))
    return {"deliveries": sum(states.values()), "states": dict(states), "published_twice": twice,
            "lost": len(lost), "untracked": len(untracked), "published_but_not_on_platform": len(mismatched),
            "examples": {"lost": lost[:5], "untracked": untracked[:5], "mismatched": mismatched[:5]}}


def run(deliveries: int = 300, kills: int = 6, fault_rate: float = 0.2, seed: int = 7, workdir: Path | None = None,
        max_seconds: float = 1200, echo=print) -> dict:
    import tempfile

    import requests

    from sandbox import Sandbox, SandboxServer

    rng = random.Random(seed)
    tmp = Path(workdir or tempfile.mkdtemp(prefix="loa-faults-"))
    tmp.mkdir(parents=True, exist_ok=True)
    folder = tmp / "campaign"
    sb = Sandbox(seed=seed, processing_seconds=0.5)
    sb.access_lifetime["zalo"] = 3600
    with SandboxServer(sb) as server:
        env = {**os.environ, "LOA_API_BASE": server.base, "LOA_HTTP_READ_TIMEOUT": "1.0", "LOA_LEASE_SECONDS": "3",
               "LOA_BACKOFF_BASE": "0.5", "LOA_FOLLOW_EVERY": "0.5", "LOA_RECONCILE_EVERY": "0.5",
               "LOA_CATCH_UP_SPACING": "0.2", "LOA_ZALO_RATE_LIMIT_WAIT": "2",
               "LOA_PROCESSING_WINDOW": "5", "PYTHONPATH": str(ROOT)}
        env.pop("LOA_HOME", None)
        env.pop("LOA_DATABASE_URL", None)
        made = setup(folder, server.base, deliveries, env, rng)
        echo(f"{made} posts queued ({deliveries} deliveries) on 7 sandbox accounts; faults at {fault_rate:.0%}")
        sb.set_faults(fault_rate, delay=1.5, seed=seed, reads=True)
        started = time.monotonic()
        for k in range(kills):
            proc = subprocess.Popen([sys.executable, "-m", "loa", "run", "--quiet"], env=env, cwd=folder,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(1.0, 4.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            echo(f"  kill {k + 1}/{kills}: loa run killed with SIGKILL after {time.monotonic() - started:.0f} s; "
                 f"{len(sb.ledger)} published so far")
        out = _loa("run", "--until-idle", "--quiet", "--timeout", str(max_seconds), env=env, cwd=folder, check=False,
                   timeout=max_seconds + 60)
        echo("  final run: " + out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:])
        sb.set_faults(0.0)
        ledger = requests.get(f"{server.base}/_sandbox/ledger", timeout=10).json()["ledger"]
        result = count(folder, ledger, env)
        result["seconds"] = round(time.monotonic() - started, 1)
        result["kills"] = kills
        result["calls"] = len(sb.calls)
        with sb.lock:
            fired = list(sb.faults.fired)
        after = [f for f in fired if f["kind"] in ("timeout_after", "drop_after")]
        result["faults"] = {"fired": len(fired), "by_kind": dict(Counter(f["kind"] for f in fired)),
                            "answers_lost_on_reads": sum(f.get("read", False) for f in after),
                            "answers_lost_on_writes": sum(not f.get("read", False) for f in after),
                            "on_gets": sum(f["method"] == "GET" for f in fired)}
        return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deliveries", type=int, default=300)
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--fault-rate", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    r = run(args.deliveries, args.kills, args.fault_rate, args.seed)
    print(json.dumps(r, indent=2, ensure_ascii=False))
    print(f"\n{r['deliveries']} deliveries, {r['kills']} SIGKILLs, {r['calls']} platform calls, {r['seconds']} s: "
          f"published twice {r['published_twice']}, lost {r['lost']}, untracked {r['untracked']}, "
          f"recorded published but not on the platform {r['published_but_not_on_platform']}")
    f = r["faults"]
    print(f"faults fired {f['fired']} ({', '.join(f'{k} {v}' for k, v in sorted(f['by_kind'].items()))}); "
          f"answers lost after the call: {f['answers_lost_on_writes']} on writes, {f['answers_lost_on_reads']} on "
          f"reads; {f['on_gets']} faults on GET reads")


if __name__ == "__main__":
    main()
