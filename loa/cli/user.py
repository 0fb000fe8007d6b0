"""`loa user ...`: the people who sign in to the workspace (`loa serve`)."""
from __future__ import annotations


import click

from content_queue.i18n import _

from .app import App, emit_json, lazy, pass_app, read_password, table
from .language import LoaGroup

U = lazy("content_queue.users")
ROLES = click.Choice(["officer", "approver", "viewer"])


@click.group(cls=LoaGroup)
def user() -> None:
    """Who may sign in to the workspace, and with which role."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=ROLES, required=True,
              help="officer: prepares and publishes; approver: also signs posts off; viewer: reads only.")
@pass_app
def add(app: App, name: str, role: str) -> None:
    """Add a user. The password is asked twice (hidden), or read from standard input.

    \b
    Examples:
      loa user add can-bo-xa --role officer
      echo "mot mat khau dai" | loa user add lanh-dao --role approver
    """
    password = read_password()
    with app.session() as s:
        u = U.add_user(s, name, role, password)
        name, role_label = u.name, U.role_label(u.role)
    click.echo(_("User {name} added ({role}).", name=name, role=role_label))


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """List the users, their roles and when they last signed in.

    \b
    Example:
      loa user list
    """
    with app.session() as s:
        campaign = app.campaign(s)
        rows = [U.describe(u, app.show_time(campaign)) for u in U.list_users(s)]
        labels = {r["name"]: U.role_label(r["role"]) for r in rows}
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo(_("No users yet. Add one with `loa user add NAME --role officer`."))
        return
    click.echo(table([[r["name"], labels[r["name"]], r["created"], r["last_sign_in"]] for r in rows],
                     [_("NAME"), _("ROLE"), _("ADDED"), _("LAST SIGN-IN")]))


@user.command("remove")
@click.argument("name")
@pass_app
def remove(app: App, name: str) -> None:
    """Remove a user; their sessions end at once. What they did stays on record.

    \b
    Example:
      loa user remove can-bo-cu
    """
    with app.session() as s:
        U.remove_user(s, name)
    click.echo(_("User {name} removed.", name=name))


@user.command("password")
@click.argument("name")
@pass_app
def password(app: App, name: str) -> None:
    """Set a user's password (asked twice, or read from standard input); their other sessions end.

    \b
    Example:
      loa user password can-bo-xa
    """
    secret = read_password()
    with app.session() as s:
        U.set_password(s, name, secret)
    click.echo(_("Password of {name} changed; their sessions elsewhere have ended.", name=name))
