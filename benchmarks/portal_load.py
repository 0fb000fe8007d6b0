"""Many phones uploading at once, on a slow line each, while the upload page is asked for every
100 ms: does every upload arrive intact, and does the page stay quick?

Starts loa as `loa serve` serves it (the workspace and the portal under waitress, 8 threads) on
loopback, makes --phones distinct videos of --mb MB (one real H.264 video, each copy with a few
bytes of its own at the end, so that every upload is a file of its own), and sends them all at
once through the portal's tus endpoint in 1 MB chunks, each phone throttled to --mbit Mbit/s.
Meanwhile the upload page is requested every 100 ms. Prints the page's latency (median, p99)
with no uploads running and during the uploads, their ratio (goal: p99 within 3x), and whether
every clip's SHA-256 is the file's.

Usage: python benchmarks/portal_load.py [--phones 50] [--mb 20] [--mbit 2]
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_videos(folder: Path, count: int, mb: int) -> list[Path]:
    import imageio_ffmpeg

    base = folder / "base.mp4"
    seconds = 10
    rate = f"{mb * 8 * 1024 // seconds}k"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=s=720x1280:r=30:d={seconds}", "-f", "lavfi", "-i", f"sine=d={seconds}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-b:v", rate, "-minrate", rate, "-maxrate", rate,
                    "-bufsize", "4M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(base)], check=True)
    data = base.read_bytes()
    out = []
    for i in range(count):
        p = folder / f"phone-{i}.mp4"
        p.write_bytes(data + os.urandom(16))  # a file of its own; players ignore the tail
        out.append(p)
    return out


def meta(i: int) -> str:
    form = {"name": f"Học sinh {i}", "school": "THCS Kon Chiêng", "age": "17", "display": "first",
            "selfConfirmed": "yes", "filename": f"phone-{i}.mp4"}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in form.items())


def upload(port: int, token: str, path: Path, i: int, bytes_per_s: float, results: dict) -> None:
    data = path.read_bytes()
    source = (f"127.0.{1 + i // 250}.{2 + i % 250}", 0)  # each phone its own address (the hourly limit)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=source)
    conn.request("POST", f"/c/{token}/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
                                                         "Upload-Metadata": meta(i)})
    r = conn.getresponse()
    r.read()
    location = r.getheader("Location")
    offset, chunk = 0, 1024 * 1024
    started = time.monotonic()
    while offset < len(data):
        piece = data[offset:offset + chunk]
        conn.putrequest("PATCH", location)
        for k, v in {"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
                     "Content-Type": "application/offset+octet-stream", "Content-Length": str(len(piece))}.items():
            conn.putheader(k, v)
        conn.endheaders()
        for j in range(0, len(piece), 64 * 1024):  # the phone's line: so many bytes a second
            conn.send(piece[j:j + 64 * 1024])
            sent = offset + j + 64 * 1024
            wait = started + sent / bytes_per_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        r = conn.getresponse()
        r.read()
        offset = int(r.getheader("Upload-Offset") or offset)
    conn.close()
    results[i] = {"location": location, "sha256": hashlib.sha256(data).hexdigest(),
                  "seconds": time.monotonic() - started}


def page_latency(port: int, path: str, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        t = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()
        out.append((time.perf_counter() - t) * 1000)
        stop.wait(0.1)


def quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=50)
    ap.add_argument("--mb", type=int, default=20)
    ap.add_argument("--mbit", type=float, default=2.0)
    ap.add_argument("--baseline-seconds", type=float, default=10.0)
    args = ap.parse_args()
    from waitress.server import create_server

    from content_queue.campaigns import create_campaign
    from content_queue.models import Clip
    from content_queue.private import owner_only
    from content_queue.store import make_engine, migrate, session_factory
    from loa import settings
    from loa.portal.app import Portal, ensure_token
    from loa.proxy import waitress_options
    from loa.workspace import create_app

    owner_only()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "camp"
        root.mkdir()
        engine = make_engine(f"sqlite:///{root / 'loa.db'}", create_file=True)
        migrate(engine)
        with session_factory(engine).begin() as s:
            create_campaign(s, name="Không một mình", hashtags="#khongmotminh", tz="Asia/Ho_Chi_Minh")
        engine.dispose()
        settings.write_config(root, {"campaign": {"slug": "khong-mot-minh"},
                                     "store": {"database": "loa.db", "media": "media"}})
        folder = settings.load(root)
        folder.media_dir.mkdir(exist_ok=True)
        print(f"making {args.phones} videos of {args.mb} MB ...", flush=True)
        videos = make_videos(Path(tmp), args.phones, args.mb)
        with folder.sessions() as s:
            from content_queue.models import Campaign

            cid = s.query(Campaign).one().id
        token = ensure_token(folder.sessions, cid)
        portal = Portal(folder.sessions, campaign_id=cid, media_dir=folder.media_dir, upload_dir=root / "uploads",
                        per_address=1000, disk_margin=0)
        app = create_app(folder, portal=portal)
        port = free_port()
        server = create_server(app, host="127.0.0.1", port=port, threads=8, max_request_body_size=600 * 2 ** 20,
                               **waitress_options(None))
        threading.Thread(target=server.run, daemon=True).start()
        page = f"/c/{token}"
        stop, quiet = threading.Event(), []
        t = threading.Thread(target=page_latency, args=(port, page, stop, quiet))
        t.start()
        time.sleep(args.baseline_seconds)
        stop.set()
        t.join()
        stop, busy = threading.Event(), []
        t = threading.Thread(target=page_latency, args=(port, page, stop, busy))
        t.start()
        results: dict = {}
        rate = args.mbit * 1e6 / 8
        phones = [threading.Thread(target=upload, args=(port, token, v, i, rate, results))
                  for i, v in enumerate(videos)]
        started = time.monotonic()
        for p in phones:
            p.start()
        for p in phones:
            p.join()
        sent_in = time.monotonic() - started
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # the checks, off the requests
            with folder.sessions() as s:
                if s.query(Clip).count() >= len(videos):
                    break
            time.sleep(0.5)
        stop.set()
        t.join()
        with folder.sessions() as s:
            stored = {c.sha256 for c in s.query(Clip)}
        intact = sum(r["sha256"] in stored for r in results.values())
        server.close()
    q_med, q_99 = statistics.median(quiet), quantile(quiet, 0.99)
    b_med, b_99 = statistics.median(busy), quantile(busy, 0.99)
    print(f"{args.phones} phones x {args.mb} MB at {args.mbit:g} Mbit/s each: sent in {sent_in:.1f} s; "
          f"intact (SHA-256): {intact}/{len(videos)}")
    print(f"upload page, no uploads:     median {q_med:.1f} ms, p99 {q_99:.1f} ms ({len(quiet)} requests)")
    print(f"upload page, during uploads: median {b_med:.1f} ms, p99 {b_99:.1f} ms ({len(busy)} requests)")
    print(f"p99 ratio: {b_99 / q_99:.2f}x (goal: within 3x); median ratio {b_med / q_med:.2f}x")


if __name__ == "__main__":
    main()
