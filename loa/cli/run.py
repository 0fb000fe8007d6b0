"""`loa run`, `loa status`, `loa retry`, `loa resolve`: publishing and seeing what happened."""
from __future__ import annotations

import click


from .app import App, emit_json, lazy, pass_app, table
from .language import LoaCommand
from content_queue.i18n import _

D = lazy("content_queue.deliveries")


def make_engine(app: App, clock, echo=None):
    return app.engine(clock, on_event=echo)


@click.command("run", cls=LoaCommand)
@click.option("--once", is_flag=True, help="Do one pass (publish what is due, follow up, reconcile) and exit: for cron.")
@click.option("--until-idle", is_flag=True, help="Keep going until nothing is due or in flight, then exit: for scripts.")
@click.option("--speed", type=float, default=1.0, show_default=True,
              help="Run campaign time this many times faster (rehearsals against the sandbox only).")
@click.option("--timeout", type=float, help="With --until-idle: give up after this many seconds.")
@click.option("--quiet", is_flag=True, help="Print only the summary.")
@pass_app
def run(app: App, once: bool, until_idle: bool, speed: float, timeout: float | None, quiet: bool) -> None:
    """Publish every due post exactly once, on time, and keep following up.

    Without options it runs until stopped (Ctrl-C or SIGTERM stop it cleanly: the call in
    flight finishes first). It sleeps until the next post is due and notices, within seconds,
    posts added or moved by another command. Posts due while the computer was off go out on
    start if they are within the campaign's grace window (`loa campaign set --grace`), one at a
    time per channel; older ones are marked missed and shown by `loa status`.

    \b
    Examples:
      loa run                      # leave it running in a terminal
      loa run --once               # from cron, every few minutes
      loa run --until-idle --json  # in a script
    """
    from scheduler.runner import Runner, SpeedClock

    if speed != 1.0 and not app.settings.api_base:
        raise click.UsageError(_("--speed is for rehearsals against the sandbox (set LOA_API_BASE)."))
    tz = None
    with app.session() as s:
        campaign = app.campaign(s)
        tz, campaign_id, link = campaign.timezone, campaign.id, campaign.public_url
    clock = SpeedClock(speed)
    from content_queue.timeutil import show

    echo = None if quiet else (lambda m: click.echo(f"[{show(clock(), tz, seconds=True)}] {m}"))
    engine = make_engine(app, clock, echo)
    runner = Runner(engine, clock, echo=click.echo)
    from .. import keeping

    if once or until_idle:  # the keeping period's step (loa/keeping.py); forever: once an hour, below
        keeping.step(app.folder, campaign_id, clock())
    if once:
        report = runner.once()
        engine.retire()
    elif until_idle:
        report = runner.until_idle(timeout=timeout)
    else:
        from ..notify import Notifier

        notices = Notifier(app.folder, campaign_id, link=link).start()  # e-mail when something goes wrong
        keeper = keeping.Keeper(app.folder, campaign_id, clock=clock).start()  # the privacy notice's promise
        try:
            runner.forever()
        finally:
            notices.stop()
            keeper.stop()
        return
    click.echo(_("published {published}, processing {processing}, retrying {retry}, failed {failed}, unknown "
                 "{unknown}, missed {missed}, reconciled {reconciled}",
                 published=report.published, processing=report.processing, retry=report.retry, failed=report.failed, unknown=report.unknown, missed=report.missed, reconciled=report.reconciled))


@click.command("status", cls=LoaCommand)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """What is due next, in flight, retrying, needing attention, missed or failed (with
    reasons), channel health and token expiries, and warnings found ahead of time.

    \b
    Example:
      loa status
      loa status --json | jq '.failed'
    """
    with app.session() as s:
        campaign = app.campaign(s)
        data = D.status(s, campaign, app.now(), app.show_time(campaign))
        tz = campaign.timezone
    data["disk"] = space = app.folder.space()
    if as_json:
        emit_json(data)
        return
    from content_queue.channels import health_label
    from content_queue.lifecycle import label

    counts = ", ".join(f"{label(k).lower()} {v}" for k, v in sorted(data["counts"].items())) or _("no deliveries yet")
    click.secho(_("Now {now} ({tz}). Deliveries: {counts}.", now=data['now'], tz=tz, counts=counts), bold=True)
    click.secho(_("Space left for videos: {free:.1f} GB (uploads are refused below {margin:.1f} GB).",
                  free=space["free_bytes"] / 2 ** 30, margin=space["margin_bytes"] / 2 ** 30),
                fg=None if space["uploads_accepted"] else "red")
    sections = [  # (key, title, colour)
        ("needs_attention", _("Needs your attention"), "red"),
        ("in_inbox", _("In the TikTok inbox, waiting for you to post it in the app (`loa resolve ID --published URL` "
                       "or `--dismiss`)"), "yellow"),
        ("failed", _("Failed"), "red"),
        ("missed", _("Missed while loa was off"), "yellow"),
        ("preflight_warnings", _("Warnings for the next day"), "yellow"),
        ("retrying", _("Retrying"), None),
        ("in_flight", _("In flight"), None),
        ("due_next", _("Due next"), None),
    ]
    for key, title, color in sections:
        rows = data[key]
        if not rows:
            continue
        click.secho(f"\n{title} ({len(rows)})", fg=color, bold=True)
        detail_key = "preflight" if key == "preflight_warnings" else "reason"
        click.echo(table([[str(r["id"]), r["due"], r["channel"], label(r["state"]),
                           (r["next_attempt"] if key == "retrying" else r["text"]),
                           (r[detail_key] or "")[:90]] for r in rows],
                         [_("ID"), _("DUE"), _("CHANNEL"), _("STATE"), _("NEXT TRY") if key == "retrying" else _("POST"),
                          _("WHY")]))
    for r in data["series_running_out"]:
        click.secho("\n" + r["said"], fg="yellow", bold=True)
    for r in data["take_down"]:
        click.secho("\n" + _("Recap {recap} is public and contains clip(s) {clips}, since withdrawn: take it down on the "
                             "platform.", recap=r["recap"], clips=", ".join(map(str, r["clips"]))), fg="red", bold=True)
        for link in r["links"]:
            click.echo(f"  {link}")
    click.secho("\n" + _("Channels"), bold=True)
    click.echo(table([[c["name"], c["platform"], health_label(c["health"]),
                       c["token_expires"] + (_(" (soon)") if c["token_expires_soon"] else ""),
                       c["cooling_down_until"] or "", (c["detail"] or "")[:60]] for c in data["channels"]],
                     [_("NAME"), _("PLATFORM"), _("HEALTH"), _("TOKEN EXPIRES"), _("WAITING UNTIL"), _("DETAIL")]))


@click.command("retry", cls=LoaCommand)
@click.argument("delivery_ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Every failed or missed delivery (optionally of one --channel).")
@click.option("--channel", help="With --all-failed: only this channel's.")
@pass_app
def retry(app: App, delivery_ids: tuple[int, ...], all_failed: bool, channel: str | None) -> None:
    """Send failed, missed or cancelled deliveries again, as soon as `loa run` sees them.

    \b
    Examples:
      loa retry 41 42
      loa retry --all-failed --channel zalo-oa   # after reconnecting the OA
    """
    if not delivery_ids and not all_failed:
        raise click.UsageError(_("Name delivery ids, or use --all-failed."))
    with app.session() as s:
        rows = D.retry(s, app.campaign(s), list(delivery_ids), all_failed=all_failed, channel=channel, now=app.now())
        ids = [d.id for d in rows]
    click.echo(_("{count} delivery(ies) will be sent again: {value}.", count=len(ids), value=', '.join(map(str, ids)) or '-'))


@click.command("resolve", cls=LoaCommand)
@click.argument("delivery_id", type=int)
@click.option("--published", "url", help="It is on the platform: its link.")
@click.option("--not-published", is_flag=True, help="It is not on the platform: publish it again.")
@click.option("--dismiss", is_flag=True, help="A TikTok inbox draft you will not post: stop the reminders.")
@pass_app
def resolve(app: App, delivery_id: int, url: str | None, not_published: bool, dismiss: bool) -> None:
    """Settle a delivery that loa could not settle by asking the platform: look at the page,
    then say whether the post is there. A draft sent to the TikTok inbox is settled the same way
    once posted in the app (its link), or dismissed.

    \b
    Examples:
      loa resolve 17 --published https://www.facebook.com/100200300/posts/123
      loa resolve 17 --not-published
      loa resolve 21 --published https://www.tiktok.com/@doanxa/video/7312345678901234567
      loa resolve 21 --dismiss
    """
    if sum(map(bool, (url, not_published, dismiss))) != 1:
        raise click.UsageError(_("Give exactly one of --published URL, --not-published or --dismiss."))
    with app.session() as s:
        if dismiss:
            d = D.dismiss_draft(s, app.campaign(s), delivery_id, now=app.now())
        else:
            d = D.resolve(s, app.campaign(s), delivery_id, published_url=url, now=app.now())
        state = d.state.value
    click.echo(_("Delivery {delivery_id}: {state}.", delivery_id=delivery_id, state=state))
