"""`loa demo`: the whole job on the embedded campaign, against the local sandbox platforms.

In a fresh folder: the campaign "Không một mình – Cùng nhau an toàn trực tuyến", a Facebook Page,
a Zalo OA and a TikTok account on the sandbox (which fails some calls the way the real platforms
do); the campaign's opening queued from a spreadsheet and published by the scheduler in
accelerated time; a dozen challenge clips collected (one broken, one from a 14-year-old without a
guardian's consent); the recap rendered (vertical, and the 4:5 cut for the Facebook feed) and published;
the report printed and written as HTML.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from . import demo_content as C
from content_queue.i18n import _

SPEED = 120.0  # one real second is two minutes of campaign time


def _runner(commands: click.Group):
    """Run one `loa` command line, as the officer would type it, printed first. The demo is given
    the command group by the `loa demo` command; it does not import the CLI package that imports it."""

    def run(args: list[str]) -> None:
        click.secho("$ loa " + " ".join(a if " " not in a else repr(a) for a in args), fg="cyan")
        commands.main(args=args, prog_name="loa", standalone_mode=False)

    return run


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def make_trailer(path: Path, seconds: float = 6.0) -> Path:
    """A short vertical trailer (1080x1920, 30 fps, AAC 48 kHz) with the campaign's title card."""
    from recap.cards import card

    still = path.with_suffix(".png")
    card((1080, 1920), C.CAMPAIGN_NAME, C.MESSAGE, C.HASHTAGS).save(still)
    subprocess.run([_ffmpeg(), "-v", "error", "-y", "-loop", "1", "-framerate", "30", "-t", str(seconds), "-i", str(still),
                    "-f", "lavfi", "-i", f"sine=frequency=523:sample_rate=48000:duration={seconds}",
                    "-vf", "zoompan=z='min(zoom+0.0008,1.08)':d=1:s=1080x1920:fps=30,format=yuv420p",
                    "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-ar", "48000", "-shortest",
                    "-movflags", "+faststart", str(path)], check=True)
    still.unlink()
    return path


def posts_csv(path: Path, start: datetime, tz: str, trailer: Path) -> Path:
    """The campaign's opening, as an officer would write it in a spreadsheet."""
    from zoneinfo import ZoneInfo

    local = lambda dt: dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    rows = [{"at": local(start), "to": "facebook,zalo", "title": "Phát động chiến dịch “Không một mình”", "text": C.LAUNCH},
            {"at": local(start + timedelta(minutes=5)), "to": "all", "title": "Video giới thiệu chiến dịch",
             "text": C.TRAILER, "media": trailer.name,
             # TikTok's own choices, made by the person for this post: everyone may see it and comment
             "privacy_tiktok": "PUBLIC_TO_EVERYONE", "allow_tiktok": "comment", "music_tiktok": "yes"}]
    rows.append({"at": local(start + timedelta(minutes=21)), "to": "facebook,zalo",
                 "title": "Thử thách “Không một mình”", "text": C.CHALLENGE})
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["at", "to", "title", "text", "media", "privacy_tiktok", "allow_tiktok",
                                          "music_tiktok"])
        w.writeheader()
        w.writerows(rows)
    return path


def tips_csv(path: Path) -> Path:
    """The safety tips column's entries (the series numbers and places them)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["text"])
        w.writeheader()
        w.writerows([{"text": f"💡 {title.upper()}\n\n{tip}"} for title, tip in C.TIPS])
    return path


def demo_slots(start: datetime, tz: str) -> str:
    """The tips column's rhythm, squeezed into the demo's accelerated day: every three minutes from
    six minutes after the opening (a real campaign writes "tue,fri 19:00")."""
    from zoneinfo import ZoneInfo

    times = [(start + timedelta(minutes=6 + 3 * i)).astimezone(ZoneInfo(tz)).strftime("%H:%M")
             for i in range(len(C.TIPS))]
    return "daily " + ",".join(times)


PARTICIPANTS = [  # name, school, class, age, consent, guardian, display, kind
    ("Nguyễn Thị Hoa", 0, "8A", 14, "guardian", "Nguyễn Văn Nam", "first", "portrait"),
    ("Trần Minh Khang", 0, "9B", 15, "guardian", "Trần Thị Lan", "first", "rotated"),
    ("Lê Thu Trang", 1, "5A", 11, "guardian", "Lê Văn Hải", "first", "silent"),
    ("Y Nhi Niê", 2, "7C", 13, "guardian", "Niê Thị Hương", "first", "fast"),
    ("Phạm Quốc Bảo", 0, "9A", 16, "self", "", "full", "landscape"),
    ("Cô Đinh Thị Mơ", 1, "Giáo viên", 34, "self", "", "full", "portrait"),
    ("Rơ Mah Thương", 2, "8B", 14, "guardian", "Rơ Mah Blơi", "first", "hevc"),
    ("Võ Hoàng Nam", 2, "9C", 15, "guardian", "Võ Văn Tâm", "first", "vp9"),
    ("Hồ Thị Ngọc Ánh", 1, "Phụ huynh", 41, "self", "", "full", "portrait"),
    ("Bùi Gia Huy", 0, "7A", 12, "guardian", "Bùi Thị Yến", "anonymous", "rotated"),
    ("Đặng Thảo Vy", 2, "8A", 14, "none", "", "first", "portrait"),  # no guardian's consent: kept out of the recap
    ("Kpă Hờ Linh", 1, "6B", 12, "guardian", "Kpă Y Bla", "first", "broken"),  # a half-uploaded file
]


def make_clip(path: Path, kind: str, i: int) -> Path:
    ff = [_ffmpeg(), "-v", "error", "-y"]
    tone = 300 + 60 * i
    video = f"testsrc2=s=720x1280:r=30:d=5,hue=h={i * 30}"
    audio = ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=44100:duration=5"]
    enc = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]
    if kind == "rotated":
        flat = path.with_name(path.stem + "-flat.mp4")
        subprocess.run(ff + ["-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=30:d=5,hue=h={i * 30}", *audio, *enc, str(flat)],
                       check=True)
        subprocess.run(ff + ["-display_rotation", "90", "-i", str(flat), "-c", "copy", str(path)], check=True)
        flat.unlink()
    elif kind == "silent":
        subprocess.run(ff + ["-f", "lavfi", "-i", video, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                             str(path)], check=True)
    elif kind == "fast":
        subprocess.run(ff + ["-f", "lavfi", "-i", video.replace("r=30", "r=60"), *audio, *enc, str(path)], check=True)
    elif kind == "landscape":
        subprocess.run(ff + ["-f", "lavfi", "-i", video.replace("720x1280", "1280x720"), *audio, *enc, str(path)], check=True)
    elif kind == "hevc":
        subprocess.run(ff + ["-f", "lavfi", "-i", video, *audio, "-c:v", "libx265", "-preset", "ultrafast",
                             "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1", "-x265-params", "log-level=error",
                             "-c:a", "aac", "-shortest", str(path)], check=True)
    elif kind == "vp9":
        subprocess.run(ff + ["-f", "lavfi", "-i", video, *audio, "-c:v", "libvpx-vp9", "-deadline", "realtime",
                             "-cpu-used", "8", "-c:a", "libopus", "-shortest", str(path)], check=True)
    else:
        subprocess.run(ff + ["-f", "lavfi", "-i", video, *audio, *enc, str(path)], check=True)
        if kind == "broken":
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    return path


def collect_clips(folder: Path) -> Path:
    clips = folder / "clip-gui-ve"
    clips.mkdir()
    rows = []
    with click.progressbar(PARTICIPANTS, label=_("Generating the participants' clips"), file=None) as bar:
        for i, (name, school, klass, age, consent, guardian, display, kind) in enumerate(bar):
            suffix = ".webm" if kind == "vp9" else ".mp4"
            file = make_clip(clips / f"clip-{i + 1:02d}{suffix}", kind, i)
            rows.append({"file": file.name, "participant": name, "school": C.SCHOOLS[school], "class": klass,
                         "age": age, "consent": consent, "guardian": guardian, "display": display})
    manifest = clips / "danh-sach.csv"
    with open(manifest, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return manifest


def publish_all(app_folder: Path, clock, timeout: float = 240.0) -> None:
    """Run the scheduler in accelerated time until every queued delivery is settled."""
    from content_queue.timeutil import show
    from scheduler.engine import Engine
    from scheduler.runner import Runner

    from . import settings

    folder = settings.find(app_folder)
    echo = lambda m: click.echo(f"  [{show(clock(), 'Asia/Ho_Chi_Minh', seconds=True)}] {m}")  # noqa: E731
    engine = Engine(folder.sessions, media_dir=folder.media_dir, clock=clock, policy=folder.settings.policy(),
                    http=folder.settings.http(), on_event=echo)
    Runner(engine, clock, echo=click.echo).until_idle(timeout=timeout, all_queued=True)


DEMO_ENV = {"LOA_HTTP_READ_TIMEOUT": "2", "LOA_BACKOFF_BASE": "20", "LOA_ZALO_RATE_LIMIT_WAIT": "20",
            "LOA_LEASE_SECONDS": "10"}


def run_demo(directory: Path | None, commands: click.Group) -> tuple[Path, list[dict]]:
    """Run the demo through ``commands`` (the `loa` command group); returns the folder and the
    sandbox's ledger. The process's environment and working directory are restored afterwards."""
    saved_env = {k: os.environ.get(k) for k in [*DEMO_ENV, "LOA_API_BASE", "LOA_HOME"]}
    saved_cwd = os.getcwd()
    from content_queue.private import owner_only

    owner_only()  # the demo's clips are children's videos too: the folder is the user's alone
    try:
        return _demo(directory, _runner(commands))
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        os.chdir(saved_cwd)


def sign_the_wall(root: Path) -> None:
    """Members and students sign the pledge wall through the public page (its real form handling)."""
    from werkzeug.test import Client

    from . import settings
    from .portal.app import Portal, ensure_token

    folder = settings.find(root)
    with folder.sessions() as s:
        from content_queue.models import Campaign

        campaign_id = s.query(Campaign).one().id
    portal = Portal(folder.sessions, campaign_id=campaign_id, media_dir=folder.media_dir,
                    upload_dir=folder.root / "uploads")
    token = ensure_token(folder.sessions, campaign_id)
    client = Client(portal)
    for i, (name, style, organisation, band) in enumerate(C.PLEDGES):
        r = client.post(f"/c/{token}/wall", data={"name": name, "style": style, "organisation": organisation,
                                                  "age_band": band}, environ_base={"REMOTE_ADDR": f"10.0.0.{i + 2}"})
        if r.status_code != 200:
            raise click.ClickException(_("The wall refused a demo signature ({status}).", status=r.status_code))
    click.echo(_("{count} people signed the digital safety wall on its public page.", count=len(C.PLEDGES)))


def _demo(directory: Path | None, _run) -> tuple[Path, list[dict]]:
    from sandbox import Sandbox, SandboxServer

    started = time.monotonic()
    root = (Path(directory) if directory else Path(tempfile.mkdtemp(prefix="loa-demo-"))).resolve()
    if (root / "loa.toml").exists():
        raise click.ClickException(_("{root} is already a campaign folder; give an empty or new folder.", root=root))
    sandbox = Sandbox(seed=2025, processing_seconds=1.0)
    sandbox.faults.delay = 2.5
    with SandboxServer(sandbox) as server:
        os.environ.update({"LOA_API_BASE": server.base, **DEMO_ENV})
        os.environ.pop("LOA_HOME", None)
        click.secho(_("\n== 1. Sandbox platforms on {base} (Facebook, Zalo, TikTok), faults switched on", base=server.base), bold=True)
        click.secho(_("\n== 2. Campaign folder {root}", root=root), bold=True)
        _run(["init", str(root), "--campaign", C.CAMPAIGN_NAME, "--hashtags", C.HASHTAGS, "--message", C.MESSAGE,
              "--start", datetime.now().date().isoformat(),
              "--end", (datetime.now() + timedelta(days=30)).date().isoformat()])
        os.chdir(root)
        click.secho(_("\n== 3. Channels: the commune police's Page, the OA, the youth union's TikTok"), bold=True)
        secrets_dir = root / "credentials"
        secrets_dir.mkdir(mode=0o700)
        for platform, name, extra, expired in (
                ("facebook", "fanpage-cax", [], False),
                ("zalo", "zalo-oa-cax", ["--cover-url", "https://example.org/khong-mot-minh/bia.jpg"], True),
                ("tiktok", "tiktok-doan-xa", [], False)):
            f = secrets_dir / f"{platform}.json"
            f.write_text(json.dumps(sandbox.new_account(platform, expired=expired)), encoding="utf-8")
            f.chmod(0o600)
            _run(["channel", "add", platform, "--name", name, "--credentials", str(f), *extra])
        _run(["channel", "list"])
        click.secho(_("\n== 4. The campaign's opening, queued from a spreadsheet and checked now"), bold=True)
        trailer = make_trailer(root / "trailer.mp4")
        start = datetime.now(timezone.utc) + timedelta(minutes=2)
        _run(["post", "import", str(posts_csv(root / "bai-dang.csv", start, "Asia/Ho_Chi_Minh", trailer))])
        _run(["series", "add", "Mẹo an toàn", "--slots", demo_slots(start, "Asia/Ho_Chi_Minh"), "--to", "facebook,zalo",
              "--title", "Mẹo an toàn số {n}", "--from", str(tips_csv(root / "meo-an-toan.csv"))])
        quiz_at = (start + timedelta(minutes=18)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-%d %H:%M")
        _run(["post", "add", "--quiz", C.QUIZ, "--title", "Minigame: Ai đúng?", "--at", quiz_at, "--to", "facebook,zalo",
              "--answer-text", C.ANSWER, "--answer-after", "5m"])
        _run(["post", "list"])
        click.secho(_("\n== 5. Publishing in accelerated time ({SPEED:g}x): faults on, the Zalo token expired", SPEED=SPEED), bold=True)
        from scheduler.runner import SpeedClock

        clock = SpeedClock(SPEED)  # campaign time, kept running across the demo
        sandbox.set_faults(0.12, delay=2.5, seed=7, reads=True)
        publish_all(root, clock)
        sandbox.set_faults(0.0)
        _run(["status"])
        _run(["insights", "refresh"])  # the first numbers (`loa run` reads them on its own, on a schedule)
        click.secho(_("\n== 6. Challenge clips from students, parents and teachers"), bold=True)
        manifest = collect_clips(root)
        _run(["clips", "import", str(manifest.parent), "--manifest", str(manifest)])
        from . import settings
        from content_queue.clips import list_clips

        folder = settings.find(root)
        with folder.sessions() as s:
            from content_queue.models import Campaign

            pending = [str(c.id) for c in list_clips(s, s.query(Campaign).one(), "pending")]
        _run(["clips", "approve", *pending])
        _run(["clips", "list"])
        click.secho(_("\n== 7. The recap"), bold=True)
        recap_file = root / "recaps" / "recap-khong-mot-minh.mp4"
        feed_file = root / "recaps" / "recap-khong-mot-minh-feed.mp4"
        for fmt, file in (("vertical", recap_file), ("feed", feed_file)):
            _run(["recap", "render", "--format", fmt, "--seconds", "30", "--per-clip", "2.5", "--outro", C.HELP_LINE,
                  "--out", str(file)])
        # due in the demo's accelerated time (ahead of the wall clock by now), a minute from its "now"
        recap_at = (clock() + timedelta(minutes=1)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-%d %H:%M")
        _run(["recap", "publish", str(recap_file), "--feed", str(feed_file), "--at", recap_at, "--to", "all",
              "--tiktok-privacy", "PUBLIC_TO_EVERYONE", "--tiktok-allow", "comment,duet,stitch", "--tiktok-music-ok"])
        sandbox.set_faults(0.12, delay=2.5, seed=11, reads=True)
        publish_all(root, clock)
        sandbox.set_faults(0.0)
        click.secho(_("\n== 8. The numbers: views, reach, reactions, read from the platforms"), bold=True)
        _run(["insights", "refresh"])
        click.secho(_("\n== 9. The printed materials: a poster with the QR code of the campaign's link, the avatar "
                      "frame"), bold=True)
        _run(["campaign", "set", "--help-line", C.HELP_CONTACT, "--public-url", "https://loa.congan-xa.example"])
        _run(["materials", "poster", "--out", str(root / "ap-phich.pdf")])
        _run(["frame", "set", "--default", "--out", str(root / "khung-anh-dai-dien.png")])
        sign_the_wall(root)
        _run(["pledge", "list", "--status", "pending"])
        _run(["pledge", "approve", *[str(i) for i in range(1, len(C.PLEDGES) + 1)]])
        click.secho(_("\n== 10. The report"), bold=True)
        _run(["report"])
        _run(["report", "--format", "html", "--out", str(root / "bao-cao.html")])
        dupes = sandbox.duplicates()
        click.secho(_("\nSandbox ledger: {count} publications, {count2} published more than once.",
                      count=len(sandbox.ledger), count2=len(dupes)),
                    bold=True)
        ledger = list(sandbox.ledger)
        for e in ledger:  # what the sandbox last gave as each item's numbers (`loa insights refresh` read them)
            e["numbers"] = dict(sandbox.answered.get(str(e["remote_id"]), {}))
    click.secho(_("Demo finished in {value:.0f} s. Folder kept at {root}", value=time.monotonic() - started, root=root), bold=True)
    click.echo(_("Open {value} in a browser; try `cd {root} && loa status`.", value=root / 'bao-cao.html', root=root))
    return root, ledger
