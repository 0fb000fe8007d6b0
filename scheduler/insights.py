"""Reading the published deliveries' numbers (views, reach, reactions, ...) on time: a few times in
their first three days, then daily until the campaign has ended two weeks ago. Each reading is
stored as dated rows (``readings``), one per metric, a value or unavailable with its reason. A read
that fails is recorded as "not read this time" and never touches the delivery's state."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import func, select

from connectors.errors import ConnectorError, RetryLater
from connectors.insights import METRICS
from content_queue.models import Campaign, Channel, Delivery, DeliveryState, Post, Reading

log = logging.getLogger("loa.scheduler")

EARLY = (timedelta(hours=2), timedelta(hours=12), timedelta(days=1), timedelta(days=2), timedelta(days=3))
DAILY = timedelta(days=1)
AFTER_THE_END = timedelta(days=14)


def next_reading(published_at: datetime, last_read: datetime | None, ends_on: date | None) -> datetime | None:
    """When a delivery published at ``published_at`` should next be read, given its last reading;
    None once the campaign ended more than two weeks ago."""
    if last_read is None:
        due = published_at + EARLY[0]
    else:
        age = last_read - published_at
        early = [published_at + step for step in EARLY if step > age + timedelta(minutes=1)]
        due = early[0] if early else last_read + DAILY
    if ends_on is not None:
        stop = datetime(ends_on.year, ends_on.month, ends_on.day, tzinfo=timezone.utc) + AFTER_THE_END
        if due > stop:
            return None
    return due


class Insights:
    """The engine's part that reads numbers (mixed into :class:`scheduler.engine.Engine`)."""

    def read_numbers(self, *, delivery_ids: list[int] | None = None, post_id: int | None = None,
                     due_only: bool = False, progress: Callable[[int], None] | None = None) -> dict[str, int]:
        """Read and store the numbers of published deliveries (those given, a post's, or, with
        ``due_only``, those whose time to be read has come). Returns counts of what happened."""
        now = self.clock()
        with self.sessions() as s:
            q = (select(Delivery.id, Delivery.published_at, Campaign.ends_on, Channel.platform,
                        func.max(Reading.read_at))
                 .join(Post, Post.id == Delivery.post_id).join(Campaign, Campaign.id == Post.campaign_id)
                 .join(Channel, Channel.id == Delivery.channel_id)
                 .outerjoin(Reading, Reading.delivery_id == Delivery.id)
                 .where(Delivery.state == DeliveryState.published, Delivery.remote_id != "", Channel.active.is_(True))
                 .group_by(Delivery.id, Delivery.published_at, Campaign.ends_on, Channel.platform))
            if delivery_ids is not None:
                q = q.where(Delivery.id.in_(delivery_ids))
            if post_id is not None:
                q = q.where(Delivery.post_id == post_id)
            rows = s.execute(q.order_by(Delivery.id)).all()
        todo = []
        for did, published, ends_on, platform, last in rows:
            published = published or now
            if due_only:
                when = next_reading(published, last, ends_on)
                if when is None or when > now:
                    continue
            todo.append((did, platform.value))
        counts = {"read": 0, "unavailable": 0, "failed": 0, "postponed": 0}
        paused = self._reads_paused
        for did, platform in todo:
            if self._may_read(platform, paused, now):
                try:
                    self._read_one(did, now, counts)
                except RetryLater as exc:  # 429 or a usage limit: nothing stored, read on a later pass
                    log.info("%s: numbers postponed: %s", platform, exc)
                    paused[platform] = self.clock() + timedelta(seconds=exc.retry_after or 300.0)
                    counts["postponed"] += 1
            else:
                counts["postponed"] += 1
            if progress:
                progress(1)
        return counts

    def _may_read(self, platform: str, paused: dict[str, datetime], now: datetime) -> bool:
        """Reads respect the limits publishing respects: not while the platform has asked to wait
        (a 429, for as long as it said) or reports its call limit nearly used (Facebook's usage headers, seen on
        any call, publishing's included). Publishing goes first: reads wait, posts do not."""
        if platform in paused and now < paused[platform]:
            return False
        return self.budgets.usage_wait(platform, self.clock()) is None

    def _read_one(self, delivery_id: int, now: datetime, counts: dict[str, int]) -> None:
        from connectors.insights import Numbers

        with self.sessions() as s:
            d = s.get(Delivery, delivery_id)
            channel = s.get(Channel, d.channel_id)
            remote_id, state = d.remote_id, dict(d.remote_state or {})
            connector = self._connector(channel)
            s.expunge_all()
        try:
            numbers = connector.numbers(remote_id, state)
        except RetryLater:
            raise
        except ConnectorError as exc:  # the delivery stays as it is: only this reading failed
            log.warning("delivery %s: numbers not read: %s", delivery_id, exc)
            numbers = Numbers().complete("not_read")
            counts["failed"] += 1
        with self._tx() as s:
            if numbers.learned.get("post_id"):  # TikTok's public id, given after moderation
                d = s.get(Delivery, delivery_id)
                d.remote_state = {**(d.remote_state or {}), "post_id": numbers.learned["post_id"]}
                if numbers.learned.get("url"):
                    d.remote_url = numbers.learned["url"]
            for m in METRICS:
                r = numbers.readings.get(m)
                if r is None:
                    continue
                s.add(Reading(delivery_id=delivery_id, read_at=now, metric=m, value=r.value, reason=r.reason,
                              source=r.source[:64]))
                counts["read" if r.available else "unavailable"] += 1
