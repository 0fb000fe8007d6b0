"""`loa demo`: the whole job on the embedded campaign, in a fresh folder.

Stages run in order and each prints what it did; the folder is kept and printed at the end so
that every command can be tried on it afterwards.
"""
from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from . import demo_content as C


def _run(args: list[str]) -> None:
    from .cli import cli

    click.secho("$ loa " + " ".join(a if " " not in a else repr(a) for a in args), fg="cyan")
    try:
        cli.main(args=args, prog_name="loa", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        raise


def posts_csv(path: Path, start: datetime, tz: str, trailer: Path) -> Path:
    """The campaign's opening, as an officer would write it in a spreadsheet."""
    import csv
    from zoneinfo import ZoneInfo

    local = lambda dt: dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    rows = [
        {"at": local(start), "to": "facebook,zalo", "title": "Phát động chiến dịch “Không một mình”",
         "text": C.LAUNCH},
        {"at": local(start + timedelta(minutes=1)), "to": "facebook,zalo,tiktok", "title": "Video giới thiệu chiến dịch",
         "text": C.TRAILER, "media": trailer.name},
    ]
    for i, (title, tip) in enumerate(C.TIPS):
        rows.append({"at": local(start + timedelta(minutes=2 + i)), "to": "facebook,zalo", "title": title,
                     "text": f"💡 {title.upper()}\n\n{tip}"})
    rows.append({"at": local(start + timedelta(minutes=7)), "to": "facebook,zalo", "title": "Minigame: Ai đúng?",
                 "text": C.QUIZ})
    rows.append({"at": local(start + timedelta(minutes=8)), "to": "facebook,zalo", "title": "Thử thách “Không một mình”",
                 "text": C.CHALLENGE})
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["at", "to", "title", "text", "media"])
        w.writeheader()
        w.writerows(rows)
    return path


def make_trailer(path: Path, seconds: float = 6.0) -> Path:
    """A short vertical trailer made with the bundled ffmpeg (1080x1920, 30 fps, AAC 48 kHz)."""
    import subprocess

    import imageio_ffmpeg

    subprocess.run([
        imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=s=1080x1920:r=30:d={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=523:sample_rate=48000:duration={seconds}",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "48000",
        "-shortest", "-movflags", "+faststart", str(path)], check=True)
    return path


def run_demo(directory: Path | None) -> Path:
    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="loa-demo-"))
    root = root.resolve()
    if (root / "loa.toml").exists():
        raise click.ClickException(f"{root} is already a campaign folder; give an empty or new folder.")
    click.secho(f"== 1. Campaign folder {root}", bold=True)
    _run(["init", str(root), "--campaign", C.CAMPAIGN_NAME, "--hashtags", C.HASHTAGS, "--message", C.MESSAGE])
    import os

    os.chdir(root)
    click.secho("== 2. Channels (demo credentials)", bold=True)
    creds = {
        "facebook": {"page_id": "100200300", "access_token": "demo-page-token-" + os.urandom(6).hex()},
        "zalo": {"oa_id": "4004004", "app_id": "5005005", "app_secret": "demo-app-secret-" + os.urandom(6).hex(),
                 "access_token": "demo-zalo-access-" + os.urandom(6).hex(),
                 "refresh_token": "demo-zalo-refresh-" + os.urandom(6).hex()},
        "tiktok": {"client_key": "demo-client-key", "client_secret": "demo-client-secret-" + os.urandom(6).hex(),
                   "open_id": "demo-open-id", "access_token": "act.demo-" + os.urandom(6).hex(),
                   "refresh_token": "rft.demo-" + os.urandom(6).hex()},
    }
    secrets_dir = root / "credentials"
    secrets_dir.mkdir(mode=0o700, exist_ok=True)
    for platform, name, extra in (("facebook", "fanpage-cax", []),
                                  ("zalo", "zalo-oa-cax", ["--cover-url", "https://example.org/khong-mot-minh/bia.jpg"]),
                                  ("tiktok", "tiktok-doan-xa", [])):
        f = secrets_dir / f"{platform}.json"
        f.write_text(json.dumps(creds[platform]), encoding="utf-8")
        f.chmod(0o600)
        _run(["channel", "add", platform, "--name", name, "--credentials", str(f), *extra])
    _run(["channel", "list"])
    click.secho("== 3. The campaign's opening, queued from a spreadsheet", bold=True)
    trailer = make_trailer(root / "trailer.mp4")
    start = datetime.now(timezone.utc) + timedelta(minutes=5)
    csv_path = posts_csv(root / "bai-dang.csv", start, "Asia/Ho_Chi_Minh", trailer)
    _run(["post", "import", str(csv_path)])
    _run(["post", "list"])
    click.secho(f"\nDemo folder kept at {root}", bold=True)
    return root
