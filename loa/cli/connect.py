"""`loa channel connect`: walk the officer through connecting an account."""
from __future__ import annotations

import click

from connectors import CONNECTORS, PLATFORMS, oauth
from content_queue.i18n import _

from .app import App, pass_app
from .language import LoaCommand



def _ask(value: str | None, prompt: str, secret: bool = False) -> str:
    return value or click.prompt(prompt, hide_input=secret)


def _paste() -> dict[str, str]:
    return oauth.code_from(click.prompt(_("Paste the whole address your browser was sent to (or just the code)")))


@click.command("connect", cls=LoaCommand)
@click.argument("platform", type=click.Choice(PLATFORMS))
@click.option("--name", required=True, help="A short name for the channel.")
@click.option("--app-id", help="Facebook or Zalo: the app's id (from the developer portal).")
@click.option("--app-secret", help="Facebook or Zalo: the app's secret (asked for, hidden, if not given).")
@click.option("--client-key", help="TikTok: the app's client key.")
@click.option("--client-secret", help="TikTok: the app's client secret (asked for, hidden, if not given).")
@click.option("--redirect-uri", help="The redirect address registered for the app (default: "
              "https://localhost/loa-callback; TikTok, a desktop app: http://127.0.0.1:8765/loa-callback).")
@click.option("--page", "page_choice", help="Facebook: the Page's id or name, if the account manages several.")
@click.option("--replace", is_flag=True, help="Reconnect the existing channel of this name.")
@pass_app
def connect(app: App, platform: str, name: str, app_id, app_secret, client_key, client_secret, redirect_uri,
            page_choice, replace) -> None:
    """Connect an account step by step: the app's credentials, the consent address to open,
    the address your browser lands on pasted back, the exchange, and storage.

    The app must exist in the platform's developer portal with this redirect address. After
    approving, the browser may show an error page at the redirect address: that is expected;
    copy its whole address from the address bar.

    \b
    Examples:
      loa channel connect facebook --name fanpage --app-id 1234567890
      loa channel connect zalo --name zalo-oa --app-id 4321 --redirect-uri https://example.org/cb
      loa channel connect tiktok --name tiktok --client-key abc123
    """
    from content_queue import connecting

    redirect_uri = redirect_uri or oauth.AUTH[platform].default_redirect
    http = app.settings.http()
    label = CONNECTORS[platform].label
    key_name, secret_name = connecting.key_label(platform)
    tiktok_like = CONNECTORS[platform].app_keys[0] == "client_key"
    key = _ask(client_key if tiktok_like else app_id, _("{label} {what}", label=label, what=key_name))
    with app.session() as s:  # the name is checked before the officer goes to the platform
        connecting.check_name(s, app.campaign(s), platform, name, replace=replace)
    secret = _ask(client_secret if tiktok_like else app_secret, _("{label} {what}", label=label,
                                                                           what=secret_name), True)
    with app.session() as s:
        attempt = connecting.start(s, app.campaign(s), platform=platform, name=name, key=key, secret=secret,
                                   redirect_uri=redirect_uri, replace=replace)
    click.echo(_("\nOpen this address in a browser where you are logged in as the account's admin, and approve:"))
    click.secho(attempt.consent_url(http), fg="cyan")
    click.echo("")
    params = connecting.landed(attempt, _paste())
    creds = connecting.finish(attempt, params, http)
    if attempt.auth(http).picks_a_page and page_choice:
        creds = connecting.facebook_page(attempt, page_choice, http)  # or says which Pages there are
    elif isinstance(creds, list):  # a Facebook user with several Pages
        for i, p in enumerate(creds, 1):
            click.echo(f"  {i}. {p['name']} ({p['id']})")
        picked = creds[click.prompt(_("Which Page"), type=click.IntRange(1, len(creds))) - 1]
        creds = connecting.facebook_page(attempt, picked["id"], http)
    if attempt.pages:
        page = next(p for p in attempt.pages if str(p["id"]) == creds["page_id"])
        click.echo(_("Page: {get} ({id})", get=page.get("name", ""), id=page["id"]))
    with app.session() as s:
        c = connecting.save(s, app.campaign(s), attempt, creds)
        click.echo(_("Connected {platform} channel {name!r} (account {account_id}).",
                     platform=platform, name=c.name, account_id=c.account_id))
