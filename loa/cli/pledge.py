"""`loa pledge`: the pledge wall (Bức tường An toàn số): its text, and the signatures to approve."""
from __future__ import annotations

import click

from content_queue.i18n import _

from .app import App, emit_json, pass_app, table
from .language import LoaCommand, LoaGroup


@click.group(cls=LoaGroup)
def pledge() -> None:
    """The pledge wall: the pledge's text, how signatures are shown, approving them."""


@pledge.command("set-text", cls=LoaCommand)
@click.argument("text")
@click.option("--auto/--review", default=None,
              help="Show signatures at once (unless the word list flags them), or only once approved (the default).")
@click.option("--words", help="Your own words to hold back for review, separated by commas.")
@pass_app
def set_text(app: App, text: str, auto: bool | None, words: str | None) -> None:
    """Set the pledge people sign on the wall (give "" to go back to loa's default text).

    \b
    Examples:
      loa pledge set-text "Em cam kết không chia sẻ thông tin cá nhân với người lạ trên mạng..."
      loa pledge set-text "" --auto --words "lừa đảo, cờ bạc"
    """
    from content_queue import pledges as P

    with app.session() as s:
        campaign = app.campaign(s)
        P.configure(s, campaign, text=text, auto=auto, words=words)
        shown, auto_on = P.pledge_text(campaign), campaign.pledge_auto
    click.echo(_("The pledge: {text}", text=shown))
    click.echo(_("Signatures show at once unless the word list flags them.") if auto_on else
               _("Signatures show once you approve them (`loa pledge approve ID`)."))


@pledge.command("list", cls=LoaCommand)
@click.option("--status", type=click.Choice(["pending", "approved", "rejected"]), help="Only these.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_(app: App, status: str | None, as_json: bool) -> None:
    """The wall's signatures, newest first (those waiting for you with --status pending).

    \b
    Examples:
      loa pledge list --status pending
      loa pledge list --json
    """
    from content_queue import pledges as P
    from content_queue.timeutil import local

    with app.session() as s:
        campaign = app.campaign(s)
        rows = [{"id": p.id, "name": p.name, "organisation": p.organisation, "age_band": p.age_band,
                 "status": p.status.value, "flagged": p.flagged or None,
                 "signed": local(p.signed_at, campaign.timezone)} for p in P.listed(s, campaign, status)]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo(_("No signatures yet."))
        return
    labels = {"pending": _("awaiting approval"), "approved": _("approved"), "rejected": _("rejected")}
    click.echo(table([[str(r["id"]), r["signed"], r["name"], r["organisation"], P.band_label(r["age_band"]),
                       labels[r["status"]], r["flagged"] or ""] for r in rows],
                     [_("ID"), _("SIGNED"), _("NAME"), _("SCHOOL"), _("AGE"), _("STATE"), _("HELD BACK FOR")]))


def _decide(app: App, ids: tuple[int, ...], approve: bool) -> None:
    from content_queue import pledges as P

    with app.session() as s:
        done = P.decide(s, app.campaign(s), list(ids), approve, now=app.now())
    click.echo((_("Approved: {names}.") if approve else _("Rejected: {names}.")).format(
        names=", ".join(f"#{p.id} {p.name}" for p in done)))


@pledge.command("approve", cls=LoaCommand)
@click.argument("ids", nargs=-1, type=int, required=True)
@pass_app
def approve(app: App, ids: tuple[int, ...]) -> None:
    """Put signatures on the wall.

    \b
    Example:
      loa pledge approve 12 13 14
    """
    _decide(app, ids, True)


@pledge.command("reject", cls=LoaCommand)
@click.argument("ids", nargs=-1, type=int, required=True)
@pass_app
def reject(app: App, ids: tuple[int, ...]) -> None:
    """Keep signatures off the wall.

    \b
    Example:
      loa pledge reject 15
    """
    _decide(app, ids, False)
