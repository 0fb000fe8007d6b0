"""Per-platform budgets: wait instead of hitting the platform's wall.

Counted from the shared attempts log, so every worker on the same database sees the same budget:
TikTok allows 6 video inits a minute per account, Facebook 30 API-published Reels a day per Page,
and Facebook's usage headers say when an app or Page is close to its limit. A backlog (posts due
while the computer was off) goes out one post per channel at a time, spaced, never in a burst.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import select

from connectors import CONNECTORS
from content_queue.models import Attempt, Delivery, DeliveryState
from content_queue.i18n import _

if TYPE_CHECKING:
    from .items import Job

USAGE_CEILING = 95.0


@dataclass
class BudgetContext:
    """What the budgets need of the engine, and nothing more."""

    sessions: Any
    clock: Callable[[], datetime]
    policy: Any  # scheduler.engine.Policy: catch_up_after, catch_up_spacing
    running_since: Callable[[], datetime]  # since when some worker has run without a break


class Budgets:
    def __init__(self, ctx: BudgetContext) -> None:
        self.ctx = ctx
        self._usage_until = None  # Facebook said its limit is near: wait until then
        self._usage_level = 0.0

    def _publishes_since(self, s, channel_id: int, since) -> list:
        return list(s.scalars(select(Attempt.started_at).join(Delivery, Delivery.id == Attempt.delivery_id)
                              .where(Delivery.channel_id == channel_id, Attempt.action.in_(("publish", "handoff")),
                                     Attempt.started_at >= since).order_by(Attempt.started_at)))

    def wait_for(self, job: "Job") -> tuple[float, str] | None:
        """``(seconds, why)`` to wait before this delivery may be sent, or None."""
        now = self.ctx.clock()
        with self.ctx.sessions() as s:
            policy = self.ctx.policy
            if job.claimed_from is DeliveryState.scheduled and self._fell_due_while_off(job):
                recent = self._publishes_since(s, job.channel_id, now - policy.catch_up_spacing)
                if recent:
                    wait = (recent[-1] + policy.catch_up_spacing - now).total_seconds()
                    return max(wait, 1.0), _("catching up on posts missed while loa was off, one at a time")
            facts = CONNECTORS[job.platform]
            if facts.uploads_per_minute:
                recent = self._publishes_since(s, job.channel_id, now - timedelta(minutes=1))
                if len(recent) >= facts.uploads_per_minute - 1:
                    wait = (recent[0] + timedelta(minutes=1) - now).total_seconds()
                    return max(wait, 1.0), _("{platform} allows {count} uploads a minute per account",
                                              platform=facts.label, count=facts.uploads_per_minute)
            if facts.reels_per_day and job.item.route == "reel":
                day_ago = now - timedelta(hours=24)
                reels = list(s.scalars(select(Delivery.published_at).where(
                    Delivery.channel_id == job.channel_id, Delivery.state == DeliveryState.published,
                    Delivery.published_at >= day_ago,
                    Delivery.remote_state["route"].as_string() == "reel").order_by(Delivery.published_at)))
                if len(reels) >= facts.reels_per_day:
                    wait = (reels[0] + timedelta(hours=24) - now).total_seconds()
                    return max(wait, 60.0), _("{platform} allows {count} API-published Reels a day",
                                               platform=facts.label, count=facts.reels_per_day)
        return self.usage_wait(job.platform, now)

    def _fell_due_while_off(self, job: "Job") -> bool:
        """Due (by more than ``catch_up_after``) before the workers now running started: a post
        of the backlog. Posts that fell due while a worker ran, and retries, are not paced."""
        return job.due_at < self.ctx.running_since() - self.ctx.policy.catch_up_after

    def saw_usage(self, usage) -> None:
        """Facebook answered with its usage headers (called by the HTTP helper)."""
        if usage.highest >= USAGE_CEILING:
            self._usage_until = self.ctx.clock() + timedelta(seconds=usage.regain_seconds or 300.0)
            self._usage_level = usage.highest

    def usage_wait(self, platform: str, now) -> tuple[float, str] | None:
        """Facebook's usage near 100%: wait as long as Facebook says (or 5 minutes) from when it said so."""
        facts = CONNECTORS[platform]
        if not facts.usage_headers or self._usage_until is None or now >= self._usage_until:
            return None
        return ((self._usage_until - now).total_seconds(),
                _("{platform} reports that {level:.0f} percent of its call limit is used", platform=facts.label,
                  level=self._usage_level))
