"""Publishing one claimed delivery, and what each answer of the platform means for it.

Before the call that can publish, an Attempt is committed and the connector checkpoints what it
is about to do; whatever the platform hands back is committed the moment it arrives (the
connector's ``checkpoint``). Recording the outcome can fail too (a full disk, a dropped database
connection): the delivery then becomes ``unknown`` and is reconciled, and if even that cannot be
written, this worker's next pass finds it ``publishing`` with no call in flight and does the same.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from connectors.base import IN_INBOX
from connectors import CredentialsDead, NotPublished, OutcomeUnknown, Rejected, Result, RetryLater
from connectors.credentials import scrub
from content_queue.errors import UserError
from content_queue.lifecycle import Action, ErrorKind, Outcome, label
from content_queue.models import Campaign, Channel, ChannelHealth, Delivery, DeliveryState

from .items import Job
from content_queue.i18n import _, say

log = logging.getLogger("loa.scheduler")
S = DeliveryState


class Publishing:
    """Mixed into :class:`scheduler.engine.Engine`."""

    def publish(self, delivery_id: int, report=None) -> str:
        """Publish one claimed delivery; returns the state it ends in."""
        try:
            try:
                loaded = self._load_job(delivery_id)
            except UserError as exc:  # the channel's tokens do not open (sealed with a key not here)
                return self._unreadable_credentials(delivery_id, exc, report)
            if loaded is None:
                return "gone"
            job, campaign = loaded
            wait = self.budgets.wait_for(job)
            if wait:
                self._release(delivery_id, self.clock() + timedelta(seconds=wait[0]), wait[1])
                self.event(_("delivery {delivery_id}: {value}; waiting {value2:.0f} s", delivery_id=delivery_id, value=wait[1], value2=wait[0]), report)
                return "waiting"
            refusal = self._clips_refusal(delivery_id)
            if refusal:  # a clip in it was withdrawn, or lost its consent, since it was queued
                return self._fail(delivery_id, None, refusal, ErrorKind.rejected, report)
            media = job.item.media
            if media is not None and not media.path.is_file():
                return self._fail(delivery_id, None, _("the media file is missing from the store ({name}); add "
                                                       "the post again with its file", name=media.path.name), ErrorKind.rejected, report)
            return self._send(delivery_id, job, self._open_attempt(delivery_id, Action.publish), report)
        finally:
            self._done(delivery_id)

    def _unreadable_credentials(self, delivery_id: int, exc: UserError, report) -> str:
        """Nothing is sent: the channel is flagged to be connected again (its deliveries wait, none
        is claimed until then) and this claim is given back untouched."""
        with self.sessions() as s:
            channel_id = s.get(Delivery, delivery_id).channel_id
        self._flag_reconnect(channel_id, exc)
        self._release(delivery_id, self.clock(), str(exc))
        self.event(_("delivery {delivery_id}: its channel's credentials do not open: {exc}",
                     delivery_id=delivery_id, exc=exc), report)
        return "waiting"

    def _clips_refusal(self, delivery_id: int) -> str | None:
        from content_queue.clips import source_refusal

        with self.sessions() as s:
            d = s.get(Delivery, delivery_id)
            return source_refusal(s, s.get(Campaign, d.post.campaign_id), d.post.source)

    def _send(self, delivery_id: int, job: Job, attempt: int, report) -> str:
        """The one call that can publish, and what each outcome means for the delivery."""
        try:
            result = self._connector(job).publish(job.item, checkpoint=lambda st: self._save_state(delivery_id, st),
                                                  state=job.remote_state)
        except (CredentialsDead, RetryLater, Rejected, NotPublished) as exc:  # the platform answered
            answer: Exception = exc
        except OutcomeUnknown as exc:
            return self._unknown(delivery_id, attempt, say(exc), report)
        except Exception as exc:  # a bug, or a local failure mid-call: never guess
            log.exception("delivery %s: unexpected error while publishing", delivery_id)
            return self._unknown(delivery_id, attempt, _("unexpected error ({name}: {exc})", name=type(exc).__name__, exc=exc), report)
        else:
            return self._recorded(delivery_id, attempt, report, lambda: self._settle(delivery_id, attempt, result,
                                                                                     report))
        if isinstance(answer, CredentialsDead) and self._credentials_changed(job):
            self._release(delivery_id, self.clock(), _("credentials changed by another worker"))
            self._finish_attempt(attempt, Outcome.retry, _("credentials were refreshed elsewhere; trying again"))
            return "waiting"
        if isinstance(answer, CredentialsDead):
            record = lambda: self._dead_credentials(delivery_id, job, attempt, answer, report)  # noqa: E731
        elif isinstance(answer, RetryLater):
            record = lambda: self._retry(delivery_id, job, attempt, answer, report)  # noqa: E731
        elif isinstance(answer, Rejected):
            record = lambda: self._fail(delivery_id, attempt, say(answer), ErrorKind.rejected, report,  # noqa: E731
                                        platform_said=answer.platform_message, detail=str(answer))
        else:
            record = lambda: self._not_published(delivery_id, attempt, answer, report)  # noqa: E731
        return self._recorded(delivery_id, attempt, report, record)

    def _recorded(self, delivery_id: int, attempt: int | None, report, record) -> str:
        """Record an outcome; if recording fails, the delivery becomes unknown (reconciled)."""
        try:
            return record()
        except Exception as exc:
            log.exception("delivery %s: could not record the outcome", delivery_id)
            return self._unknown(delivery_id, attempt, _("the outcome could not be recorded ({name}: {exc}); "
                                                         "asking the platform", name=type(exc).__name__, exc=exc), report)

    def _credentials_changed(self, job: Job) -> bool:
        with self.sessions() as s:
            ch = s.get(Channel, job.channel_id)
            return ch is not None and ch.credentials_version != job.credentials_version

    def _settle(self, delivery_id: int, attempt: int | None, result: Result, report) -> str:
        """The platform has it: published, or processing/scheduled there (then followed)."""
        now = self.clock()
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.remote_state = dict(result.state)
            d.remote_id = result.remote_id or d.remote_id
            d.remote_url = result.url or d.remote_url
            # an attempt appended here (none was opened) says what found the answer: budgets count publishes
            action = {S.unknown: Action.reconcile, S.processing: Action.follow,
                      S.in_inbox: Action.follow}.get(d.state, Action.publish)
            if result.status == "published":
                d.published_at, d.next_attempt_at = now, None
                d.preflight = result.detail
                self._lifecycle_move(s, d, S.published, action, Outcome.published, attempt_id=attempt,
                                     detail=result.detail or result.url, kind=ErrorKind.none, reason="")
            elif result.status == IN_INBOX:  # a draft: the person posts it in the app; asked now and then
                d.next_attempt_at = now + timedelta(seconds=self.policy.inbox_every)
                if d.state is not S.in_inbox:
                    self._lifecycle_move(s, d, S.in_inbox, action, Outcome.in_inbox, attempt_id=attempt,
                                         detail=result.detail, kind=ErrorKind.none, reason=result.detail)
            else:
                d.remote_state = {**d.remote_state, "platform_status": result.status}
                d.next_attempt_at = self._follow_time(d, result)
                self._lifecycle_move(s, d, S.processing, action, Outcome(result.status), attempt_id=attempt,
                                     detail=result.detail)
            ch = s.get(Channel, d.channel_id)
            if ch.health in (ChannelHealth.unknown, ChannelHealth.degraded):
                ch.health, ch.health_detail = ChannelHealth.ok, ""
            state = d.state
        if report is not None:
            if state is S.published:
                report.published += 1
            elif state is S.in_inbox:
                report.in_inbox += 1
            else:
                report.processing += 1
        self.event(_("delivery {delivery_id}: {status}", delivery_id=delivery_id, status=label(result.status).lower()) + (f" {result.url}" if result.url else ""), report)
        return state.value

    def _follow_time(self, d: Delivery, result: Result) -> datetime:
        now = self.clock()
        if result.status == "scheduled" and d.due_at > now:
            return d.due_at + timedelta(seconds=30)
        return now + timedelta(seconds=self.policy.follow_every)

    def _backoff(self, attempts: int, retry_after: float | None, base: float | None = None,
                 cap: float | None = None) -> float:
        base = self.policy.backoff_base if base is None else base
        top = min(self.policy.backoff_cap if cap is None else cap, base * (2 ** max(0, attempts - 1)))
        delay = self.rng.uniform(top / 2, top)  # jitter: many deliveries never retry in step
        return max(delay, retry_after or 0.0)

    def _retry(self, delivery_id: int, job: Job, attempt: int, exc: RetryLater, report) -> str:
        now = self.clock()
        attempts = job.attempt_count  # the claim counted this attempt
        if attempts >= self.policy.max_attempts:
            return self._fail(delivery_id, attempt, _("gave up after {attempts} attempts: {exc}", attempts=attempts,
                                                      exc=exc), ErrorKind.retry, report,
                              platform_said=exc.platform_message, detail=str(exc))
        delay = self._backoff(attempts, exc.retry_after)
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.next_attempt_at = now + timedelta(seconds=delay)
            if exc.retry_after or exc.status == 429:
                ch = s.get(Channel, job.channel_id)
                ch.cooldown_until = now + timedelta(seconds=exc.retry_after or delay)
            self._lifecycle_move(s, d, S.retry_wait, Action.publish, Outcome.retry, attempt_id=attempt,
                                 detail=str(exc), kind=ErrorKind.retry, reason=say(exc),
                                 platform_said=exc.platform_message)
        if report:
            report.retry += 1
        self.event(_("delivery {delivery_id}: will retry in {delay:.0f} s ({exc})", delivery_id=delivery_id, delay=delay, exc=exc), report)
        return S.retry_wait.value

    def _not_published(self, delivery_id: int, attempt: int | None, exc: NotPublished, report,
                       action: Action = Action.publish, at_once: bool = False) -> str:
        """The platform says what it received did not go out: refused content fails; otherwise
        the delivery starts again from nothing, counted against its attempts."""
        if exc.final:
            return self._fail(delivery_id, attempt, say(exc), ErrorKind.rejected, report, action=action,
                              platform_said=exc.platform_message, detail=str(exc))
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            if d.attempt_count < self.policy.max_attempts:
                d.remote_state = {}
                wait = 0.0 if at_once else self._backoff(d.attempt_count, None)
                d.next_attempt_at = self.clock() + timedelta(seconds=wait)
                self._lifecycle_move(s, d, S.retry_wait, action, Outcome.not_published, attempt_id=attempt,
                                     detail=str(exc), kind=ErrorKind.retry, reason=say(exc),
                                     platform_said=exc.platform_message)
                return S.retry_wait.value
        return self._fail(delivery_id, attempt, _("gave up after {max_attempts} attempts: {exc}",
                                                  max_attempts=self.policy.max_attempts, exc=exc),
                          ErrorKind.retry, report, action=action, platform_said=exc.platform_message, detail=str(exc))

    def _fail(self, delivery_id: int, attempt: int | None, reason: str, kind: ErrorKind, report,
              action: Action = Action.publish, platform_said: str = "", detail: str = "") -> str:
        """Record a failure: ``reason`` in the officer's language, the platform's own words beside it,
        ``detail`` (the error as logs keep it) on the attempt."""
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.next_attempt_at = None
            outcome = Outcome.credentials if kind is ErrorKind.credentials else Outcome.failed
            self._lifecycle_move(s, d, S.failed, action, outcome, attempt_id=attempt, detail=detail or reason,
                                 kind=kind, reason=reason, platform_said=platform_said)
        if report:
            report.failed += 1
        self.event(_("delivery {delivery_id}: failed: {scrub}", delivery_id=delivery_id, scrub=scrub(reason)), report)
        return S.failed.value

    def _dead_credentials(self, delivery_id: int, job: Job, attempt: int, exc: CredentialsDead, report) -> str:
        self._flag_reconnect(job.channel_id, exc)
        return self._fail(delivery_id, attempt, _("{exc} Then run `loa retry {delivery_id}`.", exc=exc,
                                                  delivery_id=delivery_id), ErrorKind.credentials, report,
                          platform_said=exc.platform_message, detail=str(exc))

    def _flag_reconnect(self, channel_id: int, exc: Exception) -> None:
        with self._tx() as s:
            ch = s.get(Channel, channel_id)
            ch.health, ch.health_detail = ChannelHealth.reconnect, say(exc)

    def _unknown(self, delivery_id: int, attempt: int | None, detail: str, report,
                 action: Action = Action.publish) -> str:
        """A call that can publish got no answer (or its answer could not be recorded)."""
        try:
            with self._tx() as s:
                d = s.get(Delivery, delivery_id)
                d.next_attempt_at = self.clock()
                self._lifecycle_move(s, d, S.unknown, action, Outcome.unknown, attempt_id=attempt, detail=detail,
                                     kind=ErrorKind.unknown, reason=detail)
        except Exception:
            # Not even this could be written: the delivery stays ``publishing`` under this worker
            # with no call in flight, and the next pass's recovery makes it unknown.
            log.exception("delivery %s: could not record an unknown outcome", delivery_id)
            return S.publishing.value
        if report:
            report.unknown += 1
        self.event(_("delivery {delivery_id}: outcome unknown, will ask the platform", delivery_id=delivery_id), report)
        return S.unknown.value
