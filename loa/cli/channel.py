"""`loa channel`: the campaign's accounts on Facebook, Zalo and TikTok."""
from __future__ import annotations

import json
from pathlib import Path

import click

from connectors import CONNECTORS, PLATFORMS
from connectors.credentials import OPTIONAL_KEYS, SECRET_KEYS
from content_queue.errors import UserError

from .app import App, emit_json, is_interactive, lazy, pass_app, table
from .language import Deferred, LoaGroup
from content_queue.i18n import N_, _

ch = lazy("content_queue.channels")

# What each credential key is; which platform takes it comes from the connector classes.
KEY_MEANING = {
    "page_id": N_("the Page's id"), "oa_id": N_("the Official Account's id"), "app_id": N_("the app's id"),
    "app_secret": N_("the app's secret"), "client_key": N_("the app's client key"),
    "client_secret": N_("the app's client secret"), "open_id": N_("the account's open_id"),
    "access_token": N_("the access token (Facebook: the Page token)"), "refresh_token": N_("the refresh token"),
    "user_token": N_("a long-lived user token, to fetch a new Page token"),
    "expires_at": N_("when the access token expires, ISO 8601 (e.g. 2025-10-21T08:00:00+07:00)"),
    "refresh_expires_at": N_("when the refresh token expires, ISO 8601"),
}
# The channel settings the command line offers (each platform's full list is on its connector).
SETTING_HELP = {"mode": N_("direct: publish; inbox: a draft the person posts in the app"),
                "cover_url": N_("default cover photo (a public web address) for articles"),
                "author": N_("who signs the articles (Zalo requires one; the OA's name when not set)")}


def _keys() -> list[str]:
    keys: list[str] = []
    for c in CONNECTORS.values():
        keys += [k for k in c.required + c.extra if k not in keys]
    return keys + [k for k in OPTIONAL_KEYS if k not in keys]


COVER_PICTURE_HELP = N_("Zalo: a picture of your own as the articles' cover (loa makes it a JPEG under 1 MB and "
                        "serves it at the campaign's public address for Zalo to fetch)")


def _who(pred) -> str:
    return ", ".join(c.label for c in CONNECTORS.values() if pred(c)) or _("all")


def _keys_epilog() -> str:
    lines = ["\b", _("Keys (the platforms' own names):")]
    for c in CONNECTORS.values():
        extra = _(" (optional {keys})", keys=", ".join(c.extra)) if c.extra else ""
        lines.append(f"  {c.platform:9} {', '.join(c.required)}{extra}")
    lines.append(f"  {_('all'):9} " + _("optional {keys} (ISO 8601 instants)", keys=", ".join(OPTIONAL_KEYS)))
    return "\n".join(lines)


def _setting_options(f):
    for key in reversed(list(SETTING_HELP)):
        owners = [c for c in CONNECTORS.values() if key in c.settings_keys]
        choices = next((c.setting_choices[key] for c in owners if key in c.setting_choices), None)
        f = click.option("--" + key.replace("_", "-"), key, type=click.Choice(choices) if choices else None,
                         help=Deferred(lambda key=key, owners=owners: f"{', '.join(c.label for c in owners)}: "
                                                                       f"{_(SETTING_HELP[key])}."))(f)
    return f


@click.group(cls=LoaGroup)
def channel() -> None:
    """The campaign's accounts: a Facebook Page, a Zalo OA, a TikTok account."""


def _read_credentials(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(_("Cannot read {path}: {strerror}.", path=path, strerror=exc.strerror)) from None
    except json.JSONDecodeError as exc:
        raise UserError(_("{path} is not valid JSON (line {lineno}).", path=path, lineno=exc.lineno), fix=_("Check quotes and commas.")) from None
    if not isinstance(data, dict):
        raise UserError(_("{path} must hold one JSON object of credentials.", path=path))
    return data


def _credential_options(f):
    for key in reversed(_keys()):
        def meaning(key=key) -> str:
            who = _("all") if key in OPTIONAL_KEYS else _who(lambda c: key in c.required + c.extra)
            return f"{who}: {_(KEY_MEANING[key]) if key in KEY_MEANING else key}."

        f = click.option("--" + key.replace("_", "-"), key, help=Deferred(meaning))(f)
    return f


@channel.command("add", epilog=Deferred(_keys_epilog))
@click.argument("platform", type=click.Choice(PLATFORMS))
@click.option("--name", required=True, help="A short name for the channel, e.g. fanpage-cax.")
@click.option("--credentials", "credentials_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A JSON file with the platform's own key names (see below).")
@_credential_options
@_setting_options
@click.option("--replace", is_flag=True, help="Reconnect an existing channel of this name with new credentials.")
@pass_app
def add(app: App, platform: str, name: str, credentials_file: Path | None, mode, cover_url, author,
        replace, **options) -> None:
    """Add an account. Credentials come from --credentials FILE.json, from options, or,
    when typed at a terminal, from hidden prompts for what is missing.


    \b
    Examples:
      loa channel add facebook --name fanpage --credentials fb.json
      loa channel add tiktok --name tiktok-doan --credentials tt.json --mode inbox
      loa channel add zalo --name zalo-oa --credentials zalo.json --cover-url https://.../cover.jpg
      loa channel add zalo --name zalo-oa --credentials zalo-new.json --replace   # reconnect

    Secrets are stored in the campaign's database (readable by you only) and never printed.
    Prefer a file or the prompts to options: options stay in the shell's history.
    """
    creds: dict = _read_credentials(credentials_file) if credentials_file else {}
    creds.update({k: v for k, v in options.items() if v})
    wanted, optional = ch.credential_keys(platform)
    missing = [k for k in wanted if not creds.get(k)]
    if missing and is_interactive():
        for key in missing:
            creds[key] = click.prompt(key, hide_input=key in SECRET_KEYS)
    settings = {k: v for k, v in {"mode": mode, "cover_url": cover_url,
                                  "author": author}.items() if v}
    irrelevant = set(settings) - CONNECTORS[platform].settings_keys
    if irrelevant:
        raise UserError(_("--{replace} does not apply to {platform}.", replace=sorted(irrelevant)[0].replace('_', '-'), platform=platform))
    wrong = sorted(k for k, v in options.items() if v and k not in wanted and k not in optional)
    if wrong:
        raise UserError(_("--{replace} does not apply to {platform}.", replace=wrong[0].replace('_', '-'), platform=platform),
                        fix=_("{platform} takes: {names}.", platform=platform, names=', '.join(wanted)))
    with app.session() as s:
        c = ch.add_channel(s, app.campaign(s), platform=platform, name=name, credentials=creds, settings=settings,
                           replace=replace)
        said = (_("Reconnected {platform} channel {name!r} (id {id}, account {account_id}).", platform=platform,
                  name=c.name, id=c.id, account_id=c.account_id) if replace else
                _("Added {platform} channel {name!r} (id {id}, account {account_id}).", platform=platform,
                  name=c.name, id=c.id, account_id=c.account_id))
        click.echo(said)
        if replace:
            click.echo(_("Posts that failed for want of credentials go again with: loa retry --all-failed "
                         "--channel {name}", name=c.name))


@channel.command("check")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@pass_app
def check(app: App, name: str, as_json: bool) -> None:
    """Check that a channel can go live: harmless reads of the platform, nothing posted. Facebook:
    the permissions granted and the Graph API version's life; Zalo: the OA, its verification and
    package, who signs the articles; TikTok: whom the app may post to (audited or not), the
    longest video; every platform: the tokens' life. Exit status 1 when a condition is not met.

    \b
    Examples:
      loa channel check fanpage
      loa channel check tiktok --json
    """
    from scheduler.maintenance import mark, said

    with app.session() as s:
        channel_id = ch.get_channel(s, app.campaign(s), name).id
    rows = said(app.engine().check_channel(channel_id))
    if as_json:
        emit_json(rows)
    else:
        for r in rows:
            click.echo(f"{mark(r['met']):>12}  {r['found']}")
            if r["fix"]:
                click.echo(f"{'':>12}  → {r['fix']}")
    if any(r["met"] is not True for r in rows):
        raise SystemExit(1)


@channel.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """List the channels, their health and token expiries (secrets masked).

    \b
    Example:
      loa channel list --json
    """
    with app.session() as s:
        campaign = app.campaign(s)
        fmt = app.iso_time(campaign) if as_json else app.show_time(campaign)
        rows = [ch.describe(c, fmt) for c in ch.list_channels(s, campaign)]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo(_("No channels yet. Add one with `loa channel add --help`."))
        return
    from content_queue.channels import health_label

    click.echo(table([[str(r["id"]), r["name"], r["platform"], r["account_id"],
                       health_label(r["health"]) if r["active"] else _("removed"),
                       r["access_expires_at"] or "-", ", ".join(f"{k}={v}" for k, v in r["credentials"].items()
                                                        if k in SECRET_KEYS)] for r in rows],
                     [_("ID"), _("NAME"), _("PLATFORM"), _("ACCOUNT"), _("HEALTH"), _("TOKEN EXPIRES"), _("SECRETS")]))


@channel.command("set")
@click.argument("name")
@_setting_options
@click.option("--cover-picture", "cover_picture", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=Deferred(lambda: _(COVER_PICTURE_HELP)))
@pass_app
def set_(app: App, name: str, cover_url, mode, author, cover_picture: Path | None) -> None:
    """Change a channel's settings.

    \b
    Examples:
      loa channel set zalo-oa --cover-url https://example.org/bia.jpg
      loa channel set zalo-oa --cover-picture bia-chien-dich.png
      loa channel set zalo-oa --author "Công an xã Kon Chiêng"
      loa channel set tiktok-doan --mode inbox     # until TikTok audits the app
    """
    with app.session() as s:
        if cover_picture is not None:
            if cover_url:
                raise UserError(_("Give --cover-url or --cover-picture, not both."))
            from content_queue.covers import make_cover

            cover_url = make_cover(s, app.campaign(s), cover_picture, app.folder.media_dir)
        c = ch.update_settings(s, app.campaign(s), name,
                               {"cover_url": cover_url, "mode": mode,
                                "author": author})
        click.echo(_("Channel {name!r}: {dumps}", name=c.name, dumps=json.dumps(c.settings, ensure_ascii=False)))


@channel.command("slots")
@click.argument("name")
@click.argument("spec", required=False)
@pass_app
def slots(app: App, name: str, spec: str | None) -> None:
    """Show or set a channel's posting slots, in the campaign's time zone: the queue that
    `loa post add --next-slot` fills (give "" to clear them).

    
    Examples:
      loa channel slots fanpage "tue,fri 19:00; sun 09:00"
      loa channel slots zalo-oa "t2,t4,t6 07:30"
      loa channel slots fanpage
    """
    from content_queue import queue as Q
    from content_queue import slots as SL

    with app.session() as s:
        campaign = app.campaign(s)
        c = ch.get_channel(s, campaign, name)
        if spec is not None:
            Q.set_slots(s, campaign, c, spec)
        show = app.show_time(campaign)
        if not c.slots:
            click.echo(_("Channel {name!r} has no posting slots.", name=c.name))
            return
        upcoming = list(SL.times(SL.parse(c.slots), campaign.timezone, app.now(), campaign.ends_on, limit=4))
        click.echo(_("Channel {name!r}: slots {slots} ({tz}).", name=c.name, slots=c.slots, tz=campaign.timezone))
        click.echo(_("Next: {times}.", times=", ".join(show(t) for t in upcoming) or "-"))


@channel.command("remove")
@click.argument("name")
@click.option("--force", is_flag=True, help="Also cancel the posts still waiting for this channel.")
@pass_app
def remove(app: App, name: str, force: bool) -> None:
    """Remove a channel. Its history stays in the reports; its credentials are erased.

    \b
    Example:
      loa channel remove tiktok-test --force
    """
    with app.session() as s:
        c, cancelled = ch.remove_channel(s, app.campaign(s), name, force=force)
    extra = _("; {count} waiting delivery(ies) cancelled", count=cancelled) if cancelled else ""
    click.echo(_("Removed channel {name!r}{extra}.", name=name, extra=extra))
