"""Times as the officer types and reads them (campaign time zone) and as they are stored (UTC)."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import UserError
from .i18n import N_, _

_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M",  # how dates are written in Vietnam: 20/10/2025 08:00
    "%d/%m/%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
)
HELP = N_('Write it as "2025-10-20 08:00" or "20/10/2025 08:00" (campaign time), or ISO 8601 with an offset.')


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            _("Unknown time zone {name!r}.", name=name), fix=_("Use an IANA name such as Asia/Ho_Chi_Minh.")
        ) from None


def parse_when(text: str, tz: str) -> datetime:
    """Parse a time typed by the officer; naive times are in the campaign's zone. Returns UTC."""
    s = " ".join(str(text).strip().split())
    if not s:
        raise UserError(_("No time given."), fix=_(HELP))
    iso = re.sub(r"Z$", "+00:00", s)
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        dt = None
        for fmt in _FORMATS:
            try:
                dt = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
    if dt is None:
        raise UserError(_("Cannot read the time {text!r}.", text=text), fix=_(HELP))
    if dt.tzinfo is None:
        local = dt.replace(tzinfo=zone(tz))
        # A wall time skipped by a daylight-saving jump does not exist: refuse it.
        back = local.astimezone(timezone.utc).astimezone(zone(tz))
        if back.replace(tzinfo=None) != dt:
            raise UserError(_("{text!r} does not exist in {tz} (clocks jump over it).", text=text, tz=tz), fix=_(HELP))
        dt = local
    return dt.astimezone(timezone.utc)


def show(dt: datetime | None, tz: str, *, seconds: bool = False) -> str:
    """An instant as the officer reads it: ``2025-10-20 08:00`` in the campaign's zone."""
    if dt is None:
        return "-"
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return dt.astimezone(zone(tz)).strftime(fmt)


def local(dt: datetime | None, tz, *, seconds: bool = False) -> str:
    """An instant as the workspace and the report show it, in Vietnamese order: ``20/10/2025 19:00``
    in the zone ``tz`` (a name or a tzinfo); empty for none."""
    if dt is None:
        return ""
    return dt.astimezone(zone(tz) if isinstance(tz, str) else tz).strftime(
        "%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def iso(dt: datetime | None, tz: str) -> str | None:
    """ISO 8601 with the campaign's offset, for --json output."""
    return None if dt is None else dt.astimezone(zone(tz)).isoformat()
