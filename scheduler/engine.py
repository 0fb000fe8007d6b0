"""The publishing engine: every step of a delivery's life, each in short transactions.

The rule that keeps a post from going out twice (architecture page): before any call that can
publish, the delivery's state and what it is about to do are committed; whatever the platform
hands back that identifies the post is committed the moment it arrives (the connector's
``checkpoint``). A delivery found ``publishing`` with no live worker behind it is never sent again
blindly: it becomes ``unknown`` and is reconciled by asking the platform.

Claims are atomic: ``UPDATE ... WHERE state IN (waiting) ... RETURNING`` on SQLite (writers are
serialised), ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers can
share one database.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from connectors import CONNECTORS, Connector, CredentialsDead, OutcomeUnknown, Rejected, Result, RetryLater
from connectors.credentials import Secret, scrub
from connectors.http import Http
from content_queue.models import (
    Attempt,
    Campaign,
    Channel,
    ChannelHealth,
    Delivery,
    DeliveryState,
    Post,
    Worker,
)

from .budgets import Budgets
from .items import Job, handoff_wanted, job_of

log = logging.getLogger("loa.scheduler")
S = DeliveryState
WAITING = (S.scheduled, S.retry_wait)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Policy:
    """How patient the engine is. Defaults suit one office on a slow line."""

    max_attempts: int = 8
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0
    follow_every: float = 15.0  # seconds between checks of an item processing on the platform
    reconcile_every: float = 30.0
    max_reconciles: int = 20  # then the officer decides (needs_attention)
    lease_seconds: float = 90.0  # a worker silent this long has stopped; its claims are recovered
    claim_batch: int = 20
    refresh_ahead: timedelta = timedelta(hours=2)
    preflight_ahead: timedelta = timedelta(hours=24)
    handoff_margin: timedelta = timedelta(minutes=5)  # beyond Facebook's 10-minute minimum
    catch_up_after: timedelta = timedelta(minutes=2)  # a delivery this late is part of a backlog
    catch_up_spacing: timedelta = timedelta(minutes=2)  # one backlog post per channel per this much time

    @classmethod
    def from_env(cls, env) -> "Policy":
        """Tuning for rehearsals and tests: LOA_BACKOFF_BASE, LOA_LEASE_SECONDS, ... (seconds)."""
        p = cls()
        for name, attr in (("LOA_BACKOFF_BASE", "backoff_base"), ("LOA_LEASE_SECONDS", "lease_seconds"),
                           ("LOA_FOLLOW_EVERY", "follow_every"), ("LOA_RECONCILE_EVERY", "reconcile_every")):
            if env.get(name):
                setattr(p, attr, float(env[name]))
        if env.get("LOA_CATCH_UP_SPACING"):
            p.catch_up_spacing = timedelta(seconds=float(env["LOA_CATCH_UP_SPACING"]))
        return p


@dataclass
class PassReport:
    published: int = 0
    processing: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0
    missed: int = 0
    recovered: int = 0
    reconciled: int = 0
    events: list[str] = field(default_factory=list)


class Engine:
    def __init__(self, sessions: sessionmaker[Session], *, media_dir: Path, worker_id: str | None = None,
                 clock: Callable[[], datetime] = utcnow, policy: Policy | None = None, http: Http | None = None,
                 connector_factory: Callable[..., Connector] | None = None, rng: random.Random | None = None,
                 on_event: Callable[[str], None] | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sessions = sessions
        self.media_dir = Path(media_dir)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.clock = clock
        self.policy = policy or Policy()
        self.http = http or Http()
        self.connector_factory = connector_factory or self._default_connector
        self.rng = rng or random.Random()
        self.on_event = on_event
        self.sleep = sleep
        self.stopping = False
        self.budgets = Budgets(self)
        if self.http.on_usage is None:
            self.http.on_usage = self.budgets.saw_usage
        self.dialect = sessions.kw["bind"].dialect.name

    # --- plumbing -------------------------------------------------------------------------
    def _tx(self):
        return self.sessions.begin()

    def event(self, message: str, report: PassReport | None = None) -> None:
        log.info("%s", message)
        if report is not None:
            report.events.append(message)
        if self.on_event:
            self.on_event(message)

    def _default_connector(self, platform: str, credentials: dict, settings: dict, on_credentials) -> Connector:
        extra = {"sleep": self.sleep} if platform == "zalo" else {}
        return CONNECTORS[platform](credentials, settings, http=self.http, on_credentials=on_credentials,
                                    clock=self.clock, **extra)

    def _connector(self, job_or_channel) -> Connector:
        channel_id = job_or_channel.channel_id if isinstance(job_or_channel, Job) else job_or_channel.id
        version = job_or_channel.credentials_version

        def store(new: dict[str, Any]) -> None:
            self._store_credentials(channel_id, version, new)

        creds = job_or_channel.credentials
        settings = job_or_channel.settings if isinstance(job_or_channel, Job) else dict(job_or_channel.settings or {})
        platform = job_or_channel.platform if isinstance(job_or_channel, Job) else job_or_channel.platform.value
        return self.connector_factory(platform, creds, settings, store)

    def _store_credentials(self, channel_id: int, version: int, new: dict[str, Any]) -> None:
        """Commit new credentials at once (Zalo's refresh token is single-use)."""
        from content_queue.channels import parse_instant

        plain = {k: (v.reveal() if isinstance(v, Secret) else v) for k, v in new.items()}
        with self._tx() as s:
            ch = s.get(Channel, channel_id, with_for_update=self.dialect == "postgresql")
            expires = plain.pop("expires_at", None)
            refresh_expires = plain.pop("refresh_expires_at", None)
            ch.set_credentials({k: v for k, v in plain.items() if v is not None})
            ch.credentials_version = ch.credentials_version + 1
            if expires:
                ch.access_expires_at = parse_instant(expires, "expires_at")
            if refresh_expires:
                ch.refresh_expires_at = parse_instant(refresh_expires, "refresh_expires_at")
            ch.health, ch.health_detail = ChannelHealth.ok, ""
        self.event(f"channel {channel_id}: credentials refreshed and stored")

    def _save_state(self, delivery_id: int, state: dict[str, Any]) -> None:
        with self._tx() as s:
            s.execute(update(Delivery).where(Delivery.id == delivery_id).values(remote_state=dict(state),
                                                                               updated_at=self.clock()))

    def _attempt(self, delivery_id: int, action: str) -> int:
        with self._tx() as s:
            a = Attempt(delivery_id=delivery_id, action=action, outcome="started", worker=self.worker_id,
                        started_at=self.clock())
            s.add(a)
            s.flush()
            return a.id

    def _close_attempt(self, s: Session, attempt_id: int, outcome: str, detail: str = "") -> None:
        s.execute(update(Attempt).where(Attempt.id == attempt_id).values(
            outcome=outcome, detail=scrub(detail)[:2000], finished_at=self.clock()))

    # --- workers --------------------------------------------------------------------------
    def heartbeat(self) -> None:
        now = self.clock()
        with self._tx() as s:
            w = s.get(Worker, self.worker_id)
            if w is None:
                s.add(Worker(id=self.worker_id, host=socket.gethostname(), pid=os.getpid(), started_at=now,
                             heartbeat_at=now))
            else:
                w.heartbeat_at = now

    def retire(self) -> None:
        with self._tx() as s:
            w = s.get(Worker, self.worker_id)
            if w is not None:
                s.delete(w)

    def _live_workers(self, s: Session) -> set[str]:
        now = self.clock()
        live = set()
        host = socket.gethostname()
        for w in s.scalars(select(Worker)):
            stale = w.heartbeat_at < now - timedelta(seconds=self.policy.lease_seconds)
            if not stale and w.host == host and w.id != self.worker_id and not _pid_alive(w.pid):
                stale = True  # same machine, process gone: no need to wait for the lease
            if not stale:
                live.add(w.id)
            elif w.id != self.worker_id:
                s.delete(w)
        live.add(self.worker_id)
        return live

    def recover_stale(self, report: PassReport | None = None) -> int:
        """Deliveries left ``publishing`` by a worker that stopped become ``unknown``."""
        with self._tx() as s:
            live = self._live_workers(s)
            rows = list(s.scalars(select(Delivery).where(Delivery.state == S.publishing,
                                                         or_(Delivery.claimed_by.is_(None),
                                                             Delivery.claimed_by.not_in(live)))))
            for d in rows:
                d.state = S.unknown
                d.last_error = "loa stopped while publishing this; asking the platform whether it went out"
                d.last_error_kind = "unknown"
                d.next_attempt_at = self.clock()
        for d in rows:
            self.event(f"delivery {d.id}: worker {d.claimed_by} stopped mid-call; will reconcile", report)
        if report:
            report.recovered += len(rows)
        return len(rows)

    # --- missed and claimed ---------------------------------------------------------------
    def mark_missed(self, report: PassReport | None = None) -> int:
        """A delivery due while nothing ran, older than its campaign's grace window, is missed."""
        now = self.clock()
        count = 0
        with self._tx() as s:
            for campaign in s.scalars(select(Campaign)):
                cutoff = now - timedelta(minutes=campaign.grace_minutes)
                post_ids = select(Post.id).where(Post.campaign_id == campaign.id)
                rows = list(s.scalars(select(Delivery).where(
                    Delivery.state == S.scheduled, Delivery.attempt_count == 0, Delivery.due_at < cutoff,
                    Delivery.post_id.in_(post_ids))))
                for d in rows:
                    d.state = S.missed
                    d.last_error = (f"due {d.due_at.isoformat()} while loa was not running, more than "
                                    f"{campaign.grace_minutes} minutes ago; `loa post reschedule` or `loa retry` it")
                    d.last_error_kind = "missed"
                count += len(rows)
        if count:
            self.event(f"{count} delivery(ies) missed their time while loa was off", report)
        if report:
            report.missed += count
        return count

    def claim(self, limit: int | None = None) -> list[int]:
        """Atomically take up to ``limit`` due deliveries for this worker."""
        limit = limit or self.policy.claim_batch
        now = self.clock()
        cooling = select(Channel.id).where(Channel.cooldown_until.is_not(None), Channel.cooldown_until > now)
        inactive = select(Channel.id).where(Channel.active.is_(False) | (Channel.health == ChannelHealth.reconnect))
        due = (select(Delivery.id)
               .where(Delivery.state.in_(WAITING), Delivery.next_attempt_at <= now,
                      Delivery.channel_id.not_in(cooling), Delivery.channel_id.not_in(inactive))
               .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit))
        values = dict(state=S.publishing, claimed_by=self.worker_id, claimed_at=now,
                      attempt_count=Delivery.attempt_count + 1, updated_at=now)
        with self._tx() as s:
            if self.dialect == "postgresql":
                ids = list(s.scalars(due.with_for_update(skip_locked=True)))
                if ids:
                    s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(**values))
                return ids
            stmt = (update(Delivery).where(Delivery.id.in_(due.scalar_subquery()), Delivery.state.in_(WAITING))
                    .values(**values).returning(Delivery.id))
            return list(s.scalars(stmt))

    def _release(self, delivery_id: int, until: datetime, why: str) -> None:
        """Give a claim back untouched: nothing was sent (budgets say wait)."""
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.state = S.retry_wait if d.attempt_count > 1 else S.scheduled
            d.attempt_count -= 1
            d.next_attempt_at = until
            d.claimed_by = None
            d.preflight = why

    # --- publishing -----------------------------------------------------------------------
    def _load_job(self, delivery_id: int) -> tuple[Job, Campaign] | None:
        with self.sessions() as s:
            d = s.scalar(select(Delivery).options(selectinload(Delivery.post).selectinload(Post.media),
                                                  selectinload(Delivery.channel))
                         .where(Delivery.id == delivery_id))
            if d is None:
                return None
            campaign = s.get(Campaign, d.post.campaign_id)
            job = job_of(d, campaign, self.media_dir)
            s.expunge_all()
            return job, campaign

    def publish(self, delivery_id: int, report: PassReport | None = None) -> str:
        """Publish one claimed delivery; returns the state it ends in."""
        loaded = self._load_job(delivery_id)
        if loaded is None:
            return "gone"
        job, campaign = loaded
        wait = self.budgets.wait_for(job)
        if wait:
            self._release(delivery_id, self.clock() + timedelta(seconds=wait[0]), wait[1])
            self.event(f"delivery {delivery_id}: {wait[1]}; waiting {wait[0]:.0f} s", report)
            return "waiting"
        media = job.item.media
        if media is not None and not media.path.is_file():
            return self._fail(delivery_id, None, f"the media file is missing from the store ({media.path.name}); "
                              "add the post again with its file", "rejected", report)
        return self._send(delivery_id, job, self._attempt(delivery_id, "publish"), report)

    def _send(self, delivery_id: int, job: Job, attempt: int, report: PassReport | None) -> str:
        """The one call that can publish, and what each outcome means for the delivery."""
        try:
            result = self._connector(job).publish(job.item, checkpoint=lambda st: self._save_state(delivery_id, st),
                                                  state=job.remote_state)
        except CredentialsDead as exc:
            if self._credentials_changed(job):
                self._release(delivery_id, self.clock(), "credentials changed by another worker")
                self._finish_attempt(attempt, "retry", "credentials were refreshed elsewhere; trying again")
                return "waiting"
            return self._dead_credentials(delivery_id, job, attempt, exc, report)
        except RetryLater as exc:
            return self._retry(delivery_id, job, attempt, exc, report)
        except Rejected as exc:
            return self._fail(delivery_id, attempt, exc.platform_message or str(exc), "rejected", report)
        except OutcomeUnknown as exc:
            return self._unknown(delivery_id, attempt, str(exc), report)
        except Exception as exc:  # a bug, or a local failure mid-call: never guess
            log.exception("delivery %s: unexpected error while publishing", delivery_id)
            return self._unknown(delivery_id, attempt, f"unexpected error ({type(exc).__name__}: {exc})", report)
        return self._settle(delivery_id, attempt, result, report)

    def _finish_attempt(self, attempt_id: int, outcome: str, detail: str) -> None:
        with self._tx() as s:
            self._close_attempt(s, attempt_id, outcome, detail)

    def _credentials_changed(self, job: Job) -> bool:
        with self.sessions() as s:
            ch = s.get(Channel, job.channel_id)
            return ch is not None and ch.credentials_version != job.credentials_version

    def _settle(self, delivery_id: int, attempt: int | None, result: Result, report: PassReport | None) -> str:
        now = self.clock()
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.remote_state = dict(result.state)
            d.remote_id = result.remote_id or d.remote_id
            d.remote_url = result.url or d.remote_url
            d.claimed_by = None
            if result.status == "published":
                d.state, d.published_at = S.published, now
                d.last_error, d.last_error_kind = "", ""
                d.next_attempt_at = None
                d.preflight = result.detail
            else:
                d.state = S.processing
                d.remote_state = {**d.remote_state, "platform_status": result.status}
                d.next_attempt_at = self._follow_time(d, result)
            ch = s.get(Channel, d.channel_id)
            if ch.health in (ChannelHealth.unknown, ChannelHealth.degraded):
                ch.health, ch.health_detail = ChannelHealth.ok, ""
            if attempt is not None:
                self._close_attempt(s, attempt, result.status, result.detail or result.url)
            state = d.state
        if report is not None:
            if state is S.published:
                report.published += 1
            else:
                report.processing += 1
        self.event(f"delivery {delivery_id}: {result.status}" + (f" {result.url}" if result.url else ""), report)
        return state.value

    def _follow_time(self, d: Delivery, result: Result) -> datetime:
        now = self.clock()
        if result.status == "scheduled" and d.due_at > now:
            return d.due_at + timedelta(seconds=30)
        return now + timedelta(seconds=self.policy.follow_every)

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        base = min(self.policy.backoff_cap, self.policy.backoff_base * (2 ** max(0, attempts - 1)))
        delay = self.rng.uniform(base / 2, base)  # jitter: many deliveries never retry in step
        return max(delay, retry_after or 0.0)

    def _retry(self, delivery_id: int, job: Job, attempt: int, exc: RetryLater, report) -> str:
        now = self.clock()
        attempts = job.attempt_count  # the claim counted this attempt
        if attempts >= self.policy.max_attempts:
            return self._fail(delivery_id, attempt, f"gave up after {attempts} attempts: {exc}", "retry", report)
        delay = self._backoff(attempts, exc.retry_after)
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.state, d.claimed_by = S.retry_wait, None
            d.next_attempt_at = now + timedelta(seconds=delay)
            d.last_error, d.last_error_kind = scrub(str(exc)), "retry"
            if exc.retry_after or exc.status == 429:
                ch = s.get(Channel, job.channel_id)
                ch.cooldown_until = now + timedelta(seconds=exc.retry_after or delay)
            self._close_attempt(s, attempt, "retry", str(exc))
        if report:
            report.retry += 1
        self.event(f"delivery {delivery_id}: will retry in {delay:.0f} s ({exc})", report)
        return S.retry_wait.value

    def _fail(self, delivery_id: int, attempt: int | None, reason: str, kind: str, report) -> str:
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.state, d.claimed_by, d.next_attempt_at = S.failed, None, None
            d.last_error, d.last_error_kind = scrub(reason), kind
            if attempt is not None:
                self._close_attempt(s, attempt, "failed", reason)
        if report:
            report.failed += 1
        self.event(f"delivery {delivery_id}: failed: {scrub(reason)}", report)
        return S.failed.value

    def _dead_credentials(self, delivery_id: int, job: Job, attempt: int, exc: CredentialsDead, report) -> str:
        with self._tx() as s:
            ch = s.get(Channel, job.channel_id)
            ch.health, ch.health_detail = ChannelHealth.reconnect, scrub(str(exc))
        return self._fail(delivery_id, attempt, f"{exc} Then run `loa retry {delivery_id}`.", "credentials", report)

    def _unknown(self, delivery_id: int, attempt: int | None, detail: str, report) -> str:
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.state, d.claimed_by = S.unknown, None
            d.last_error, d.last_error_kind = scrub(detail), "unknown"
            d.next_attempt_at = self.clock()
            if attempt is not None:
                self._close_attempt(s, attempt, "unknown", detail)
        if report:
            report.unknown += 1
        self.event(f"delivery {delivery_id}: outcome unknown, will ask the platform", report)
        return S.unknown.value

    # --- following up ---------------------------------------------------------------------
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

    def follow_processing(self, report: PassReport | None = None) -> int:
        done = 0
        for delivery_id, job in self._due_jobs(S.processing):
            state = dict(job.remote_state)
            state.pop("platform_status", None)
            try:
                result = self._connector(job).check(state, job.item,
                                                    lambda st: self._save_state(delivery_id, st))
            except RetryLater as exc:
                self._postpone(delivery_id, self.policy.follow_every * 2, str(exc))
                continue
            except Rejected as exc:
                self._fail(delivery_id, None, exc.platform_message or str(exc), "rejected", report)
                continue
            except CredentialsDead as exc:
                # The post may already be public: it stays processing (never "failed"), and the
                # channel is flagged so the officer reconnects it; following resumes after that.
                with self._tx() as s:
                    ch = s.get(Channel, job.channel_id)
                    ch.health, ch.health_detail = ChannelHealth.reconnect, scrub(str(exc))
                self._postpone(delivery_id, self.policy.follow_every * 4, f"{exc} (connect the account again)")
                continue
            except OutcomeUnknown as exc:
                self._unknown(delivery_id, None, str(exc), report)
                continue
            if result.status == "processing" or (result.status == "scheduled"):
                with self._tx() as s:
                    d = s.get(Delivery, delivery_id)
                    d.remote_state = {**result.state, "platform_status": result.status}
                    d.next_attempt_at = self._follow_time(d, result)
                continue
            self._settle(delivery_id, None, result, report)
            done += 1
        return done

    def _postpone(self, delivery_id: int, seconds: float, why: str) -> None:
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.next_attempt_at = self.clock() + timedelta(seconds=seconds)
            d.last_error = scrub(why)

    def reconcile(self, report: PassReport | None = None) -> int:
        """Ask the platform about every delivery whose outcome is unknown."""
        settled = 0
        for delivery_id, job in self._due_jobs(S.unknown):
            attempt = self._attempt(delivery_id, "reconcile")
            since = self._first_attempt_at(delivery_id) or job.due_at
            try:
                found = (self._connector(job).find(job.item, since, dict(job.remote_state), self._known_ids(job))
                         if job.remote_state else None)
            except (RetryLater, OutcomeUnknown) as exc:
                self._reconcile_later(delivery_id, attempt, str(exc), report)
                continue
            except CredentialsDead as exc:
                self._finish_attempt(attempt, "credentials", str(exc))
                self._reconcile_later(delivery_id, None, str(exc), report)
                continue
            except Rejected as exc:
                self._needs_attention(delivery_id, attempt, f"the platform would not say ({exc})", report)
                continue
            if found is None:
                with self._tx() as s:
                    d = s.get(Delivery, delivery_id)
                    d.state, d.remote_state = S.retry_wait, {}
                    d.next_attempt_at = self.clock()
                    d.last_error = "the platform shows it was not published; publishing again"
                    self._close_attempt(s, attempt, "not_published", "")
                self.event(f"delivery {delivery_id}: reconciled: not published, will publish again", report)
            else:
                self._settle(delivery_id, attempt, found, report)
                self.event(f"delivery {delivery_id}: reconciled: {found.status}", report)
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
        with self.sessions() as s:
            return s.scalar(select(func.min(Attempt.started_at)).where(Attempt.delivery_id == delivery_id,
                                                                       Attempt.action.in_(("publish", "handoff"))))

    def _reconcile_later(self, delivery_id: int, attempt: int | None, why: str, report) -> None:
        with self.sessions() as s:
            tries = s.scalar(select(func.count()).select_from(Attempt).where(
                Attempt.delivery_id == delivery_id, Attempt.action == "reconcile"))
        if tries >= self.policy.max_reconciles:
            self._needs_attention(delivery_id, attempt, f"the platform could not tell after {tries} tries ({why})",
                                  report)
            return
        if attempt is not None:
            self._finish_attempt(attempt, "later", why)
        self._postpone(delivery_id, self.policy.reconcile_every, why)

    def _needs_attention(self, delivery_id: int, attempt: int | None, why: str, report) -> None:
        with self._tx() as s:
            d = s.get(Delivery, delivery_id)
            d.state, d.next_attempt_at = S.needs_attention, None
            d.last_error = scrub(why) + (f" Check the page, then `loa resolve {delivery_id} --published URL` "
                                         "or `--not-published`.")
            d.last_error_kind = "attention"
            if attempt is not None:
                self._close_attempt(s, attempt, "attention", why)
        self.event(f"delivery {delivery_id}: needs the officer's attention", report)

    # --- tokens and preflight ---------------------------------------------------------------
    def refresh_tokens(self, report: PassReport | None = None) -> int:
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
                        row.health, row.health_detail = ChannelHealth.reconnect, scrub(str(exc))
                self.event(f"channel {ch.name}: {exc}", report)
            except (RetryLater, OutcomeUnknown) as exc:
                self.event(f"channel {ch.name}: token refresh postponed ({exc})", report)
        return refreshed

    def preflight(self, report: PassReport | None = None) -> int:
        """Look at every delivery due in the next day and note what would stop it."""
        from .preflight import check_delivery

        now = self.clock()
        warned = 0
        with self._tx() as s:
            rows = list(s.scalars(select(Delivery).options(selectinload(Delivery.post).selectinload(Post.media),
                                                            selectinload(Delivery.channel))
                                  .where(Delivery.state.in_(WAITING),
                                         Delivery.due_at <= now + self.policy.preflight_ahead)))
            for d in rows:
                warnings = check_delivery(d, self.media_dir, now)
                text = "; ".join(warnings)
                if text != d.preflight:
                    d.preflight = text
                warned += bool(warnings)
        return warned

    # --- Facebook hand-off ----------------------------------------------------------------
    def hand_off(self, report: PassReport | None = None) -> int:
        """Hand Facebook posts due 10 minutes to 29 days ahead to Facebook's own scheduler."""
        now = self.clock()
        low = now + timedelta(minutes=10) + self.policy.handoff_margin
        high = now + timedelta(days=29)
        with self.sessions() as s:
            rows = list(s.scalars(select(Delivery).options(selectinload(Delivery.post), selectinload(Delivery.channel))
                                  .join(Channel, Channel.id == Delivery.channel_id)
                                  .where(Delivery.state == S.scheduled, Channel.platform == "facebook",
                                         Delivery.due_at >= low, Delivery.due_at <= high)))
            wanted = [d.id for d in rows if handoff_wanted(d.post, s.get(Campaign, d.post.campaign_id))]
        count = 0
        for delivery_id in wanted:
            with self._tx() as s:
                claimed = s.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.state == S.scheduled)
                                    .values(state=S.publishing, claimed_by=self.worker_id, claimed_at=now,
                                            attempt_count=Delivery.attempt_count + 1)).rowcount
            if not claimed:
                continue
            job, _ = self._load_job(delivery_id)
            job.item.schedule_at = job.due_at
            self._send(delivery_id, job, self._attempt(delivery_id, "handoff"), report)
            count += 1
        return count

    # --- passes ---------------------------------------------------------------------------
    def dispatch(self, report: PassReport | None = None, budget_seconds: float | None = None) -> int:
        """Publish due deliveries until none is due (or ``budget_seconds`` pass)."""
        started = time.monotonic()
        total = 0
        while not self.stopping:
            ids = self.claim()
            if not ids:
                break
            for i, delivery_id in enumerate(ids):
                if self.stopping:  # give back what was claimed and not started
                    for rest in ids[i:]:
                        self._release(rest, self.clock(), "")
                    return total
                self.publish(delivery_id, report)
                total += 1
            if budget_seconds is not None and time.monotonic() - started > budget_seconds:
                break
        return total

    def run_pass(self) -> PassReport:
        report = PassReport()
        self.heartbeat()
        self.recover_stale(report)
        self.mark_missed(report)
        self.reconcile(report)
        self.dispatch(report)
        self.follow_processing(report)
        return report

    def next_wakeup(self) -> datetime | None:
        """The earliest moment something is due: a delivery, a check, a reconcile."""
        with self.sessions() as s:
            return s.scalar(select(func.min(Delivery.next_attempt_at)).where(
                Delivery.state.in_((S.scheduled, S.retry_wait, S.processing, S.unknown))))

    def pending(self) -> int:
        """Deliveries not yet settled, future ones included."""
        with self.sessions() as s:
            return s.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.state.in_((S.scheduled, S.retry_wait, S.publishing, S.processing, S.unknown))))

    def idle(self) -> bool:
        """Nothing due now and nothing in flight (for `loa run --until-idle`)."""
        now = self.clock()
        with self.sessions() as s:
            busy = s.scalar(select(func.count()).select_from(Delivery).where(or_(
                Delivery.state.in_((S.publishing, S.processing, S.unknown, S.retry_wait)),
                and_(Delivery.state == S.scheduled, Delivery.next_attempt_at <= now))))
        return busy == 0


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
