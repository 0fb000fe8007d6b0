"""`loa backup` and `loa restore`: a consistent copy of the campaign, and a folder made from it."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from content_queue.i18n import _

from .app import App, emit_json, pass_app
from .language import LoaCommand


@click.command("backup", cls=LoaCommand)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep", type=click.IntRange(1, 1000), help="Keep only the newest N snapshots there.")
@click.option("--encrypt", is_flag=True,
              help="Encrypt every file with a passphrase (asked for, or LOA_BACKUP_PASSPHRASE): a stick alone reads nothing.")
@click.option("--recipient", "recipients", multiple=True, metavar="AGE1...",
              help="Encrypt for this age public key too (or only), e.g. the province's.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def backup(app: App, directory: Path, keep: int | None, encrypt: bool, recipients: tuple[str, ...],
           as_json: bool) -> None:
    """Copy the campaign into DIRECTORY while `loa serve` keeps running: the database (SQLite's
    online backup, or pg_dump for PostgreSQL), the settings and keys, and the media store, of
    which only new files are copied. Readable by you only: it holds the platforms' tokens.

    \b
    Examples:
      loa backup /media/usb/sao-luu-khong-mot-minh
      loa backup /srv/backups/khong-mot-minh --keep 7     # daily, from a systemd timer or cron
      loa backup /media/usb/sao-luu --encrypt             # asks for a passphrase; restore asks again
    """
    from .. import backup as B

    folder = app.folder
    passphrase = None
    if encrypt:
        passphrase = app.settings.backup_passphrase or click.prompt(
            _("Passphrase for the backup"), hide_input=True, confirmation_prompt=True, err=True)
    kw = dict(keep=keep, now=app.now(), passphrase=passphrase, recipients=list(recipients))
    if as_json:
        emit_json(B.backup(folder, directory, **kw))
        return
    count = sum(1 for _ in B._media_files(folder.media_dir))
    with click.progressbar(length=count, label=_("Copying the media store"), file=sys.stderr) as bar:
        done = B.backup(folder, directory, progress=bar.update, **kw)
    click.echo(_("Snapshot {name} written to {path}: the database, the settings, {copied} new media file(s) "
                 "({kept} already there).", name=done["snapshot"], path=done["path"], copied=done["media_copied"],
                 kept=done["media_already_there"]))
    if done["removed"]:
        click.echo(_("Older snapshots removed: {names}.", names=", ".join(done["removed"])))
    click.echo(_("To restore: loa restore {dir} --into NEW_FOLDER", dir=directory))


@click.command("restore", cls=LoaCommand)
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A new (or empty) folder to make the campaign folder in.")
@click.option("--snapshot", help="Which snapshot (default: the newest).")
@click.option("--identity", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="An encrypted backup: the age identity file (else its passphrase is asked for).")
def restore(directory: Path, into: Path, snapshot: str | None, identity: Path | None) -> None:
    """Make a campaign folder from a backup (never over an existing one).

    \b
    Example:
      loa restore /media/usb/sao-luu-khong-mot-minh --into ~/khong-mot-minh-khoi-phuc
    """
    from .. import backup as B

    passphrase = None
    if B.is_encrypted(directory, snapshot) and identity is None:
        from .. import settings as S

        passphrase = S.Settings.read().backup_passphrase or click.prompt(
            _("The backup's passphrase"), hide_input=True, err=True)
    done = B.restore(directory, into, snapshot=snapshot, passphrase=passphrase, identity=identity)
    click.echo(_("Campaign folder {folder} restored from snapshot {name} ({count} media file(s)).",
                 folder=done["folder"], name=done["snapshot"], count=done["media"]))
    if done["missing"]:
        click.echo(_("Missing from the backup: {names}.", names=", ".join(done["missing"][:10])), err=True)
    click.echo(_("Check it: cd {folder} && loa status", folder=done["folder"]))
