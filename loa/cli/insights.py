"""`loa insights`: the published posts' numbers (views, reach, reactions, comments, shares)."""
from __future__ import annotations

import sys

import click

from content_queue.i18n import _

from .app import App, emit_json, pass_app
from .language import LoaGroup


@click.group(cls=LoaGroup)
def insights() -> None:
    """The published posts' numbers, read from the platforms (`loa run` reads them on its own)."""


@insights.command("refresh")
@click.option("--post", "post_id", type=int, help="Only this post's deliveries.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_app
def refresh(app: App, post_id: int | None, as_json: bool) -> None:
    """Read the numbers of every published delivery now (or one post's), with a progress bar. A
    number a platform does not give is stored as unavailable with its reason, never as 0; a read
    that fails never changes a delivery.

    \b
    Examples:
      loa insights refresh
      loa insights refresh --post 12
    """
    from sqlalchemy import func, select

    from content_queue.models import Delivery, DeliveryState, Post

    from .run import make_engine

    with app.session() as s:
        campaign = app.campaign(s)
        q = (select(func.count()).select_from(Delivery).join(Post, Post.id == Delivery.post_id)
             .where(Post.campaign_id == campaign.id, Delivery.state == DeliveryState.published))
        total = s.scalar(q.where(Delivery.post_id == post_id) if post_id else q)
    engine = make_engine(app, app.now)
    with click.progressbar(length=total, label=_("Reading the numbers"), file=sys.stderr) as bar:
        counts = engine.read_numbers(post_id=post_id, progress=bar.update)
    if as_json:
        emit_json(counts)
        return
    click.echo(_("{read} number(s) read, {unavailable} unavailable (with their reasons), {failed} delivery(ies) "
                 "not readable this time.", **counts))
    if counts["postponed"]:
        click.echo(_("{postponed} delivery(ies) postponed: the platform asked loa to slow down; they are read on "
                     "a later pass (`loa run` does it on its own).", **counts))
