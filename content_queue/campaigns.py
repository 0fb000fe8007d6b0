"""Creating and reading the campaign a folder belongs to."""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound, UserError
from .i18n import LANGUAGES, _
from .models import Campaign
from .text import nfc, parse_hashtags
from .timeutil import zone


def slugify(name: str) -> str:
    """``"Không một mình"`` → ``"khong-mot-minh"`` (đ → d as Vietnamese readers expect)."""
    s = nfc(name).replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-zA-Z0-9]+", "-", s).strip("-").lower()
    return s[:80] or "campaign"


def create_campaign(session: Session, *, name: str, hashtags: str | list[str], tz: str,
                    message: str = "", starts_on: date | None = None, ends_on: date | None = None,
                    slug: str | None = None, language: str = "vi") -> Campaign:
    name = nfc(name).strip()
    if not name:
        raise UserError(_("The campaign needs a name."), fix=_("Give --campaign \"Tên chiến dịch\"."))
    zone(tz)
    if language not in LANGUAGES:
        raise UserError(_("loa speaks {names}, not {language!r}.", names=', '.join(LANGUAGES), language=language),
                        fix=_("Give --language {names}.", names=' or '.join(LANGUAGES)))
    if starts_on and ends_on and ends_on < starts_on:
        raise UserError(_("The campaign ends before it starts."), fix=_("Check --start and --end."))
    slug = slug or slugify(name)
    if session.scalar(select(Campaign).where(Campaign.slug == slug)) is not None:
        raise UserError(_("A campaign {slug!r} already exists in this database.", slug=slug),
                        fix=_("Choose another name, or use that campaign's folder."))
    campaign = Campaign(slug=slug, name=name, message=nfc(message), hashtags=" ".join(parse_hashtags(hashtags)),
                        timezone=tz, starts_on=starts_on, ends_on=ends_on, language=language)
    session.add(campaign)
    session.flush()
    return campaign


SETTABLE = ("name", "message", "hashtags", "timezone", "starts_on", "ends_on", "grace_minutes", "add_hashtags",
            "facebook_handoff", "guardian_age", "language", "approval", "help_line", "public_url", "keep_days")


def update_campaign(session: Session, campaign: Campaign, **changes) -> Campaign:
    """Change the campaign's details (only those given, not None), under the rules
    :func:`create_campaign` checks: a name, a real time zone, an end not before the start."""
    unknown = set(changes) - set(SETTABLE)
    if unknown:
        raise ValueError(f"not a campaign detail: {', '.join(sorted(unknown))}")
    changes = {k: v for k, v in changes.items() if v is not None}
    if "name" in changes:
        changes["name"] = nfc(changes["name"]).strip()
        if not changes["name"]:
            raise UserError(_("The campaign needs a name."), fix=_("Give --name \"Tên chiến dịch\"."),
                            web_fix=_("Fill in the campaign's name."))
    if "message" in changes:
        changes["message"] = nfc(changes["message"])
    if "hashtags" in changes:
        changes["hashtags"] = " ".join(parse_hashtags(changes["hashtags"]))
    if "timezone" in changes:
        zone(changes["timezone"])
    if "language" in changes and changes["language"] not in LANGUAGES:
        raise UserError(_("loa speaks {names}, not {language!r}.", names=', '.join(LANGUAGES), language=changes['language']),
                        fix=_("Give --language {names}.", names=' or '.join(LANGUAGES)))
    if "approval" in changes and changes["approval"] not in ("required", "off"):
        raise UserError(_("Approval is required or off, not {value!r}.", value=changes["approval"]),
                        fix=_("Give --approval required or --approval off."))
    if "help_line" in changes:
        changes["help_line"] = nfc(changes["help_line"]).strip()[:300]
    if "public_url" in changes:
        changes["public_url"] = check_public_url(changes["public_url"])
    starts, ends = changes.get("starts_on", campaign.starts_on), changes.get("ends_on", campaign.ends_on)
    if starts and ends and ends < starts:
        raise UserError(_("The campaign would end before it starts."), fix=_("Check --start and --end."),
                        web_fix=_("Check the first and the last day."))
    if not 0 <= changes.get("keep_days", 0) <= 3650:
        raise UserError(_("What people sent is kept 0 to 3650 days after the campaign's end."),
                        web_fix=_("Write a number of days from 0 to 3650."))
    if changes.get("grace_minutes", 0) < 0 or not 0 <= changes.get("guardian_age", 0) <= 30:
        raise UserError(_("The grace window is minutes from 0, and the guardian age a number of years up to 30."))
    for key, value in changes.items():
        setattr(campaign, key, value)
    session.flush()
    return campaign


def check_public_url(value: str) -> str:
    """The campaign's public address: http(s)://host[:port][/path], without a query; "" for none."""
    from urllib.parse import urlsplit

    value = (value or "").strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise UserError(_("{value!r} is not a web address people can open.", value=value),
                        fix=_("Give it like https://loa.congan-xa.example (http:// only on an office network)."),
                        web_fix=_("Write it like https://loa.congan-xa.example (http:// only on an office network)."))
    return value


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8800"  # `loa serve`'s own address, when none is given


def portal_token(s: Session, campaign: Campaign) -> str:
    """The unguessable token of the campaign's upload link, made on first use."""
    import secrets

    if not campaign.portal_token:
        campaign.portal_token = secrets.token_urlsafe(16)
        s.flush()
    return campaign.portal_token


def portal_link(s: Session, campaign: Campaign, public_url: str = "") -> str:
    """The campaign's upload link, ``<public address>/c/<token>``."""
    base = check_public_url(public_url) or campaign.public_url or DEFAULT_PUBLIC_URL
    return f"{base}/c/{portal_token(s, campaign)}"


def get_campaign(session: Session, slug: str) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise NotFound(_("The campaign {slug!r} is not in the database.", slug=slug),
                       fix=_("Run `loa init` in this folder, or check LOA_DATABASE_URL."))
    return campaign
