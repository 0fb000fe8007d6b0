"""Backups that restore. `loa backup DIR` makes a consistent copy of a campaign while `loa serve`
keeps running: the database through SQLite's online backup API (or `pg_dump` for PostgreSQL), the
campaign's settings and keys, and the media store copied incrementally (its files are named by
their content and never change, so a file already in the backup is not copied again). Everything
is written readable by the owner only: the database holds the platforms' tokens. `loa restore DIR
--into NEW_FOLDER` makes a working campaign folder from the newest (or a named) snapshot.

`loa backup DIR --encrypt` (a passphrase) or `--recipient age1...` (an age public key) writes every
file of the snapshot, the media included, encrypted with age (the ``pyrage`` library: streamed, so a
4 GB video is never held in memory), so a backup on a stick is unreadable alone; the database is
copied to the campaign's own disk first and only its encrypted form reaches the backup. With a
passphrase, the backup folder holds its own age identity sealed by it (identity.age); `loa restore`
asks for the passphrase, or takes the age identity file (--identity)."""
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

IDENTITY = "identity.age"  # at a backup folder's top: its own age identity, sealed by the passphrase
KEYS = (".workspace-key", ".secret-key")  # the folder's own keys, besides the database (content_queue/vault.py)


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = dest.with_name(dest.name + ".part")
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)


def _recipients(target: Path, passphrase: str | None, recipients: list[str]) -> list:
    """Whom an encrypted snapshot is for: the age recipients given, and the backup folder's own
    identity when a passphrase is given (made the first time; the same passphrase afterwards)."""
    from pyrage import x25519

    out = []
    for r in recipients:
        try:
            out.append(x25519.Recipient.from_str(r.strip()))
        except Exception:  # noqa: BLE001 (pyrage's RecipientError, or a ValueError)
            raise UserError(_("{value!r} is not an age public key.", value=r[:80]),
                            fix=_("Give the recipient as age-keygen prints it: age1 followed by 58 characters."))
    if passphrase:
        ident = _identity_from_passphrase(target, passphrase, create=True)
        out.append(ident.to_public())
    return out


def _identity_from_passphrase(target: Path, passphrase: str, *, create: bool = False):
    import pyrage
    from pyrage import passphrase as sealed, x25519

    path = target / IDENTITY
    if not path.is_file():
        if not create:
            raise UserError(_("This backup has no passphrase: it was encrypted for an age key."),
                            fix=_("Give the key's identity file with --identity."))
        ident = x25519.Identity.generate()
        path.touch(mode=0o600)
        path.write_bytes(sealed.encrypt(str(ident).encode(), passphrase))
        return ident
    try:
        return x25519.Identity.from_str(sealed.decrypt(path.read_bytes(), passphrase).decode())
    except pyrage.DecryptError:
        raise UserError(_("The passphrase is not this backup's."),
                        fix=_("Type the passphrase given when the first encrypted backup was made into this "
                              "folder (or use a new folder for a new passphrase).")) from None


def _sealed_copy(src: Path, dest: Path, recipients: list) -> None:
    """``src`` written to ``dest`` encrypted for ``recipients`` (streamed), whole or not at all."""
    import pyrage

    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = dest.with_name(dest.name + ".part")
    pyrage.encrypt_file(str(src), str(tmp), recipients)
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
           progress: Callable[[int], None] | None = None, passphrase: str | None = None,
           recipients: list[str] | None = None) -> dict:
    """One snapshot of ``folder`` into ``target``; what was done. With ``passphrase`` or
    ``recipients`` every file written is age-encrypted (see the module's text)."""
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
    sealed_for = _recipients(target, passphrase, recipients or []) if (passphrase or recipients) else None
    # encrypted: the database is copied on the campaign's own disk, and only its sealed form goes out
    plain_dir = folder.root / f".backup-{name}" if sealed_for else work
    plain_dir.mkdir(exist_ok=True, mode=0o700)
    url = folder.database_url
    if url.startswith("sqlite:///"):
        src = sqlite3.connect(f"file:{url[len('sqlite:///'):]}?mode=ro", uri=True)
        dest = sqlite3.connect(plain_dir / S.DB_NAME)
        try:
            src.backup(dest)  # a consistent copy while others write (SQLite's online backup API)
        finally:
            dest.close()
            src.close()
        os.chmod(plain_dir / S.DB_NAME, 0o600)
        database = S.DB_NAME
    else:
        pg_dump = shutil.which("pg_dump")
        if not pg_dump:
            raise UserError(_("The campaign's database is PostgreSQL, and pg_dump is not installed here."),
                            fix=_("Install PostgreSQL's client tools (`apt-get install postgresql-client`), then "
                                  "run `loa backup` again."))
        from sqlalchemy.engine import make_url

        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with open(plain_dir / "loa.sql", "wb") as out:
            os.chmod(plain_dir / "loa.sql", 0o600)
            done = subprocess.run([pg_dump, "--no-owner", "--dbname", plain], stdout=out, stderr=subprocess.PIPE)
        if done.returncode != 0:
            raise UserError(_("pg_dump failed: {said}", said=done.stderr.decode(errors="replace")[-300:]))
        database = "loa.sql"
    if sealed_for:
        try:
            _sealed_copy(plain_dir / database, work / f"{database}.age", sealed_for)
        finally:
            shutil.rmtree(plain_dir, ignore_errors=True)

    def put(src: Path, dest: Path) -> None:
        if sealed_for:
            _sealed_copy(src, dest.with_name(dest.name + ".age"), sealed_for)
        else:
            _copy(src, dest)

    put(folder.config_path, work / S.CONFIG_NAME)
    for key in KEYS:
        if (folder.root / key).is_file():
            put(folder.root / key, work / key)
    media_root = target / "media"
    copied = kept = 0
    listed = []
    for src, rel in _media_files(folder.media_dir):
        dest = media_root / (f"{rel}.age" if sealed_for else rel)
        size = src.stat().st_size
        listed.append({"path": str(rel), "size": size})
        if dest.is_file() and (sealed_for or dest.stat().st_size == size):  # named by their content
            kept += 1
        else:
            put(src, media_root / rel)
            copied += 1
        if progress:
            progress(1)
    manifest = {"made": now.isoformat(), "database": database, "media": listed,
                "campaign": folder.campaign_slug, "encrypted": bool(sealed_for)}
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


def _identities(target: Path, passphrase: str | None, identity: Path | None) -> list:
    from pyrage import x25519

    out = []
    if identity is not None:
        lines = [ln.strip() for ln in Path(identity).expanduser().read_text(encoding="utf-8").splitlines()]
        keys = [ln for ln in lines if ln.startswith("AGE-SECRET-KEY-")]
        if not keys:
            raise UserError(_("{path} holds no age identity (a line AGE-SECRET-KEY-...).", path=Path(identity).name))
        out += [x25519.Identity.from_str(k) for k in keys]
    if passphrase:
        out.append(_identity_from_passphrase(target, passphrase))
    if not out:
        raise UserError(_("This backup is encrypted."),
                        fix=_("Give its passphrase (loa restore asks for it) or its age identity file with --identity."))
    return out


def snapshots(target: Path) -> list[str]:
    root = Path(target) / "snapshots"
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.endswith(".incomplete")) \
        if root.is_dir() else []


def is_encrypted(target: Path, snapshot: str | None = None) -> bool:
    names = snapshots(Path(target).expanduser())
    name = snapshot or (names[-1] if names else None)
    if not name or name not in names:
        return False
    manifest = json.loads((Path(target).expanduser() / "snapshots" / name / "manifest.json").read_text("utf-8"))
    return bool(manifest.get("encrypted"))


def restore(target: Path, into: Path, *, snapshot: str | None = None, passphrase: str | None = None,
            identity: Path | None = None) -> dict:
    """A campaign folder ``into`` (new or empty) from a snapshot of ``target`` (an encrypted one
    with its passphrase or its age identity file)."""
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
    identities = None
    if manifest.get("encrypted"):
        identities = _identities(target, passphrase, identity)

    def get(src: Path, dest: Path) -> bool:
        if identities is None:
            if not src.is_file():
                return False
            _copy(src, dest)
            return True
        sealed = src.with_name(src.name + ".age")
        if not sealed.is_file():
            return False
        import pyrage

        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            pyrage.decrypt_file(str(sealed), str(dest), identities)
        except pyrage.DecryptError:
            raise UserError(_("The backup does not open with this key."),
                            fix=_("Give the passphrase or the identity file it was made with.")) from None
        os.chmod(dest, 0o600)
        return True

    into.mkdir(parents=True, exist_ok=True, mode=0o700)
    for f in (S.CONFIG_NAME, S.DB_NAME, *KEYS):
        get(snap / f, into / f)
    missing = []
    for item in manifest["media"]:
        if not get(target / "media" / item["path"], into / "media" / item["path"]):
            missing.append(item["path"])
            continue
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
