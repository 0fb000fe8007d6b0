"""Connecting an account through its platform's consent screen: the one flow behind
`loa channel connect` and the workspace's Kênh page.

1. :func:`start` checks what the officer gave (the channel's name, the app's key and secret)
   and makes an :class:`Attempt` with a fresh ``state`` (and a PKCE pair for Zalo and TikTok);
   :meth:`Attempt.consent_url` is the address to open.
2. The platform sends the browser back to the redirect address; :func:`landed` reads that
   address's parameters (a refusal, a missing code, another attempt's state: each a clear error).
3. :func:`finish` exchanges the code for the account's tokens. A Facebook user may manage several
   Pages: then it returns them to choose from, and :func:`facebook_page` completes with the one
   chosen.
4. :func:`save` stores the channel (a new one, or the same account reconnected).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from connectors import CONNECTORS, oauth
from connectors.credentials import Secret
from connectors.errors import ConnectorError
from connectors.http import Http

from .channels import add_channel, check_name
from .errors import UserError
from .i18n import N_, _
from .models import Campaign, Channel

# What the developer portals call the app's key and secret (each platform's names are on its connector).
KEY_LABELS = {"app_id": N_("App ID"), "app_secret": N_("App secret"), "client_key": N_("Client key"),
              "client_secret": N_("Client secret")}


@dataclass(repr=False)
class Attempt:
    """One connection under way. Its secret stays a :class:`Secret` (never printed)."""

    platform: str
    name: str
    key: str
    secret: Secret
    redirect_uri: str
    replace: bool = False
    state: str = field(default_factory=lambda: oauth.new_state())
    verifier: str = ""
    challenge: str = ""
    user_token: Secret | None = None  # Facebook, between the exchange and the choice of a Page
    pages: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        auth = oauth.AUTH[self.platform]
        if auth.pkce and not self.verifier:
            self.verifier, self.challenge = oauth.pkce(auth.challenge_encoding(self.redirect_uri))

    def __repr__(self) -> str:
        return f"Attempt({self.platform!r}, {self.name!r}, state={self.state[:4]}…)"

    def auth(self, http: Http):
        return oauth.AUTH[self.platform](self.key, self.secret.reveal(), self.redirect_uri, http)

    def consent_url(self, http: Http) -> str:
        """The platform's consent screen (through ``http``'s base, so a rehearsal opens the sandbox's)."""
        return http.url(self.auth(http).consent_url(self.state, self.challenge))


def key_label(platform: str) -> tuple[str, str]:
    """What the platform's developer portal calls the app's key and secret."""
    key, secret = CONNECTORS[platform].app_keys
    return _(KEY_LABELS[key]), _(KEY_LABELS[secret])


def start(s: Session, campaign: Campaign, *, platform: str, name: str, key: str, secret: str | Secret,
          redirect_uri: str, replace: bool = False) -> Attempt:
    """A new attempt, once the name is free and the app's key and secret are given."""
    name = check_name(s, campaign, platform, name, replace=replace)
    key = (key or "").strip()
    secret = Secret(secret.reveal() if isinstance(secret, Secret) else (secret or "").strip())
    key_name, secret_name = key_label(platform)
    label = CONNECTORS[platform].label
    if not key:
        raise UserError(_("The {platform} app's {what} is missing.", platform=label, what=key_name),
                        fix=_("Copy it from the app's page in the platform's developer portal."))
    if not secret:
        raise UserError(_("The {platform} app's {what} is missing.", platform=label, what=secret_name),
                        fix=_("Copy it from the app's page in the platform's developer portal."))
    problem = oauth.AUTH[platform].redirect_problem(redirect_uri)
    if problem:
        raise UserError(problem[0], fix=problem[1])
    return Attempt(platform, name, key, secret, redirect_uri, replace=replace)


def reconnect(s: Session, campaign: Campaign, channel: Channel, *, redirect_uri: str) -> Attempt:
    """An attempt to reconnect ``channel`` with the app it was connected with."""
    key_name, secret_name = CONNECTORS[channel.platform.value].app_keys
    creds = channel.credentials
    key, secret = creds.get(key_name), creds.get(secret_name)
    if not key or not secret:
        raise UserError(_("Channel {name!r} was added without its app's credentials, so it cannot be reconnected "
                          "from here.", name=channel.name),
                        fix=_("Connect it again with `loa channel connect --replace` and the app's key and "
                              "secret."),
                        web_fix=_("Connect it again in the form below: the same name, the app's key and secret, "
                                  "and “Reconnect the channel of this name” ticked."))
    return start(s, campaign, platform=channel.platform.value, name=channel.name, key=str(key),
                 secret=secret if isinstance(secret, Secret) else str(secret), redirect_uri=redirect_uri,
                 replace=True)


def landed(attempt: Attempt | None, params: dict[str, str]) -> dict[str, str]:
    """The parameters of the address the platform sent the browser back to, checked."""
    if attempt is None:
        raise UserError(_("This connection attempt is unknown or has expired."),
                        fix=_("Start the connection again; finish it within 30 minutes."))
    if params.get("error") or params.get("error_code"):
        raise UserError(_("The platform did not give access: {reason}.",
                          reason=params.get("error_description") or params.get("error_reason")
                          or params.get("error") or params.get("error_code")),
                        fix=_("Connect again and allow every permission loa asks for."))
    if not params.get("code"):
        raise UserError(_("That address has no code in it."),
                        fix=_("Approve the request in the browser first, then paste the address it ends on."))
    if params.get("state") and params["state"] != attempt.state:
        raise UserError(_("That address belongs to another connection attempt (its state does not match)."),
                        fix=_("Run `loa channel connect` again and use the new address."),
                        web_fix=_("Start the connection again from the Channels page."))
    return params


def _refused(exc: ConnectorError) -> UserError:
    return UserError(str(exc), fix=_("Check the app's credentials and redirect address, then try again."))


def finish(attempt: Attempt, params: dict[str, str], http: Http) -> dict[str, Any] | list[dict[str, Any]]:
    """The account's credentials, or (Facebook, several Pages) the Pages to choose from."""
    auth = attempt.auth(http)
    try:
        if not auth.picks_a_page:
            return auth.exchange(params, attempt.verifier)
        user_token = auth.exchange(params["code"])
        pages = auth.pages(user_token)
    except ConnectorError as exc:
        raise _refused(exc) from None
    if not pages:
        raise UserError(_("This Facebook account manages no Page."),
                        fix=_("Log in as a Page admin, or ask for the Page role, then connect again."))
    attempt.user_token = Secret(user_token)
    attempt.pages = pages
    if len(pages) == 1:
        return auth.credentials(user_token, pages[0])
    return [{"id": str(p["id"]), "name": p.get("name", "")} for p in pages]


def facebook_page(attempt: Attempt, choice: str, http: Http) -> dict[str, Any]:
    """The credentials of the Page ``choice`` (its id or name) among the attempt's."""
    picked = [p for p in attempt.pages if choice in (str(p["id"]), p.get("name"))]
    if not picked or attempt.user_token is None:
        raise UserError(_("No Page {choice!r} among: {names}.", choice=choice,
                          names=", ".join(p.get("name", p["id"]) for p in attempt.pages)))
    return attempt.auth(http).credentials(attempt.user_token.reveal(), picked[0])


def save(s: Session, campaign: Campaign, attempt: Attempt, credentials: dict[str, Any]) -> Channel:
    return add_channel(s, campaign, platform=attempt.platform, name=attempt.name, credentials=credentials,
                       replace=attempt.replace)
