"""Shared fixtures: databases (SQLite always, PostgreSQL when LOA_TEST_DATABASE_URL is set),
media generated with the bundled ffmpeg, and a campaign folder driven through the CLI."""
from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

PG_URL = os.environ.get("LOA_TEST_DATABASE_URL")
# The suite reads loa's messages in English, the catalogue's source language; the tests that are
# about the officer's language (tests/test_language.py, the portal's) ask for Vietnamese themselves.
os.environ["LOA_LANG"] = "en"

# A signed-in test needs a hash and a check of a password: at Werkzeug's own scrypt cost that is
# 0.14 s each here, some 40 s of a run. The tests hash at a lower cost (still scrypt, still salted);
# what they check is who may sign in, not how slow a guess is. loa itself keeps the full cost.
from content_queue import users as _users  # noqa: E402

_users.PASSWORD_METHOD = "scrypt:1024:8:1"
CAMPAIGN = "Không một mình – Cùng nhau an toàn trực tuyến"
HASHTAGS = "#khongmotminh #antoantructuyen #niemtinso"


def pytest_xdist_auto_num_workers(config):
    """`-n auto` starts half again as many workers as there are cores (3 on 2): much of the suite
    waits on a socket, a browser or a held-back answer rather than the processor, and measured on 2
    cores the suite took 403 s with 3 workers against 455 s with 2. PYTEST_XDIST_AUTO_NUM_WORKERS
    still decides when it is set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own reading of it
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores + cores // 2)


# The files that take longest, measured (`--durations=0`, summed per file, 2 cores): started first,
# so that with each file on one worker (--dist loadfile) none of them is left to run alone at the
# end of a shuffled order. The rest keep pytest-randomly's order.
LONGEST_FIRST = ("test_demo_report.py", "test_fault_campaign.py", "test_multiworker.py", "test_workspace_browser.py",
                 "test_reads_contract.py", "test_scheduler_engine.py", "test_recap.py", "test_workspace_clips_browser.py",
                 "test_workspace_journey.py", "test_public_browser.py")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the shuffle stays within each group


@pytest.fixture(autouse=True)
def _language():
    """Each test starts in the language LOA_LANG says (a command run before may have changed it)."""
    from content_queue import i18n

    i18n.set_language(os.environ.get("LOA_LANG"))
    yield


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def make_video(path: Path, *, size: str = "540x960", fps: int = 30, seconds: float = 4.0, audio: bool = True,
               extra: list[str] | None = None, codec: list[str] | None = None) -> Path:
    """A small test video made now with the bundled ffmpeg (no blobs in the repository)."""
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={size}:r={fps}:d={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    cmd += codec or ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        cmd += ["-c:a", "aac", "-shortest"]
    cmd += (extra or []) + [str(path)]
    subprocess.run(cmd, check=True)
    return path


def make_image(path: Path, size=(800, 600), fmt: str | None = None) -> Path:
    from PIL import Image

    Image.new("RGB", size, (30, 90, 160)).save(path, format=fmt)
    return path


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """Media every test may read (never write): generated once per run."""
    d = tmp_path_factory.mktemp("media")
    make_video(d / "reel.mp4")  # 540x960, 30 fps, 4 s: a Reel
    make_video(d / "landscape.mp4", size="640x360")
    make_video(d / "tiny.mp4", size="320x240")  # too small for TikTok
    make_video(d / "fast.mp4", size="540x960", fps=120, seconds=2)
    make_image(d / "photo.jpg")
    (d / "notes.mp4").write_text("this is not a video", encoding="utf-8")
    (d / "empty.mp4").write_bytes(b"")
    return d


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database: SQLite in tmp_path, or a fresh schema in the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'loa.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set LOA_TEST_DATABASE_URL to run these against it")
    import sqlalchemy as sa

    from content_queue.store import normalise_url

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def logs():
    """loa's log lines as a file handler would write them (after the secret scrubber)."""
    import logging

    from tests.connector_helpers import LogCapture

    cap = LogCapture()
    logging.getLogger("loa").addHandler(cap)
    logging.getLogger("loa").setLevel(logging.DEBUG)
    yield cap
    logging.getLogger("loa").removeHandler(cap)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def loa(runner, tmp_path, monkeypatch):
    """Run `loa ...` in a fresh campaign folder; returns a function giving click's Result."""
    from loa.cli import cli

    folder = tmp_path / "camp"
    monkeypatch.delenv("LOA_DATABASE_URL", raising=False)
    monkeypatch.delenv("LOA_HOME", raising=False)
    result = runner.invoke(cli, ["init", str(folder), "--campaign", CAMPAIGN, "--hashtags", HASHTAGS])
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(folder)

    def run(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False, prog_name="loa")

    run.folder = folder  # type: ignore[attr-defined]
    return run


@pytest.fixture
def channels(loa, tmp_path):
    """The three channels of the campaign, added through the CLI."""
    import json

    files = {
        "facebook": {"page_id": "1001", "access_token": "EAAB-page-token-secret-1"},
        "zalo": {"oa_id": "2002", "app_id": "3003", "app_secret": "zalo-app-secret-2",
                 "access_token": "zalo-access-secret-3", "refresh_token": "zalo-refresh-secret-4"},
        "tiktok": {"client_key": "ck-5", "client_secret": "tiktok-client-secret-5", "open_id": "open-6",
                   "access_token": "act.tiktok-access-secret-6", "refresh_token": "rft.tiktok-refresh-secret-7"},
    }
    names = {"facebook": "fanpage", "zalo": "zalo-oa", "tiktok": "tiktok"}
    for platform, creds in files.items():
        f = tmp_path / f"{platform}.json"
        f.write_text(json.dumps(creds), encoding="utf-8")
        extra = ["--cover-url", "https://example.org/bia.jpg"] if platform == "zalo" else []
        r = loa("channel", "add", platform, "--name", names[platform], "--credentials", str(f), *extra)
        assert r.exit_code == 0, r.output
    return files
