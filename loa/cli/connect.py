"""`loa channel connect`: walk the officer through connecting an account."""
from __future__ import annotations

import click

from connectors import CONNECTORS, PLATFORMS, FacebookConnector, ZaloConnector, oauth
from connectors.errors import ConnectorError
from connectors.http import Http
from content_queue.errors import UserError

from .app import App, lazy, pass_app
from .language import LoaCommand
from content_queue.i18n import _

ch = lazy("content_queue.channels")

DEFAULT_REDIRECT = "https://localhost/loa-callback"


def _ask(value: str | None, prompt: str, secret: bool = False) -> str:
    return value or click.prompt(prompt, hide_input=secret)


def _paste(state: str) -> dict[str, str]:
    pasted = click.prompt(_("Paste the whole address your browser was sent to (or just the code)"))
    params = oauth.code_from(pasted)
    if not params.get("code"):
        raise UserError(_("That address has no code in it."),
                        fix=_("Approve the request in the browser first, then paste the address it ends on."))
    if params.get("state") and params["state"] != state:
        raise UserError(_("That address belongs to another connection attempt (its state does not match)."),
                        fix=_("Run `loa channel connect` again and use the new address."))
    return params


@click.command("connect", cls=LoaCommand)
@click.argument("platform", type=click.Choice(PLATFORMS))
@click.option("--name", required=True, help="A short name for the channel.")
@click.option("--app-id", help="Facebook or Zalo: the app's id (from the developer portal).")
@click.option("--app-secret", help="Facebook or Zalo: the app's secret (asked for, hidden, if not given).")
@click.option("--client-key", help="TikTok: the app's client key.")
@click.option("--client-secret", help="TikTok: the app's client secret (asked for, hidden, if not given).")
@click.option("--redirect-uri", default=DEFAULT_REDIRECT, show_default=True,
              help="The redirect address registered for the app.")
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
    http = app.settings.http()
    state = oauth.new_state()
    try:
        label = CONNECTORS[platform].label
        if platform == FacebookConnector.platform:  # Facebook's Login dialog, then the Pages the user manages
            creds = _facebook(http, state, _ask(app_id, _("{label} app id", label=label)), _ask(app_secret, _("{label} app secret", label=label), True),
                              redirect_uri, page_choice)
        elif platform == ZaloConnector.platform:  # PKCE, with an app id and secret
            creds = _with_pkce(oauth.ZaloAuth(_ask(app_id, _("{label} app id", label=label)), _ask(app_secret, _("{label} app secret", label=label),
                                                                                    True), redirect_uri, http), state)
        else:  # PKCE, with a client key and secret
            creds = _with_pkce(oauth.TikTokAuth(_ask(client_key, _("{label} client key", label=label)),
                                                _ask(client_secret, _("{label} client secret", label=label), True), redirect_uri, http),
                               state)
    except ConnectorError as exc:
        raise UserError(str(exc), fix=_("Check the app's credentials and redirect address, then try again.")) from None
    with app.session() as s:
        c = ch.add_channel(s, app.campaign(s), platform=platform, name=name, credentials=creds, replace=replace)
        click.echo(_("Connected {platform} channel {name!r} (account {account_id}).",
                     platform=platform, name=c.name, account_id=c.account_id))


def _show_consent(url: str, http: Http) -> None:
    click.echo(_("\nOpen this address in a browser where you are logged in as the account's admin, and approve:"))
    click.secho(http.url(url), fg="cyan")
    click.echo("")


def _facebook(http: Http, state: str, app_id: str, app_secret: str, redirect_uri: str, choice: str | None) -> dict:
    auth = oauth.FacebookAuth(app_id, app_secret, redirect_uri, http)
    _show_consent(auth.consent_url(state), http)
    params = _paste(state)
    user_token = auth.exchange(params["code"])
    pages = auth.pages(user_token)
    if not pages:
        raise UserError(_("This Facebook account manages no Page."),
                        fix=_("Log in as a Page admin, or ask for the Page role, then connect again."))
    if choice:
        picked = [p for p in pages if choice in (str(p["id"]), p.get("name"))]
        if not picked:
            raise UserError(_("No Page {choice!r} among: {names}.", choice=choice, names=', '.join(p.get('name', p['id']) for p in pages)))
        page = picked[0]
    elif len(pages) == 1:
        page = pages[0]
    else:
        for i, p in enumerate(pages, 1):
            click.echo(f"  {i}. {p.get('name', '')} ({p['id']})")
        page = pages[click.prompt(_("Which Page"), type=click.IntRange(1, len(pages))) - 1]
    click.echo(_("Page: {get} ({id})", get=page.get('name', ''), id=page['id']))
    return auth.credentials(user_token, page)


def _with_pkce(auth, state: str) -> dict:
    verifier, challenge = oauth.pkce()
    _show_consent(auth.consent_url(state, challenge), auth.http)
    return auth.exchange(_paste(state), verifier)
