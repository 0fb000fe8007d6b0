"""Follow-up and reconciliation: after the publishing call, until the platform has settled it.

*Follow-up* checks an item the platform is still processing (or holds for its own schedule)
until it is published. *Reconciliation* asks the platform about a call whose answer was lost,
and acts on its three possible answers (:class:`connectors.Answer`): found (settled like any
answer), certainly not published (sent again, or failed if the platform refused the content), or
cannot tell (asked again later, with backoff, then left to the officer as ``needs_attention``).
A read that fails is always "cannot tell": never a reason to publish again.
"""
from __future__ import annotations

from itertools import chain

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select

from connectors import Answer, CredentialsDead, Finding, NotPublished, OutcomeUnknown, Rejected, RetryLater
from connectors.credentials import scrub
from content_queue.lifecycle import Action, ErrorKind, Outcome, label
from content_queue.models import Attempt, Delivery, DeliveryState

from .items import Job
from content_queue.i18n import _, say

log = logging.getLogger("loa.scheduler")
S = DeliveryState


class FollowUp:
    """Mixed into :class:`scheduler.engine.Engine`."""

    def _due_in(self, state: DeliveryState, limit: int = 50) -> list[int]:
        with self.sessions() as s:
            return list(s.scalars(select(Delivery.id).where(Delivery.state == state,
                                                            Delivery.next_attempt_at <= self.clock())
                                  .order_by(Delivery.next_attempt_at).limit(limit)))

    def _due_jobs(self, state: DeliveryState):
        """``(delivery_id, job)`` for each delivery in ``state`` whose next step is due, until stopped."""
        for delivery_id in self._due_in(state):
            if self.stopping:
                return
            loaded = self._load_job(delivery_id)
            if loaded is not None:
                yield delivery_id, loaded[0]

    # --- follow-up --------------------------------------------------------------------------
    def follow_processing(self, report=None) -> int:
        """Ask the platform about what it is still processing, and whether a TikTok draft left in
        the inbox has been posted in the app since (every ``policy.inbox_every``)."""
        done = 0
        for delivery_id, job in chain(self._due_jobs(S.processing), self._due_jobs(S.in_inbox)):
            state = dict(job.remote_state)
            state.pop("platform_status", None)
            try:
                result = self._connector(job).check(state, job.item, lambda st: self._save_state(delivery_id, st))
            except RetryLater as exc:
                self._postpone(delivery_id, max(self.policy.follow_every * 2, exc.retry_after or 0), say(exc))
                continue
            except NotPublished as exc:
                self._not_published(delivery_id, None, exc, report, action=Action.follow)
                continue
            except Rejected as exc:
                # A status read refused, or a later step refused, after the call that published:
                # the post may be out, so it is never "failed"; the officer checks the page.
                self._needs_attention(delivery_id, None, _("the platform refused a follow-up call ({value})", value=exc.platform_message or say(exc)), report, action=Action.follow)
                continue
            except CredentialsDead as exc:
                # The post may already be public: it stays processing (never "failed"), and the
                # channel is flagged so the officer reconnects it; following resumes after that.
                self._flag_reconnect(job.channel_id, exc)
                self._postpone(delivery_id, self.policy.follow_every * 4, _("{exc} (connect the account again)", exc=exc))
                continue
            except OutcomeUnknown as exc:
                self._unknown(delivery_id, None, say(exc), report, action=Action.follow)
                continue
            except Exception as exc:
                log.exception("delivery %s: unexpected error while following it", delivery_id)
                self._postpone(delivery_id, self.policy.follow_every * 4, _("unexpected error ({exc})", exc=exc))
                continue
            if result.status in ("processing", "scheduled"):
                with self._tx() as s:
                    d = s.get(Delivery, delivery_id)
                    d.remote_state = {**result.state, "platform_status": result.status}
                    d.next_attempt_at = self._follow_time(d, result)
                continue
            self._recorded(delivery_id, None, report, lambda: self._settle(delivery_id, None, result, report))
            done += 1
        return done

    def _postpone(self, delivery_id: int, seconds: float, why: str) -> None:
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.next_attempt_at = self.clock() + timedelta(seconds=seconds)
            d.last_error = scrub(why)

    # --- reconciliation ---------------------------------------------------------------------
    def find(self, job: Job, since: datetime) -> Finding:
        """The platform's answer about ``job``; a read that fails is "cannot tell"."""
        if not job.remote_state:
            return Finding.not_published(_("nothing was checkpointed: no call that can publish was sent"))
        try:
            return self._connector(job).find(job.item, since, dict(job.remote_state), self._known_ids(job))
        except CredentialsDead as exc:
            return Finding.cannot_tell(_("{exc} (connect the account again)", exc=exc))
        except (RetryLater, OutcomeUnknown) as exc:
            return Finding.cannot_tell(say(exc), getattr(exc, "retry_after", None))
        except (Rejected, NotPublished) as exc:  # a refused *read* proves nothing about the post
            return Finding.cannot_tell(_("the platform would not say ({exc})", exc=exc))
        except Exception as exc:
            log.exception("delivery %s: unexpected error while asking the platform", job.delivery_id)
            return Finding.cannot_tell(_("unexpected error ({name}: {exc})", name=type(exc).__name__, exc=exc))

    def reconcile(self, report=None) -> int:
        """Ask the platform about every delivery whose outcome is unknown."""
        settled = 0
        for delivery_id, job in self._due_jobs(S.unknown):
            attempt = self._open_attempt(delivery_id, Action.reconcile)
            finding = self.find(job, self._first_attempt_at(delivery_id) or job.due_at)
            if finding.answer is Answer.FOUND:
                self._recorded(delivery_id, attempt, report,
                               lambda: self._settle(delivery_id, attempt, finding.result, report))
                self.event(_("delivery {delivery_id}: reconciled: {status}", delivery_id=delivery_id, status=label(finding.result.status).lower()), report)
            elif finding.answer is Answer.NOT_PUBLISHED:
                self._not_published(delivery_id, attempt, NotPublished(finding.why, final=finding.refused), report,
                                    action=Action.reconcile, at_once=True)
                self.event(_("delivery {delivery_id}: reconciled: not published ({why})", delivery_id=delivery_id, why=finding.why)
                           + ("" if finding.refused else _(", will publish again")), report)
            else:
                self._reconcile_later(delivery_id, attempt, finding, report)
                continue
            settled += 1
            if report:
                report.reconciled += 1
        return settled

    def _known_ids(self, job: Job) -> frozenset[str]:
        """Remote ids other deliveries of this channel already account for."""
        with self.sessions() as s:
            ids = s.scalars(select(Delivery.remote_id).where(Delivery.channel_id == job.channel_id,
                                                             Delivery.id != job.delivery_id,
                                                             Delivery.remote_id.is_not(None)))
            return frozenset(str(i) for i in ids)

    def _first_attempt_at(self, delivery_id: int) -> datetime | None:
        """When the current round of publishing started (after the officer's last retry, if any)."""
        with self.sessions() as s:
            reset = s.scalar(select(func.max(Attempt.started_at)).where(
                Attempt.delivery_id == delivery_id, Attempt.action.in_((Action.retry.value, Action.resolve.value))))
            q = select(func.min(Attempt.started_at)).where(
                Attempt.delivery_id == delivery_id, Attempt.action.in_((Action.publish.value, Action.handoff.value)))
            if reset is not None:
                q = q.where(Attempt.started_at >= reset)
            return s.scalar(q)

    def _reconcile_later(self, delivery_id: int, attempt: int, finding: Finding, report) -> None:
        with self.sessions() as s:
            tries = s.scalar(select(func.count()).select_from(Attempt).where(
                Attempt.delivery_id == delivery_id, Attempt.action == Action.reconcile.value))
        if tries >= self.policy.max_reconciles:
            self._needs_attention(delivery_id, attempt, _("the platform could not tell after {tries} tries "
                                                          "({why})", tries=tries, why=finding.why), report)
            return
        cap = min(self.policy.reconcile_cap, self.policy.reconcile_every * 30)
        delay = self._backoff(tries, finding.retry_after, base=self.policy.reconcile_every, cap=cap)
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.next_attempt_at = self.clock() + timedelta(seconds=delay)
            self._lifecycle_move(s, d, S.unknown, Action.reconcile, Outcome.cannot_tell, attempt_id=attempt,
                                 detail=finding.why, reason=_("cannot tell yet whether it went out: {why}; "
                                                              "asking again in {delay:.0f} s",
                                                              why=finding.why, delay=delay))
        self.event(_("delivery {delivery_id}: the platform cannot tell yet ({why}); asking again in {delay:.0f} s",
                     delivery_id=delivery_id, why=finding.why, delay=delay), report)

    def _needs_attention(self, delivery_id: int, attempt: int | None, why: str, report,
                         action: Action = Action.reconcile) -> None:
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.next_attempt_at = None
            self._lifecycle_move(s, d, S.needs_attention, action, Outcome.attention, attempt_id=attempt, detail=why,
                                 kind=ErrorKind.attention,
                                 reason=scrub(why) + _(" Check the page, then `loa resolve {delivery_id} "
                                                       "--published URL` or `--not-published`.",
                                                       delivery_id=delivery_id))
        self.event(_("delivery {delivery_id}: needs the officer's attention", delivery_id=delivery_id), report)
