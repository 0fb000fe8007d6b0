"""`loa run`, `loa status`, `loa retry`, `loa resolve`: publishing and seeing what happened."""
from __future__ import annotations

import click


from .app import App, emit_json, lazy, pass_app, table

D = lazy("content_queue.deliveries")


def make_engine(app: App, clock, echo=None):
    from scheduler.engine import Engine

    return Engine(app.folder.sessions, media_dir=app.folder.media_dir, clock=clock, policy=app.settings.policy(),
                  http=app.settings.http(), on_event=echo)


@click.command("run")
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
        raise click.UsageError("--speed is for rehearsals against the sandbox (set LOA_API_BASE).")
    tz = None
    with app.session() as s:
        tz = app.campaign(s).timezone
    clock = SpeedClock(speed)
    from content_queue.timeutil import show

    echo = None if quiet else (lambda m: click.echo(f"[{show(clock(), tz, seconds=True)}] {m}"))
    engine = make_engine(app, clock, echo)
    runner = Runner(engine, clock, echo=click.echo)
    if once:
        report = runner.once()
        engine.retire()
    elif until_idle:
        report = runner.until_idle(timeout=timeout)
    else:
        runner.forever()
        return
    click.echo(f"published {report.published}, processing {report.processing}, retrying {report.retry}, "
               f"failed {report.failed}, unknown {report.unknown}, missed {report.missed}, "
               f"reconciled {report.reconciled}")


@click.command("status")
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
    if as_json:
        emit_json(data)
        return
    counts = ", ".join(f"{k} {v}" for k, v in sorted(data["counts"].items())) or "no deliveries yet"
    click.secho(f"Now {data['now']} ({tz}). Deliveries: {counts}.", bold=True)
    sections = [
        ("Needs your attention", data["needs_attention"], "red"),
        ("Failed", data["failed"], "red"),
        ("Missed while loa was off", data["missed"], "yellow"),
        ("Warnings for the next day", data["preflight_warnings"], "yellow"),
        ("Retrying", data["retrying"], None),
        ("In flight", data["in_flight"], None),
        ("Due next", data["due_next"], None),
    ]
    for title, rows, color in sections:
        if not rows:
            continue
        click.secho(f"\n{title} ({len(rows)})", fg=color, bold=True)
        detail_key = "preflight" if title.startswith("Warnings") else "reason"
        click.echo(table([[str(r["id"]), r["due"], r["channel"], r["state"],
                           (r["next_attempt"] if title == "Retrying" else r["text"]),
                           (r[detail_key] or "")[:90]] for r in rows],
                         ["ID", "DUE", "CHANNEL", "STATE", "NEXT TRY" if title == "Retrying" else "POST", "WHY"]))
    click.secho("\nChannels", bold=True)
    click.echo(table([[c["name"], c["platform"], c["health"], c["token_expires"] + (" (soon)" if c["token_expires_soon"] else ""),
                       c["cooling_down_until"] or "", (c["detail"] or "")[:60]] for c in data["channels"]],
                     ["NAME", "PLATFORM", "HEALTH", "TOKEN EXPIRES", "WAITING UNTIL", "DETAIL"]))


@click.command("retry")
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
        raise click.UsageError("Name delivery ids, or use --all-failed.")
    with app.session() as s:
        rows = D.retry(s, app.campaign(s), list(delivery_ids), all_failed=all_failed, channel=channel, now=app.now())
        ids = [d.id for d in rows]
    click.echo(f"{len(ids)} delivery(ies) will be sent again: {', '.join(map(str, ids)) or '-'}.")


@click.command("resolve")
@click.argument("delivery_id", type=int)
@click.option("--published", "url", help="It is on the platform: its link.")
@click.option("--not-published", is_flag=True, help="It is not on the platform: publish it again.")
@pass_app
def resolve(app: App, delivery_id: int, url: str | None, not_published: bool) -> None:
    """Settle a delivery that loa could not settle by asking the platform: look at the page,
    then say whether the post is there.

    \b
    Examples:
      loa resolve 17 --published https://www.facebook.com/100200300/posts/123
      loa resolve 17 --not-published
    """
    if bool(url) == bool(not_published):
        raise click.UsageError("Give exactly one of --published URL or --not-published.")
    with app.session() as s:
        d = D.resolve(s, app.campaign(s), delivery_id, published_url=url, now=app.now())
        state = d.state.value
    click.echo(f"Delivery {delivery_id}: {state}.")
