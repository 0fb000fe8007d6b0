"""`loa notify`: e-mail to the officer when something goes wrong (failed posts, channels to
reconnect, tomorrow's warnings, a stopped scheduler)."""
from __future__ import annotations

import sys

import click

from content_queue.i18n import _

from .app import App, emit_json, pass_app, read_password
from .language import LoaCommand, LoaGroup


@click.group(cls=LoaGroup)
def notify() -> None:
    """E-mail notices to the officer: the SMTP settings, a test message, a check now."""


@notify.command("set", cls=LoaCommand)
@click.option("--smtp", "server", required=True, help="The mail server, HOST or HOST:PORT (port 587 by default).")
@click.option("--user", default="", help="The account to sign in to the mail server with.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (never an option).")
@click.option("--from", "sender", required=True, help="The sender's address.")
@click.option("--to", "to", required=True, help="Who gets the notices, comma separated.")
@click.option("--no-starttls", is_flag=True, help="Send without STARTTLS (only for a server on this computer).")
@click.option("--cafile", default="", help="A certificate to trust for the server (a private mail server).")
@pass_app
def set_(app: App, server: str, user: str, password_stdin: bool, sender: str, to: str, no_starttls: bool,
         cafile: str) -> None:
    """Set where notices go. The password is read from standard input (or asked, hidden) and
    kept like the channels' tokens; it is never printed.

    \b
    Examples:
      echo "mat-khau-ung-dung" | loa notify set --smtp smtp.gmail.com:587 --user canbo@gmail.com \\
          --password-stdin --from canbo@gmail.com --to canbo@gmail.com,truongcongan@gmail.com
      loa notify test
    """
    from .. import notify as N

    host, _sep, port = server.partition(":")
    # with --password-stdin, or asked at a terminal when there is an account; otherwise the one kept
    password = read_password(confirm=False) if password_stdin or (user and sys.stdin.isatty()) else None
    with app.session() as s:
        shown = N.configure(s, app.campaign(s), host=host, port=int(port or 587), user=user, password=password,
                            sender=sender, to=[a.strip() for a in to.split(",") if a.strip()],
                            starttls=not no_starttls, cafile=cafile)
    click.echo(_("Notices go to {to} through {host}:{port}.", to=", ".join(shown["to"]), host=shown["host"],
                 port=shown["port"]))


@notify.command("show", cls=LoaCommand)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def show(app: App, as_json: bool) -> None:
    """The notice settings (the password hidden) and when each kind was last sent.

    \b
    Example:
      loa notify show
    """
    from .. import notify as N

    with app.session() as s:
        c = app.campaign(s)
        data = {"settings": N.shown(c.notify), "last_sent": {k: v.get("at") for k, v in (c.notified or {}).items()}}
    if as_json:
        emit_json(data)
        return
    if not data["settings"]:
        click.echo(_("No notices set (`loa notify set`)."))
        return
    for k, v in data["settings"].items():
        click.echo(f"{k}: {v}")


@notify.command("test", cls=LoaCommand)
@pass_app
def test(app: App) -> None:
    """Send a test message now, to see that the settings work.

    \b
    Example:
      loa notify test
    """
    import smtplib

    from content_queue.errors import UserError

    from .. import notify as N

    with app.session() as s:
        c = app.campaign(s)
        cfg, name = dict(c.notify or {}), c.name
    if not cfg.get("host"):
        raise UserError(_("No notices set."), fix=_("Run `loa notify set` first."))
    try:
        N.send(cfg, _("[loa] Test message – {campaign}", campaign=name),
               _("This is a test: loa's notices for {campaign} reach you.", campaign=name))
    except (OSError, smtplib.SMTPException) as exc:
        raise UserError(_("The message could not be sent: {reason}.", reason=type(exc).__name__),
                        fix=_("Check the server, the port, the account and the password (`loa notify set`).")) from None
    click.echo(_("Sent to {to}.", to=", ".join(cfg["to"])))


@notify.command("check", cls=LoaCommand)
@pass_app
def check(app: App) -> None:
    """Look for trouble now and send what is new (`loa serve` and `loa run` do it every five
    minutes on their own).

    \b
    Example:
      loa notify check
    """
    from .. import notify as N

    with app.session() as s:
        c = app.campaign(s)
        campaign_id, link = c.id, c.public_url
    sent = N.check(app.folder.sessions, campaign_id, app.now(), link=link)
    click.echo(_("Sent: {kinds}.", kinds=", ".join(sent)) if sent else _("Nothing new to tell."))
