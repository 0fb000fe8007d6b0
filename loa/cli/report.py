"""`loa report`: what went out, where, and how the clips were received, for the province."""
from __future__ import annotations

from pathlib import Path

import click

from .app import App, pass_app
from .language import LoaCommand
from content_queue.i18n import _


@click.command("report", cls=LoaCommand)
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json", "html"]), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of the screen.")
@click.option("--insights", is_flag=True, help="With --format csv: every reading of the posts' numbers, one row each.")
@pass_app
def report(app: App, fmt: str, out: Path | None, insights: bool) -> None:
    """The campaign's report: for each channel what went out and when (due and actual, in the
    campaign's time zone), the public links, what failed and why, what needs attention; clips
    received, accepted and rejected by school, age band and consent; each recap and where it
    was published. HTML is one self-contained file, in the campaign's language, with a timeline, charts and
    clip thumbnails.

    \b
    Examples:
      loa report
      loa report --format html --out bao-cao.html
      loa report --format csv --out bai-dang.csv
      loa report --format csv --insights --out so-lieu.csv
    """
    from content_queue.report import collect

    from ..report import render_report

    if insights and fmt != "csv":
        raise click.UsageError(_("--insights goes with --format csv."))
    with app.session() as s:
        campaign = app.campaign(s)
        if insights:
            from content_queue.report import all_readings

            from ..report import readings_csv

            text = readings_csv(all_readings(s, campaign, app.show_time(campaign)))
        else:
            data = collect(s, campaign, app.now(), app.show_time(campaign))
    if not insights:
        text = render_report(data, fmt, app.folder.media_dir)
    if out:
        out.write_text(text, encoding="utf-8")
        click.echo(_("Report written to {out}", out=out))
    else:
        click.echo(text, nl=False)
