"""`loa privacy`: the keeping period the privacy notice promises, carried out (content_queue.privacy)."""
from __future__ import annotations

import click

from content_queue.i18n import _

from .app import App, emit_json, pass_app
from .language import LoaCommand, LoaGroup


@click.group(cls=LoaGroup)
def privacy() -> None:
    """What people sent, and when loa erases it (the privacy notice's promise)."""


@privacy.command("purge", cls=LoaCommand)
@click.option("--dry-run", is_flag=True, help="Only say what would be erased, and when.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def purge(app: App, dry_run: bool, as_json: bool) -> None:
    """Erase what people sent, once the keeping period after the campaign's end has passed: the
    clips' videos and pictures, the participants' names and details, the signatures on the wall,
    unfinished uploads and the recaps' local videos. The report's figures are kept. `loa run` and
    `loa serve` do this by themselves on the day; nothing is erased before it.

    \b
    Examples:
      loa privacy purge --dry-run
      loa privacy purge
    """
    from content_queue import privacy as P
    from content_queue.errors import UserError
    from content_queue.timeutil import local

    with app.session() as s:
        campaign = app.campaign(s)
        if P.erase_on(campaign) is None:
            raise UserError(_("The campaign has no last day, so nothing is erased yet."),
                            fix=_("Set it: `loa campaign set --end 2025-11-30`; what people sent is erased "
                                  "{days} days after it.", days=campaign.keep_days))
        said = P.purge(s, campaign, media_dir=app.folder.media_dir, upload_dir=app.folder.root / "uploads",
                       now=app.now(), dry_run=dry_run)
        tz = campaign.timezone
    if said["done"] and not dry_run:
        from content_queue.store import reclaim

        reclaim(app.folder.engine)  # the deleted rows' bytes, out of the database file too
    if as_json:
        emit_json(said)
        return
    day = _day(said["erase_on"])
    e = said["erased"]
    what = _("{clips} clips, {signatures} signatures, {uploads} unfinished uploads, {files} files",
             clips=e["clips"], signatures=e["signatures"], uploads=e["uploads"], files=e["files"])
    if said["done"] and not dry_run:
        from datetime import datetime

        click.echo(_("Erased on {at}: {what}. The report keeps its figures.",
                     at=local(datetime.fromisoformat(said["at"]), tz), what=what))
    elif not said["due"]:
        click.echo(_("Kept until {day}: {what}. Nothing was erased.", day=day, what=what))
    else:
        click.echo(_("Due since {day}; would erase: {what}.", day=day, what=what))


def _day(iso: str) -> str:
    from datetime import date

    return date.fromisoformat(iso).strftime("%d/%m/%Y")
