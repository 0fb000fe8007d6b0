"""`loa campaign`: see and change the campaign's details."""
from __future__ import annotations

import click

from content_queue.i18n import LANGUAGES, N_, _

from .app import App, emit_json, pass_app
from .app import parse_date as _date
from .language import LoaGroup


@click.group(cls=LoaGroup)
def campaign() -> None:
    """See and change the campaign's details (name, hashtags, time zone, dates, defaults)."""


# What the officer reads for each detail (the keys stay for --json).
DETAIL_LABELS = {
    "slug": N_("short name"), "name": N_("name"), "message": N_("message"), "hashtags": N_("hashtags"),
    "timezone": N_("time zone"), "starts_on": N_("starts on"), "ends_on": N_("ends on"),
    "grace_minutes": N_("late posts allowed (minutes)"), "add_hashtags": N_("add hashtags"),
    "facebook_handoff": N_("Facebook's own scheduler"), "guardian_age": N_("guardian consent below age"),
    "language": N_("language"), "approval": N_("approval"), "help_line": N_("help line"),
    "public_url": N_("public address"), "keep_days": N_("what people sent is kept after the end (days)"),
}


def _show_details(data: dict) -> None:
    labels = {k: _(DETAIL_LABELS.get(k, k)) for k in data}
    width = max(len(v) for v in labels.values()) + 2
    for k, v in data.items():
        shown = " ".join(v) if isinstance(v, list) else (_("yes") if v is True else _("no") if v is False else v)
        click.echo(f"{labels[k]:{width}}{'' if shown is None else shown}")


def _describe(c) -> dict:
    return {
        "slug": c.slug, "name": c.name, "message": c.message, "hashtags": c.hashtag_list,
        "timezone": c.timezone, "starts_on": c.starts_on.isoformat() if c.starts_on else None,
        "ends_on": c.ends_on.isoformat() if c.ends_on else None, "grace_minutes": c.grace_minutes,
        "add_hashtags": c.add_hashtags, "facebook_handoff": c.facebook_handoff, "guardian_age": c.guardian_age,
        "language": c.language, "approval": c.approval, "help_line": c.help_line, "public_url": c.public_url,
        "keep_days": c.keep_days,
    }


@campaign.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def show_campaign(app: App, as_json: bool) -> None:
    """Show the campaign's details.

    \b
    Example:
      loa campaign show --json
    """
    with app.session() as s:
        data = _describe(app.campaign(s))
    if as_json:
        emit_json(data)
        return
    _show_details(data)


@campaign.command("set")
@click.option("--name")
@click.option("--message")
@click.option("--hashtags", help='e.g. "#khongmotminh #antoantructuyen #niemtinso"')
@click.option("--tz", help="IANA time zone, e.g. Asia/Ho_Chi_Minh.")
@click.option("--start", "starts_on", help="First day, e.g. 2025-10-06.")
@click.option("--end", "ends_on", help="Last day, e.g. 2025-11-30.")
@click.option("--grace", "grace_minutes", type=click.IntRange(0, 7 * 24 * 60),
              help="Minutes a post may still go out late after the computer was off (default 120).")
@click.option("--add-hashtags/--no-add-hashtags", default=None, help="Add the campaign's hashtags to posts that lack them.")
@click.option("--facebook-handoff/--no-facebook-handoff", default=None,
              help="Hand Facebook posts to Facebook's own scheduler ahead of time.")
@click.option("--language", type=click.Choice(LANGUAGES), help="The language loa speaks for this campaign.")
@click.option("--guardian-age", type=click.IntRange(0, 30), help="Below this age a clip needs guardian consent (default 16).")
@click.option("--approval", type=click.Choice(["required", "off"]),
              help="required: a post publishes only once an approver approved it (`loa post approve`).")
@click.option("--help-line", help='Who to call for help, printed on the materials, e.g. "Công an xã: 0269 3812 345".')
@click.option("--public-url", help="The address people reach the campaign's pages at, e.g. https://loa.congan-xa.example.")
@click.option("--keep-days", type=click.IntRange(0, 3650),
              help="How many days after the campaign's end the clips and signatures are kept (default 90); the "
                   "privacy notice says so.")
@pass_app
def set_campaign(app: App, **changes) -> None:
    """Change the campaign's details. Only the options given change.

    \b
    Example:
      loa campaign set --end 2025-11-30 --grace 180
    """
    from content_queue.campaigns import update_campaign

    changes["timezone"] = changes.pop("tz")
    for key, flag in (("starts_on", "--start"), ("ends_on", "--end")):
        if changes[key] is not None:
            changes[key] = _date(changes[key], flag)
    with app.session() as s:
        data = _describe(update_campaign(s, app.campaign(s), **changes))
    click.echo(_("Campaign updated."))
    _show_details(data)
