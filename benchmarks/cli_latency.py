"""How fast the commands answer: `loa --help`, `loa post list` and `loa status`, each run in a
fresh process, beside `python -c "import click"` (the floor any click program pays) in the same run.

The folder is the demo's (`--folder` a folder `loa demo DIR` made) or, by default, a small one made
here: a campaign, three channels and 30 posts. Each command runs 10 times; medians are printed with
their ratio to the reference (machines are noisy: compare ratios, not seconds), and, for the
commands that read the database, to the floor of importing SQLAlchemy's ORM.

Usage: python benchmarks/cli_latency.py [--folder DIR] [--runs 10]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOALS = {"--help": 3.0, "post list": 5.0, "status": 5.0}


def _loa(*args: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loa", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=True)


def make_folder(root: Path, env: dict) -> Path:
    from sandbox import Sandbox

    folder = root / "campaign"
    _loa("init", str(folder), "--campaign", "Không một mình – Cùng nhau an toàn trực tuyến",
         "--hashtags", "#khongmotminh #antoantructuyen #niemtinso", cwd=root, env=env)
    sb = Sandbox()
    for platform in ("facebook", "zalo", "tiktok"):
        creds = root / f"{platform}.json"
        creds.write_text(json.dumps(sb.new_account(platform)), encoding="utf-8")
        extra = ["--cover-url", "https://example.org/bia.jpg"] if platform == "zalo" else []
        _loa("channel", "add", platform, "--name", platform, "--credentials", str(creds), *extra, cwd=folder, env=env)
    rows = ["at,to,text"] + [f"2031-10-{1 + i % 28:02d} {8 + i % 10:02d}:00,\"facebook,zalo\",Mẹo an toàn số {i}"
                             for i in range(30)]
    (folder / "posts.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    _loa("post", "import", "posts.csv", cwd=folder, env=env)
    return folder


def median_seconds(cmd: list[str], cwd: Path, env: dict, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", type=Path, help="A campaign folder (e.g. one `loa demo DIR` made).")
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")}
    env["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory(prefix="loa-latency-") as tmp:
        folder = args.folder.resolve() if args.folder else make_folder(Path(tmp), env)
        reference = median_seconds([sys.executable, "-c", "import click"], folder, env, args.runs)
        print(f"reference  python -c 'import click': median {reference * 1000:6.0f} ms ({args.runs} runs)")
        # The floor of a command that reads the database: importing SQLAlchemy's ORM, nothing else.
        orm = median_seconds([sys.executable, "-c", "import click, sqlalchemy.orm"], folder, env, args.runs)
        print(f"floor      python -c 'import click, sqlalchemy.orm': median {orm * 1000:6.0f} ms   "
              f"ratio {orm / reference:4.1f}x")
        for command, goal in GOALS.items():
            m = median_seconds([sys.executable, "-m", "loa", *command.split()], folder, env, args.runs)
            ratio = m / reference
            above = "" if command == "--help" else f"   {m / orm:4.2f}x the ORM floor"
            print(f"loa {command:10} median {m * 1000:6.0f} ms   ratio {ratio:4.1f}x   (goal <= {goal:.0f}x: "
                  f"{'met' if ratio <= goal else 'not met'}){above}")


if __name__ == "__main__":
    main()
