"""`loa queue`: the posts waiting in each channel's posting slots, in order, and reordering them."""
from __future__ import annotations

import click

from content_queue.i18n import _

from .app import App, emit_json, pass_app, table
from .language import LoaCommand, LoaGroup


@click.group(cls=LoaGroup, invoke_without_command=True)
@click.option("--channel", "channel_name", help="Only this channel's queue.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def queue(ctx: click.Context, channel_name: str | None, as_json: bool) -> None:
    """The queue: each channel's slots and the posts waiting in them, in the order they go out.

    \b
    Examples:
      loa queue
      loa queue --channel fanpage --json
      loa queue move 14 --before 12
    """
    if ctx.invoked_subcommand is not None:
        return
    from content_queue import queue as Q
    from content_queue.channels import get_channel

    app: App = ctx.obj
    with app.session() as s:
        campaign = app.campaign(s)
        channel = get_channel(s, campaign, channel_name) if channel_name else None
        data = Q.listing(s, campaign, channel, now=app.now(), show=app.show_time(campaign))
    if as_json:
        emit_json(data)
        return
    for ch in data:
        if not ch["slots"]:
            click.echo(_("{channel}: no posting slots (`loa channel slots {channel} \"tue,fri 19:00\"`).",
                         channel=ch["channel"]))
            continue
        click.secho(_("{channel}: slots {slots}; next free slot {next}.", channel=ch["channel"], slots=ch["slots"],
                      next=ch["next_free"] or "-"), bold=True)
        if ch["queue"]:
            click.echo(table([[str(r["post"]), r["due"], r["text"]] for r in ch["queue"]],
                             [_("POST"), _("DUE"), _("TEXT")]))


@queue.command("move", cls=LoaCommand)
@click.argument("post_id", type=int)
@click.option("--before", "before_id", type=int, required=True, help="The queued post it goes before.")
@pass_app
def move(app: App, post_id: int, before_id: int) -> None:
    """Move a queued post before another one: the same slots stay filled, in the new order.

    \b
    Example:
      loa queue move 14 --before 12
    """
    from content_queue import queue as Q

    with app.session() as s:
        channels = Q.move_before(s, app.campaign(s), post_id, before_id, now=app.now())
    click.echo(_("Post {a} now goes before post {b} on {channels}.", a=post_id, b=before_id,
                 channels=", ".join(channels)))
