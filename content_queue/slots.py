"""Posting slots: a rhythm written the way an officer says it, "tue,fri 19:00; sun 09:00", in the
campaign's time zone (a 19:00 slot stays at 19:00 local time across a change to or from summer
time). A channel's slots make its queue (``loa post add --next-slot``); a series has its own."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator

from .errors import UserError
from .i18n import _
from .timeutil import zone

DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
        # as Vietnamese calendars write them: thứ hai (t2) ... thứ bảy (t7), chủ nhật (cn)
        "t2": 0, "t3": 1, "t4": 2, "t5": 3, "t6": 4, "t7": 5, "cn": 6}
NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY = ("daily", "everyday", "hangngay")
_TIME = re.compile(r"^([01]?\d|2[0-3])(?::([0-5]\d)|h([0-5]\d)?)$")  # 19:00, 19h, 19h30


@dataclass(frozen=True)
class Rhythm:
    """Which weekdays at which local times."""

    slots: tuple[tuple[int, time], ...]  # (weekday, local time), sorted

    def __str__(self) -> str:
        by_time: dict[time, list[int]] = {}
        for day, t in self.slots:
            by_time.setdefault(t, []).append(day)
        parts = []
        for t, days in sorted(by_time.items(), key=lambda kv: (min(kv[1]), kv[0])):
            words = "daily" if len(days) == 7 else ",".join(NAMES[d] for d in sorted(days))
            parts.append(f"{words} {t:%H:%M}")
        return "; ".join(parts)


def parse(spec: str) -> Rhythm:
    """``"tue,fri 19:00; sun 09:00"`` (also ``t3,t6 19h``, ``daily 07:30``, several times a day:
    ``mon 07:00,19:00``), or a UserError saying what is wrong and how to write it."""
    found: set[tuple[int, time]] = set()
    for part in [p.strip() for p in (spec or "").replace("\n", ";").split(";") if p.strip()]:
        words = part.lower().split()
        if len(words) != 2:
            raise UserError(_("{part!r} is not a slot: write the days, then the time, e.g. \"tue,fri 19:00\".",
                              part=part))
        day_words, time_words = words
        days: set[int] = set()
        for d in day_words.split(","):
            d = d.strip().replace(".", "")
            if d in EVERY_DAY:
                days.update(range(7))
            elif d in DAYS:
                days.add(DAYS[d])
            else:
                raise UserError(_("{day!r} is not a day: use mon, tue, wed, thu, fri, sat, sun (or t2…t7, cn), or "
                                  "daily.", day=d))
        for t in time_words.split(","):
            m = _TIME.match(t.strip())
            if not m:
                raise UserError(_("{value!r} is not a time: write it like 19:00.", value=t))
            minute = int(m.group(2) or m.group(3) or 0)
            found.update((d, time(int(m.group(1)), minute)) for d in days)
    if not found:
        raise UserError(_("No slot given."), fix=_("Write them like \"tue,fri 19:00; sun 09:00\"."),
                        web_fix=_("Write them like “tue,fri 19:00; sun 09:00”."))
    return Rhythm(tuple(sorted(found)))


def times(rhythm: Rhythm, tz: str, after: datetime, until: date | None, limit: int = 2000) -> Iterator[datetime]:
    """The slots' instants (UTC) after ``after``, in order, up to the end of the day ``until`` (local),
    at most ``limit``. Each is the wall-clock time in ``tz`` on its day, summer time or not."""
    z = zone(tz)
    day = after.astimezone(z).date()
    count = 0
    while until is None or day <= until:
        for weekday, t in rhythm.slots:
            if weekday != day.weekday():
                continue
            local = datetime.combine(day, t, tzinfo=z)
            instant = local.astimezone(timezone.utc)
            if instant.astimezone(z).time() != t:  # a time the clocks skip (spring forward): an hour on
                instant = (local + timedelta(hours=1)).astimezone(timezone.utc)
            if instant > after:
                yield instant
                count += 1
                if count >= limit:
                    return
        day += timedelta(days=1)
        if until is None and count == 0 and (day - after.astimezone(z).date()).days > 8:
            return  # no slot in a whole week: nothing will come
