"""Peak memory of uploading a large video through each connector's video path.

Each upload runs in a fresh child process against the sandbox (itself another process, so its
memory is not counted), and the child reports its peak RSS. Beside them, in the same run:
- baseline: a child that imports the connectors and reads the file through once (the floor);
- naive: a child that sends the same file with ``requests.post(data=f.read())`` (the file in memory).

Usage: python benchmarks/upload_memory.py [--size-mb 1024] [--zalo-size-mb 50]
Zalo takes videos of at most 50 MB, so its path uploads a 50 MB file.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MB = 1024 * 1024


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def child(path_name: str, file: Path, base: str) -> dict:
    import requests

    from connectors import CONNECTORS, Item, Media
    from connectors.http import Http

    size = file.stat().st_size
    media = Media(file, "video", size, 1080, 1920, 60.0)
    started = time.perf_counter()
    if path_name == "baseline":
        with open(file, "rb") as f:
            while f.read(MB):
                pass
    elif path_name == "naive":
        with open(file, "rb") as f:
            requests.post(f"{base}/rupload.facebook.com/video-upload/v21.0/0", data=f.read(), timeout=600)
    else:
        platform, route = path_name.split(":")
        creds = requests.post(f"{base}/_sandbox/accounts", json={"platform": platform}, timeout=10).json()
        connector = CONNECTORS[platform](creds, {"cover_url": "https://example.org/c.jpg"},
                                         http=Http(base=base, timeout=(10, 600)))
        if platform == "zalo":
            connector.sleep = lambda s: time.sleep(min(s, 0.2))
        result = connector.publish(Item(text=f"bench {path_name}", title="bench", media=media, route=route))
        deadline = time.monotonic() + 120
        while result.status == "processing" and time.monotonic() < deadline:
            time.sleep(0.2)
            result = connector.check(result.state, Item(text=f"bench {path_name}", title="bench", media=media))
        assert result.status == "published", result
    seconds = time.perf_counter() - started
    return {"path": path_name, "bytes": size, "seconds": seconds, "peak_rss_mb": peak_mb()}


def make_file(path: Path, size: int) -> Path:
    block = os.urandom(MB)
    with open(path, "wb") as f:
        for _ in range(size // MB):
            f.write(block)
        f.write(block[: size % MB])
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_child(name: str, file: Path, base: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", name, "--file", str(file), "--base", base],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--zalo-size-mb", type=int, default=50)
    ap.add_argument("--child")
    ap.add_argument("--file", type=Path)
    ap.add_argument("--base")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.file, args.base)))
        return
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "loa", "sandbox", "serve", "--port", str(port),
                               "--processing-seconds", "0.2"], cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            big = make_file(Path(tmp) / "big.mp4", args.size_mb * MB)
            small = make_file(Path(tmp) / "zalo.mp4", args.zalo_size_mb * MB)
            time.sleep(1.0)
            rows = [run_child("baseline", big, base)]
            for name in ("facebook:reel", "facebook:video", "tiktok:", "zalo:"):
                rows.append(run_child(name, small if name.startswith("zalo") else big, base))
            rows.append(run_child("naive", big, base))
    finally:
        server.terminate()
        server.wait(timeout=10)
    floor = rows[0]["peak_rss_mb"]
    print(f"{'path':16} {'size':>9} {'seconds':>8} {'MB/s':>7} {'peak RSS':>9} {'vs baseline':>12}")
    for r in rows:
        label = {"tiktok:": "tiktok", "zalo:": "zalo video"}.get(r["path"], r["path"])
        print(f"{label:16} {r['bytes'] / MB:>7.0f}MB {r['seconds']:>8.1f} {r['bytes'] / MB / r['seconds']:>7.0f} "
              f"{r['peak_rss_mb']:>7.0f}MB {r['peak_rss_mb'] / floor:>11.2f}x")
    worst = max(r["peak_rss_mb"] for r in rows[1:-1])
    print(f"\nworst connector path: {worst:.0f} MB peak RSS for a {args.size_mb} MB file (goal: under 200 MB); "
          f"naive whole-file send: {rows[-1]['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
