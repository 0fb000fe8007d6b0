"""Channels: one account on one platform, with its credentials kept secret."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors import CONNECTORS, PLATFORMS
from connectors.credentials import OPTIONAL_KEYS, SECRET_KEYS, Secret, mask, split_credentials

from .errors import NotFound, UserError
from .lifecycle import IN_FLIGHT, NEEDS_OFFICER, RESCHEDULABLE, Action, Outcome, move
from .models import Campaign, Channel, ChannelHealth, Delivery, DeliveryState, Platform
from .text import nfc
from .i18n import N_, _

# What the officer reads for a channel's health (the codes stay for --json).
HEALTH_LABELS = {"ok": N_("ok"), "unknown": N_("not checked yet"), "degraded": N_("has warnings"),
                 "reconnect": N_("must be connected again")}


def health_label(health: str) -> str:
    return _(HEALTH_LABELS.get(str(getattr(health, "value", health)), str(health)))

def parse_instant(value: Any, key: str) -> datetime:
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise UserError(_("{key} {value!r} is not an ISO 8601 instant.", key=key, value=value),
                            fix=_("Write it like \"2026-01-31T08:00:00+07:00\".")) from None
    if dt.tzinfo is None:
        raise UserError(_("{key} {value!r} has no time zone.", key=key, value=value),
                        fix=_("Add the offset, like \"2026-01-31T08:00:00+07:00\" or a trailing Z."))
    return dt.astimezone(timezone.utc)


def check_settings(platform: str, settings: dict[str, Any]) -> dict[str, Any]:
    """A channel's settings, checked against what its platform takes."""
    problems = CONNECTORS[platform].settings_problems(settings)
    if problems:
        what, fix = problems[0]
        raise UserError(what, fix=fix)
    return settings


def credential_keys(platform: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(required, optional)`` credential keys of ``platform``'s channels."""
    c = CONNECTORS[platform]
    return c.required, c.extra + OPTIONAL_KEYS


def check_name(s: Session, campaign: Campaign, platform: str, name: str, *, replace: bool) -> str:
    """The channel's name, free (or, with ``replace``, naming a channel of that platform)."""
    if platform not in PLATFORMS:
        raise UserError(_("Unknown platform {platform!r}.", platform=platform),
                        fix=_("Use {names}.", names=", ".join(PLATFORMS)))
    name = nfc(name or "").strip()
    if not name:
        raise UserError(_("The channel needs a name."), fix=_("Give --name, e.g. --name fanpage-cax."),
                        web_fix=_("Give it a short name, e.g. fanpage-cax."))
    existing = s.scalar(select(Channel).where(Channel.campaign_id == campaign.id, Channel.name == name))
    if existing is not None and not replace:
        raise UserError(_("A channel named {name!r} already exists.", name=name),
                        fix=_("Choose another --name, or reconnect it with --replace."),
                        web_fix=_("Choose another name, or press “Reconnect” beside that channel."))
    if existing is not None and existing.platform.value != platform:
        raise UserError(_("Channel {name!r} is a {value} channel, not {platform}.",
                          name=name, value=existing.platform.value, platform=platform))
    return name


def add_channel(session: Session, campaign: Campaign, *, platform: str, name: str,
                credentials: dict[str, Any], settings: dict[str, Any] | None = None,
                replace: bool = False) -> Channel:
    """Add a channel; with ``replace``, give an existing channel of that name new credentials
    (reconnecting it), keeping its posts and history."""
    name = check_name(session, campaign, platform, name, replace=replace)
    facts = CONNECTORS[platform]
    existing = session.scalar(select(Channel).where(Channel.campaign_id == campaign.id, Channel.name == name))
    creds = split_credentials({k: v for k, v in credentials.items() if v not in (None, "")})
    required, optional = credential_keys(platform)
    unknown = sorted(set(creds) - set(required) - set(optional))
    if unknown:
        raise UserError(_("Unknown {platform} credential key(s): {names}.", platform=platform, names=', '.join(unknown)),
                        fix=_("Expected: {names}.", names=', '.join(required + optional)))
    missing = [k for k in required if not creds.get(k)]
    if missing:
        raise UserError(_("Missing {platform} credential(s): {names}.", platform=platform, names=', '.join(missing)),
                        fix=_("Give them as options or in --credentials FILE.json (see `loa channel add --help`)."))
    access_expires = parse_instant(creds.pop("expires_at"), "expires_at") if "expires_at" in creds else None
    refresh_expires = (parse_instant(creds.pop("refresh_expires_at"), "refresh_expires_at")
                       if "refresh_expires_at" in creds else None)
    settings = check_settings(platform, dict(settings or {}))
    if existing is not None:
        if str(creds[facts.account_key]) != existing.account_id:
            raise UserError(_("These credentials are for account {value}, but channel {name!r} is account "
                              "{account_id}.",
                              value=creds[facts.account_key], name=name, account_id=existing.account_id), fix=_("Add it as a new channel instead."))
        existing.set_credentials({k: v if isinstance(v, Secret) else str(v) for k, v in creds.items()})
        existing.credentials_version += 1
        existing.access_expires_at, existing.refresh_expires_at = access_expires, refresh_expires
        existing.settings = {**(existing.settings or {}), **settings}
        existing.health, existing.health_detail, existing.cooldown_until = ChannelHealth.unknown, "", None
        session.flush()
        return existing
    settings = {**facts.default_settings, **settings}
    channel = Channel(campaign_id=campaign.id, platform=Platform(platform), name=name,
                      account_id=str(creds[facts.account_key]), settings=settings,
                      access_expires_at=access_expires, refresh_expires_at=refresh_expires,
                      health=ChannelHealth.unknown)
    channel.set_credentials({k: v if isinstance(v, Secret) else str(v) for k, v in creds.items()})
    session.add(channel)
    session.flush()
    return channel


def list_channels(session: Session, campaign: Campaign) -> list[Channel]:
    return list(session.scalars(select(Channel).where(Channel.campaign_id == campaign.id).order_by(Channel.id)))


def get_channel(session: Session, campaign: Campaign, ref: str | int) -> Channel:
    q = select(Channel).where(Channel.campaign_id == campaign.id)
    ref_s = nfc(str(ref)).strip()
    ch = session.scalar(q.where(Channel.id == int(ref_s))) if ref_s.isdigit() else None
    ch = ch or session.scalar(q.where(Channel.name == ref_s))
    if ch is None:
        names = ", ".join(c.name for c in list_channels(session, campaign)) or _("none yet")
        raise NotFound(_("No channel {ref!r}.", ref=ref), fix=_("Channels: {names}.", names=names))
    return ch


def update_settings(session: Session, campaign: Campaign, ref: str, changes: dict[str, Any]) -> Channel:
    ch = get_channel(session, campaign, ref)
    merged = dict(ch.settings or {})
    merged.update({k: v for k, v in changes.items() if v is not None})
    ch.settings = check_settings(ch.platform.value, merged)
    return ch


def remove_channel(session: Session, campaign: Campaign, ref: str, *, force: bool = False) -> tuple[Channel, int]:
    """Remove a channel; with waiting deliveries only when ``force`` (they are cancelled first)."""
    ch = get_channel(session, campaign, ref)
    waiting = session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.channel_id == ch.id, Delivery.state.in_(RESCHEDULABLE)))
    busy = session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.channel_id == ch.id,
        Delivery.state.in_((*IN_FLIGHT, *NEEDS_OFFICER))))
    if busy:
        raise UserError(_("Channel {name!r} has {busy} delivery(ies) being published or awaiting a check.", name=ch.name, busy=busy),
                        fix=_("Wait until `loa status` shows them settled, then remove it."))
    if waiting and not force:
        raise UserError(_("Channel {name!r} still has {waiting} post(s) waiting to go out.", name=ch.name, waiting=waiting),
                        fix=_("Cancel them, or remove with --force to cancel them and keep their record."))
    if waiting or session.scalar(select(func.count()).select_from(Delivery).where(Delivery.channel_id == ch.id)):
        # Keep the history: a channel with deliveries is deactivated, not deleted.
        for d in session.scalars(select(Delivery).where(Delivery.channel_id == ch.id,
                                                         Delivery.state.in_(RESCHEDULABLE))):
            move(session, d, DeliveryState.cancelled, action=Action.cancel, outcome=Outcome.asked, worker="officer",
                 reason=_("channel removed"))
        ch.active = False
        ch.set_credentials({})
        ch.name = f"{ch.name} (removed {ch.id})"
    else:
        session.delete(ch)
    session.flush()
    return ch, waiting


def describe(ch: Channel, tz_show) -> dict[str, Any]:
    """A channel as listings show it: secrets masked, never revealed."""
    creds = ch.credentials
    return {
        "id": ch.id,
        "name": ch.name,
        "platform": ch.platform.value,
        "account_id": ch.account_id,
        "active": ch.active,
        "health": ch.health.value,
        "health_detail": ch.health_detail,
        "access_expires_at": tz_show(ch.access_expires_at),
        "refresh_expires_at": tz_show(ch.refresh_expires_at),
        "settings": ch.settings,
        "credentials": {k: (mask(v.reveal()) if k in SECRET_KEYS else v) for k, v in sorted(creds.items())},
    }


def seal_plain_rows(session) -> int:
    """Seal what an older loa left in plain text: channels' credentials, the SMTP password."""
    from .vault import is_sealed, seal

    n = 0
    for ch in session.scalars(select(Channel)):
        if ch.credentials_json and ch.credentials_json != "{}" and not is_sealed(ch.credentials_json):
            sealed = seal(ch.credentials_json)
            if sealed != ch.credentials_json:
                ch.credentials_json = sealed
                n += 1
    for c in session.scalars(select(Campaign)):
        cfg = dict(c.notify or {})
        if cfg.get("password") and not is_sealed(cfg["password"]):
            cfg["password"] = seal(cfg["password"])
            if is_sealed(cfg["password"]):
                c.notify = cfg
                n += 1
    return n
