"""A published item's numbers, as each platform gives them: one reading per metric, with its value
or *unavailable* and why. Never 0 for a number the platform did not give.

The metrics loa reports (the same names on every platform): ``views``, ``reach`` (unique viewers),
``reactions`` (or likes), ``comments``, ``shares``, and for videos ``plays`` and
``avg_watch_seconds``. Each platform's own metric names live on its connector, in one table each
(facts from ../../shared/design/platform-apis.md, "Reading a published post's numbers")."""
from __future__ import annotations

from dataclasses import dataclass, field

from .text import _

METRICS = ("views", "reach", "reactions", "comments", "shares", "plays", "avg_watch_seconds")

# Why a number is unavailable: the code (stored, for --json) and what the officer reads.
REASONS = {
    "not_offered": _("the platform does not give this number for this kind of post"),
    "small_page": _("the platform gives no numbers for this page yet (Facebook: Pages under 100 likes get none; "
                     "numbers come within a day)"),
    "permission": _("loa was not allowed to read numbers: connect the channel again and allow reading statistics"),
    "in_review": _("the platform is still reviewing the video; its numbers come after"),
    "retired": _("the platform no longer offers this number"),
    "not_found": _("the platform did not find the post (deleted or hidden?)"),
    "not_read": _("the numbers could not be read this time; loa reads again later"),
    "field_missing": _("the platform's answer did not include this number"),
}


@dataclass
class Reading:
    metric: str
    value: float | None = None
    reason: str = ""  # a REASONS code when value is None
    source: str = ""  # the platform's own name for it (e.g. post_media_view)

    @property
    def available(self) -> bool:
        return self.value is not None


@dataclass
class Numbers:
    """One reading of a published item: every metric, given or unavailable with its reason."""

    readings: dict[str, Reading] = field(default_factory=dict)
    # What the read learnt about the item itself (TikTok's public post id, given after moderation):
    # ``post_id`` and ``url``, kept on the delivery by the engine.
    learned: dict[str, str] = field(default_factory=dict)

    def give(self, metric: str, value, source: str = "") -> None:
        self.readings[metric] = Reading(metric, float(value), "", source)

    def lack(self, metric: str, reason: str, source: str = "") -> None:
        if metric not in self.readings or not self.readings[metric].available:
            self.readings[metric] = Reading(metric, None, reason, source)

    def complete(self, reason: str = "not_offered") -> "Numbers":
        """Every metric not read is unavailable (``reason``): nothing is left silently empty."""
        for m in METRICS:
            if m not in self.readings:
                self.readings[m] = Reading(m, None, reason)
        return self

    def value(self, metric: str) -> float | None:
        r = self.readings.get(metric)
        return r.value if r is not None else None


def number(value) -> float | None:
    """A count from an answer: a number (or a numeric string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
        return float(value)
    return None
