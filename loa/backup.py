"""Backups that restore. `loa backup DIR` makes a consistent copy of a campaign while `loa serve`
keeps running: the database through SQLite's online backup API (or `pg_dump` for PostgreSQL), the
campaign's settings and keys, and the media store copied incrementally (its files are named by
their content and never change, so a file already in the backup is not copied again). Everything
is written readable by the owner only: the database holds the platforms' tokens. `loa restore DIR
--into NEW_FOLDER` makes a working campaign folder from the newest (or a named) snapshot."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from content_queue.errors import UserError
from content_queue.i18n import _

from . import settings as S

KEYS = (".workspace-key",)  # the folder's own secrets, besides the database


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = dest.with_name(dest.name + ".part")
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)


def _media_files(root: Path):
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.startswith(".incoming-") or name.endswith(".part"):
                continue
            p = Path(dirpath) / name
            yield p, p.relative_to(root)


def backup(folder: S.Folder, target: Path, *, keep: int | None = None, now: datetime | None = None,
           progress: Callable[[int], None] | None = None) -> dict:
    """One snapshot of ``folder`` into ``target``; what was done."""
    now = now or datetime.now(timezone.utc)
    target = Path(target).expanduser().resolve()
    if folder.root.resolve() in (target, *target.parents):
        raise UserError(_("The backup cannot go inside the campaign folder."),
                        fix=_("Give a folder elsewhere, ideally on another disk."))
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(target, 0o700)
    name = now.strftime("%Y%m%d-%H%M%S")
    n = 1
    while (target / "snapshots" / name).exists() or (target / "snapshots" / f"{name}.incomplete").exists():
        n += 1
        name = f"{now:%Y%m%d-%H%M%S}-{n}"  # two in one second
    snap = target / "snapshots" / name
    work = snap.with_name(name + ".incomplete")
    work.mkdir(parents=True, mode=0o700)
    url = folder.database_url
    if url.startswith("sqlite:///"):
        src = sqlite3.connect(f"file:{url[len('sqlite:///'):]}?mode=ro", uri=True)
        dest = sqlite3.connect(work / S.DB_NAME)
        try:
            src.backup(dest)  # a consistent copy while others write (SQLite's online backup API)
        finally:
            dest.close()
            src.close()
        os.chmod(work / S.DB_NAME, 0o600)
        database = S.DB_NAME
    else:
        pg_dump = shutil.which("pg_dump")
        if not pg_dump:
            raise UserError(_("The campaign's database is PostgreSQL, and pg_dump is not installed here."),
                            fix=_("Install PostgreSQL's client tools (`apt-get install postgresql-client`), then "
                                  "run `loa backup` again."))
        from sqlalchemy.engine import make_url

        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with open(work / "loa.sql", "wb") as out:
            os.chmod(work / "loa.sql", 0o600)
            done = subprocess.run([pg_dump, "--no-owner", "--dbname", plain], stdout=out, stderr=subprocess.PIPE)
        if done.returncode != 0:
            raise UserError(_("pg_dump failed: {said}", said=done.stderr.decode(errors="replace")[-300:]))
        database = "loa.sql"
    _copy(folder.config_path, work / S.CONFIG_NAME)
    for key in KEYS:
        if (folder.root / key).is_file():
            _copy(folder.root / key, work / key)
    media_root = target / "media"
    copied = kept = 0
    listed = []
    for src, rel in _media_files(folder.media_dir):
        dest = media_root / rel
        size = src.stat().st_size
        listed.append({"path": str(rel), "size": size})
        if dest.is_file() and dest.stat().st_size == size:
            kept += 1
        else:
            _copy(src, dest)
            copied += 1
        if progress:
            progress(1)
    manifest = {"made": now.isoformat(), "database": database, "media": listed,
                "campaign": folder.campaign_slug}
    (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.chmod(work / "manifest.json", 0o600)
    os.replace(work, snap)  # a snapshot is there whole, or not at all
    removed = []
    if keep:
        snaps = sorted(p for p in (target / "snapshots").iterdir() if p.is_dir() and not p.name.endswith(".incomplete"))
        for old in snaps[:-keep]:
            shutil.rmtree(old)
            removed.append(old.name)
    return {"snapshot": name, "database": database, "media_copied": copied, "media_already_there": kept,
            "removed": removed, "path": str(snap)}


def snapshots(target: Path) -> list[str]:
    root = Path(target) / "snapshots"
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.endswith(".incomplete")) \
        if root.is_dir() else []


def restore(target: Path, into: Path, *, snapshot: str | None = None) -> dict:
    """A campaign folder ``into`` (new or empty) from a snapshot of ``target``."""
    target, into = Path(target).expanduser().resolve(), Path(into).expanduser().resolve()
    names = snapshots(target)
    if not names:
        raise UserError(_("{path} holds no backup.", path=target), fix=_("Give the folder `loa backup` wrote to."))
    name = snapshot or names[-1]
    if name not in names:
        raise UserError(_("No snapshot {name} in {path}. Snapshots: {names}.", name=name, path=target,
                          names=", ".join(names)))
    if into.exists() and any(into.iterdir()):
        raise UserError(_("{path} is not empty: a restore never overwrites a folder.", path=into),
                        fix=_("Give a new folder with --into."))
    snap = target / "snapshots" / name
    manifest = json.loads((snap / "manifest.json").read_text(encoding="utf-8"))
    if manifest["database"] != S.DB_NAME:
        raise UserError(_("This snapshot is a PostgreSQL dump: restore it with psql into a new database, then "
                          "point LOA_DATABASE_URL at it."), fix=f"psql -d NEW_DATABASE -f {snap / 'loa.sql'}")
    into.mkdir(parents=True, exist_ok=True, mode=0o700)
    for f in (S.CONFIG_NAME, S.DB_NAME, *KEYS):
        if (snap / f).is_file():
            _copy(snap / f, into / f)
    missing = []
    for item in manifest["media"]:
        src = target / "media" / item["path"]
        if not src.is_file():
            missing.append(item["path"])
            continue
        _copy(src, into / "media" / item["path"])
        os.chmod(into / "media" / item["path"], 0o400)
    (into / "media").mkdir(exist_ok=True, mode=0o700)
    # half-uploads were not backed up: their phones start them again
    con = sqlite3.connect(into / S.DB_NAME)
    try:
        con.execute("DELETE FROM uploads WHERE clip_id IS NULL")
        con.execute("DELETE FROM workers")
        con.commit()
    finally:
        con.close()
    return {"snapshot": name, "folder": str(into), "media": len(manifest["media"]) - len(missing), "missing": missing}
