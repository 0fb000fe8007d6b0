"""Maintenance: token refresh ahead of expiry, the day-ahead preflight, the Facebook hand-off."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from connectors import CONNECTORS, CredentialsDead, OutcomeUnknown, RetryLater
from content_queue.approvals import held
from content_queue.lifecycle import WAITING, Action
from content_queue.models import Campaign, Channel, ChannelHealth, Delivery, DeliveryState, Post

from .items import handoff_wanted
from content_queue.i18n import N_, _, say

S = DeliveryState
SCHEDULERS = [p for p, c in CONNECTORS.items() if c.native_scheduling]  # platforms that can hold a post


REFRESH_WARNING = timedelta(days=14)  # the go-live check warns this long before a refresh token ends
LIVE_FACTS_EVERY = timedelta(hours=1)  # the preflight asks a platform about a channel at most this often
MARKS = {True: N_("met"), False: N_("NOT MET"), None: N_("not readable")}


def said(checks, *, web: bool = False) -> list[dict]:
    """Go-live checks as the officer reads them (the command line, or the workspace with ``web``):
    what was found and, unless met, what to do, in the officer's language."""
    return [{"check": c.key, "met": c.met, "found": say(c.found),
             "fix": say((c.web_fix if web else "") or c.fix) if c.met is not True else ""} for c in checks]


def mark(met: bool | None) -> str:
    return _(MARKS[met])


class Maintenance:
    """Mixed into :class:`scheduler.engine.Engine`."""

    def check_channel(self, channel_id: int) -> list:
        """The go-live check of one channel (`loa channel check`): the platform's own conditions,
        each read with a harmless call (permissions, the API version's life, the OA, the app's
        audit), then the tokens' life, as the channel holds them. Publishes nothing."""
        from connectors import ConnectorError
        from connectors.base import Check

        with self.sessions() as s:
            ch = s.get(Channel, channel_id)
            s.expunge(ch)
        now = self.clock()
        try:
            checks = list(self._connector(ch).golive())
        except ConnectorError as exc:
            checks = [Check.unreadable("account", exc)]
        if ch.health is ChannelHealth.reconnect:
            checks.append(Check("token", False, _("the credentials were refused: {value}",
                                                  value=ch.health_detail or "-"),
                                _("Connect the account again (`loa channel connect PLATFORM --replace`)."),
                                _("Press “Reconnect” beside the channel.")))
        elif ch.access_expires_at is not None and ch.access_expires_at <= now and not ch.refreshable:
            checks.append(Check("token", False, _("the access token has expired and cannot be refreshed"),
                                _("Connect the account again (`loa channel connect PLATFORM --replace`)."),
                                _("Press “Reconnect” beside the channel.")))
        elif ch.refresh_expires_at is not None and ch.refresh_expires_at - now < REFRESH_WARNING:
            checks.append(Check("token", False, _("the refresh token ends on {date}", date=ch.refresh_expires_at.date().isoformat()),
                                _("Connect the account again before then (`loa channel connect PLATFORM --replace`)."),
                                _("Press “Reconnect” beside the channel before then.")))
        else:
            checks.append(Check("token", True, _("the access token is valid or can be refreshed")))
        return checks

    def account_facts(self, channel: Channel) -> dict | None:
        """What the account says about posting now (TikTok's creator_info: its nickname, the
        privacy levels it offers, the interactions it turned off, its longest video), or
        ``{"unreadable": why}``; ``None`` for a platform without per-post choices. Publishes nothing."""
        from connectors import ConnectorError

        try:
            return self._connector(channel).posting_facts()
        except ConnectorError as exc:
            return {"unreadable": say(exc)}

    def _live_facts(self, channel: Channel, now) -> dict:
        """What the platform says of ``channel`` now, for the preflight: the go-live check's
        conditions not met (``unmet``, what was found) and the per-post facts (``posting``). Read
        again after ``LIVE_FACTS_EVERY``, or at once when the channel's credentials or settings
        change; a read that fails says nothing (the post's own attempt will say it)."""
        from connectors import ConnectorError

        cache = self.__dict__.setdefault("_live_cache", {})
        key = (channel.credentials_version, repr(sorted((channel.settings or {}).items())))
        hit = cache.get(channel.id)
        if hit and hit[1] == key and now - hit[0] < LIVE_FACTS_EVERY:
            return hit[2]
        try:
            checks = self._connector(channel).golive()
        except ConnectorError:
            checks = []
        facts = {"unmet": [(c.key, say(c.found)) for c in checks if c.met is False],
                 "posting": self.account_facts(channel)}
        cache[channel.id] = (now, key, facts)
        return facts

    def refresh_tokens(self, report=None) -> int:
        """Refresh access tokens well before they expire."""
        horizon = self.clock() + self.policy.refresh_ahead
        with self.sessions() as s:
            channels = list(s.scalars(select(Channel).where(
                Channel.active.is_(True), Channel.health != ChannelHealth.reconnect,
                Channel.access_expires_at.is_not(None), Channel.access_expires_at < horizon)))
            s.expunge_all()
        refreshed = 0
        for ch in channels:
            try:
                self._connector(ch).refresh()
                refreshed += 1
            except CredentialsDead as exc:
                with self._tx() as s:
                    row = s.get(Channel, ch.id)
                    if row.credentials_version == ch.credentials_version:
                        row.health, row.health_detail = ChannelHealth.reconnect, say(exc)
                self.event(_("channel {name}: {exc}", name=ch.name, exc=exc), report)
            except (RetryLater, OutcomeUnknown) as exc:
                self.event(_("channel {name}: token refresh postponed ({exc})", name=ch.name, exc=exc), report)
        return refreshed

    def preflight(self, report=None) -> int:
        """Look at every delivery due in the next day and note what would stop it: the post and
        its file, the channel's tokens, and what the platform says now (the go-live check's
        conditions not met, TikTok's creator_info against the post's choices), read once an hour
        per channel, outside any transaction."""
        from .preflight import check_delivery

        now = self.clock()
        horizon = now + self.policy.preflight_ahead
        with self.sessions() as s:
            ids = list(s.scalars(select(Delivery.channel_id).where(Delivery.state.in_(WAITING), Delivery.due_at <= horizon)
                                 .distinct()))
            channels = [c for c in (s.get(Channel, i) for i in ids)
                        if c is not None and c.active and c.health is not ChannelHealth.reconnect]
            s.expunge_all()
        live = {c.id: self._live_facts(c, now) for c in channels}
        warned = 0
        with self._tx() as s:
            rows = list(s.scalars(select(Delivery).options(selectinload(Delivery.post).selectinload(Post.media),
                                                            selectinload(Delivery.channel))
                                  .where(Delivery.state.in_(WAITING), Delivery.due_at <= horizon)))
            for d in rows:
                warnings = check_delivery(d, self.media_dir, now, live.get(d.channel_id))
                text = "; ".join(warnings)
                if text != d.preflight:
                    d.preflight = text
                warned += bool(warnings)
        return warned

    def hand_off(self, report=None) -> int:
        """Hand Facebook posts due 10 minutes to 29 days ahead to Facebook's own scheduler."""
        now = self.clock()
        low = now + timedelta(minutes=10) + self.policy.handoff_margin
        high = now + timedelta(days=29)
        with self.sessions() as s:
            rows = list(s.scalars(select(Delivery).options(selectinload(Delivery.post), selectinload(Delivery.channel))
                                  .join(Channel, Channel.id == Delivery.channel_id)
                                  .where(Delivery.state == S.scheduled, Channel.platform.in_(SCHEDULERS),
                                         Delivery.due_at >= low, Delivery.due_at <= high,
                                         Delivery.post_id.not_in(held()))))
            wanted = [d.id for d in rows if handoff_wanted(d.post, s.get(Campaign, d.post.campaign_id))]
        count = 0
        for delivery_id in wanted:
            with self._tx() as s:
                claimed = s.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.state == S.scheduled)
                                    .values(claimed_from=S.scheduled, state=S.publishing, claimed_by=self.worker_id,
                                            claimed_at=now, attempt_count=Delivery.attempt_count + 1)).rowcount
            if not claimed:
                continue
            with self._in_flight_lock:
                self._in_flight.add(delivery_id)
            try:
                job, _delivery = self._load_job(delivery_id)
                job.item.schedule_at = job.due_at
                self._send(delivery_id, job, self._open_attempt(delivery_id, Action.handoff), report)
            finally:
                self._done(delivery_id)
            count += 1
        return count

