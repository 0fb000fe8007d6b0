"""`loa frame`: the campaign's avatar frame, which people put their photo under on the public page."""
from __future__ import annotations

from pathlib import Path

import click

from content_queue.i18n import _

from .app import App, pass_app
from .language import LoaCommand, LoaGroup


@click.group(cls=LoaGroup)
def frame() -> None:
    """The avatar frame (khung ảnh đại diện) of the campaign's public page."""


@frame.command("set", cls=LoaCommand)
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--default", "use_default", is_flag=True,
              help="Use the frame loa draws from the campaign's colours, name and hashtags.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the frame people get (1080x1080) to this file, to look at.")
@pass_app
def set_frame(app: App, file: Path | None, use_default: bool, out: Path | None) -> None:
    """Set the frame: a square PNG of at least 1000x1000 with a transparent middle (your file is
    copied, never changed). People's photos never leave their phone: the page composes them there.

    \b
    Examples:
      loa frame set khung-khong-mot-minh.png
      loa frame set --default --out khung.png
    """
    from loa import frame as F

    if bool(file) == use_default:
        raise click.UsageError(_("Give the frame's FILE, or --default."))
    media_dir = app.folder.media_dir
    with app.session() as s:
        campaign = app.campaign(s)
        name, hashtags = campaign.name, campaign.hashtags
    done = F.use_default(media_dir, name, hashtags) if use_default else F.set_frame(file, media_dir)
    click.echo(_("The frame is set ({width}x{height}); the page downloads {kb} kB of it.", width=done["width"],
                 height=done["height"], kb=round(done["served_bytes"] / 1024)))
    if out:
        out.write_bytes(F.frame_paths(media_dir)[1].read_bytes())
        click.echo(_("Written to {path}.", path=out))
