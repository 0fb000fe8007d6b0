"""`loa series`: columns (chuyên mục) on a rhythm: a tips column every Tuesday and Friday at 19:00."""
from __future__ import annotations

from pathlib import Path

import click

from content_queue.i18n import _

from .app import App, emit_json, pass_app, table, warn
from .language import LoaCommand, LoaGroup


@click.group(cls=LoaGroup)
def series() -> None:
    """Series (chuyên mục): a named column with its slots, channels, numbering and entries."""


@series.command("add", cls=LoaCommand)
@click.argument("name")
@click.option("--slots", required=True, help='Its rhythm, in the campaign\'s time zone, e.g. "tue,fri 19:00".')
@click.option("--to", required=True, help="Platforms and/or channel names, comma separated.")
@click.option("--title", default="", help='Each entry\'s title, {n} its number, e.g. "Mẹo an toàn số {n}".')
@click.option("--from", "from_csv", type=click.Path(dir_okay=False, path_type=Path),
              help="Its entries from a CSV (text, and optionally title, media, link, cover_url).")
@pass_app
def add(app: App, name: str, slots: str, to: str, title: str, from_csv: Path | None) -> None:
    """Make a series; its entries fill its slots in order from the next free one to the campaign's
    end, each checked against every platform it goes to before anything is saved.

    \b
    Example:
      loa series add "Mẹo an toàn" --slots "tue,fri 19:00" --to facebook,zalo \\
          --title "Mẹo an toàn số {n}" --from meo.csv
    """
    from content_queue import series as SE

    items = SE.read_entries(from_csv) if from_csv else []
    with app.session() as s:
        campaign = app.campaign(s)
        made, posts, warnings = SE.add_series(s, campaign, name, slots=slots, to=to, title=title, items=items,
                                              media_dir=app.folder.media_dir, base_dir=Path.cwd(), now=app.now())
        show = app.show_time(campaign)
        placed = [(p.series_number, show(p.due_at)) for p in posts]
        made_name, made_slots = made.name, made.slots
    for w in warnings:
        warn(w)
    click.echo(_("Series {name!r}: slots {slots}; {count} entry(ies) placed.", name=made_name, slots=made_slots,
                 count=len(placed)))
    for n, due in placed:
        click.echo(f"  {n}. {due}")


@series.command("add-entry", cls=LoaCommand)
@click.argument("name")
@click.option("--text", required=True, help="What the entry says.")
@click.option("--title", default="", help="Its title (otherwise the series' title with its number).")
@click.option("--media", type=click.Path(dir_okay=False, path_type=Path), help="A picture or video to attach.")
@pass_app
def add_entry(app: App, name: str, text: str, title: str, media: Path | None) -> None:
    """Add an entry at the series' next free slot.

    \b
    Example:
      loa series add-entry "Mẹo an toàn" --text "Mẹo: bật xác thực hai lớp cho Facebook và Zalo."
    """
    from content_queue import series as SE

    with app.session() as s:
        campaign = app.campaign(s)
        found = SE.get_series(s, campaign, name)
        posts, warnings = SE.add_entries(s, campaign, found, [SE.Entry(text=text, title=title,
                                                                       media=str(media) if media else "")],
                                         media_dir=app.folder.media_dir, base_dir=Path.cwd(), now=app.now())
        n, due = posts[0].series_number, app.show_time(campaign)(posts[0].due_at)
    for w in warnings:
        warn(w)
    click.echo(_("Entry {n} of {name!r} is due {due}.", n=n, name=name, due=due))


@series.command("remove-entry", cls=LoaCommand)
@click.argument("name")
@click.argument("number", type=int)
@pass_app
def remove_entry(app: App, name: str, number: int) -> None:
    """Take an entry out; the later entries move up one slot (and one number).

    \b
    Example:
      loa series remove-entry "Mẹo an toàn" 3
    """
    from content_queue import series as SE

    with app.session() as s:
        campaign = app.campaign(s)
        SE.remove_entry(s, campaign, SE.get_series(s, campaign, name), number, now=app.now())
    click.echo(_("Entry {n} removed from {name!r}; the later entries moved up.", n=number, name=name))


@series.command("pause", cls=LoaCommand)
@click.argument("name")
@pass_app
def pause(app: App, name: str) -> None:
    """Hold every entry not yet out (what was published stays).

    \b
    Example:
      loa series pause "Mẹo an toàn"
    """
    from content_queue import series as SE

    with app.session() as s:
        campaign = app.campaign(s)
        n = SE.pause(s, campaign, SE.get_series(s, campaign, name), now=app.now())
    click.echo(_("Series {name!r} paused: {count} entry(ies) held.", name=name, count=n))


@series.command("resume", cls=LoaCommand)
@click.argument("name")
@pass_app
def resume(app: App, name: str) -> None:
    """Put the held entries back on the series' next free slots, in order.

    \b
    Example:
      loa series resume "Mẹo an toàn"
    """
    from content_queue import series as SE

    with app.session() as s:
        campaign = app.campaign(s)
        n = SE.resume(s, campaign, SE.get_series(s, campaign, name), now=app.now())
    click.echo(_("Series {name!r} resumed: {count} entry(ies) back on its slots.", name=name, count=n))


@series.command("show", cls=LoaCommand)
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def show(app: App, name: str | None, as_json: bool) -> None:
    """A series and its entries (or every series, without a name).

    \b
    Examples:
      loa series show
      loa series show "Mẹo an toàn" --json
    """
    from sqlalchemy import select

    from content_queue import series as SE
    from content_queue.models import Series

    with app.session() as s:
        campaign = app.campaign(s)
        chosen = [SE.get_series(s, campaign, name)] if name else list(
            s.scalars(select(Series).where(Series.campaign_id == campaign.id).order_by(Series.id)))
        data = [SE.describe(s, x, app.show_time(campaign)) for x in chosen]
    if as_json:
        emit_json(data if not name else data[0])
        return
    if not data:
        click.echo(_("No series yet (`loa series add`)."))
    for x in data:
        click.secho(_("{name}: {slots} → {to}", name=x["name"], slots=x["slots"], to=x["to"]) +
                    (" " + _("(paused)") if x["paused"] else ""), bold=True)
        click.echo(table([[str(e["n"]), str(e["post"]), e["due"], e["title"] or e["text"], e["state"]]
                          for e in x["entries"]], [_("NO."), _("POST"), _("DUE"), _("TITLE"), _("STATE")]))
