"""The publishing engine: every step of a delivery's life, each in short transactions.

The rule that keeps a post from going out twice (architecture page): before any call that can
publish, the delivery's state and what it is about to do are committed; whatever the platform
hands back that identifies the post is committed the moment it arrives (the connector's
``checkpoint``). A delivery found ``publishing`` with no call in flight behind it is never sent
again blindly: it becomes ``unknown`` and is reconciled by asking the platform.

The engine is put together from its parts, each a module of its own:

- :mod:`scheduler.claims`: the worker's lease (on its own thread), claims, missed, recovery;
- :mod:`scheduler.publishing`: publishing one delivery and what each answer means;
- :mod:`scheduler.followup`: following what the platform is processing, and reconciliation;
- :mod:`scheduler.maintenance`: token refresh, preflight, the Facebook hand-off;
- :mod:`scheduler.budgets`: the platforms' rate budgets and the backlog's pacing.

Every move of a delivery goes through :func:`content_queue.lifecycle.move`, the one table of
allowed moves.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from connectors import CONNECTORS, Connector, CredentialsDead
from connectors.credentials import Secret
from connectors.http import Http
from content_queue import lifecycle
from content_queue.approvals import held
from content_queue.errors import UserError
from content_queue.lifecycle import IN_FLIGHT, WAITING, Action, Outcome
from content_queue.models import Attempt, Campaign, Channel, ChannelHealth, Delivery, DeliveryState, Post

from .budgets import BudgetContext, Budgets
from .claims import Claims
from .followup import FollowUp
from .items import Job, job_of
from .insights import Insights
from .maintenance import Maintenance
from .publishing import Publishing
from content_queue.i18n import _

log = logging.getLogger("loa.scheduler")
S = DeliveryState


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Policy:
    """How patient the engine is. Defaults suit one office on a slow line."""

    max_attempts: int = 8
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0
    follow_every: float = 15.0  # seconds between checks of an item processing on the platform
    inbox_every: float = 3600.0  # seconds between asks whether a TikTok draft was posted in the app
    reconcile_every: float = 30.0
    max_reconciles: int = 20  # then the officer decides (needs_attention)
    lease_seconds: float = 90.0  # a worker silent this long has stopped; its claims are recovered
    claim_batch: int = 20
    refresh_ahead: timedelta = timedelta(hours=2)
    preflight_ahead: timedelta = timedelta(hours=24)
    handoff_margin: timedelta = timedelta(minutes=5)  # beyond Facebook's 10-minute minimum
    catch_up_after: timedelta = timedelta(minutes=2)  # a delivery this late is part of a backlog
    catch_up_spacing: timedelta = timedelta(minutes=2)  # one backlog post per channel per this much time

    zalo_rate_limit_wait: float | None = None  # Zalo's rate-limit answer says no wait: 60 s unless set
    processing_window: float | None = None  # seconds; a rehearsal's sandbox processes in a second, not minutes
    reconcile_cap: float = 900.0  # "cannot tell" is asked again at most this far apart (or 30 x reconcile_every)


@dataclass
class PassReport:
    published: int = 0
    processing: int = 0
    in_inbox: int = 0  # sent to the TikTok inbox as drafts: not published
    retry: int = 0
    failed: int = 0
    unknown: int = 0
    missed: int = 0
    recovered: int = 0
    reconciled: int = 0
    events: list[str] = field(default_factory=list)


class Engine(Claims, Publishing, FollowUp, Maintenance, Insights):
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
        self._lease = None
        self.started_at: datetime | None = None  # this worker's first heartbeat
        self._in_flight: set[int] = set()  # deliveries this worker has claimed and not let go of
        self._in_flight_lock = threading.Lock()
        self._reads_paused: dict[str, datetime] = {}  # platform -> until when it asked reads to wait
        self.budgets = Budgets(BudgetContext(sessions=sessions, clock=clock, policy=self.policy,
                                             running_since=self.running_since))
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
        return CONNECTORS[platform](credentials, settings, http=self.http, on_credentials=on_credentials,
                                    clock=self.clock, sleep=self.sleep,
                                    rate_limit_wait=self.policy.zalo_rate_limit_wait,
                                    processing_window=self.policy.processing_window)

    def _connector(self, job_or_channel) -> Connector:
        channel_id = job_or_channel.channel_id if isinstance(job_or_channel, Job) else job_or_channel.id
        version = job_or_channel.credentials_version

        def store(new: dict[str, Any]) -> None:
            self._store_credentials(channel_id, version, new)

        try:
            creds = job_or_channel.credentials
        except UserError as exc:  # sealed with a key that is not here (content_queue/vault.py)
            self._flag_reconnect(channel_id, exc)
            raise CredentialsDead(str(exc)) from None
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
        self.event(_("channel {channel_id}: credentials refreshed and stored", channel_id=channel_id))

    def _save_state(self, delivery_id: int, state: dict[str, Any]) -> None:
        with self._tx() as s:
            s.execute(update(Delivery).where(Delivery.id == delivery_id).values(remote_state=dict(state),
                                                                               updated_at=self.clock()))

    def _open_attempt(self, delivery_id: int, action: Action) -> int:
        """The attempt of a call about to be made, committed before the call."""
        with self._tx() as s:
            return lifecycle.open_attempt(s, s.get(Delivery, delivery_id), action, worker=self.worker_id,
                                          now=self.clock()).id

    def _finish_attempt(self, attempt_id: int, outcome: Outcome, detail: str) -> None:
        with self._tx() as s:
            a = s.get(Attempt, attempt_id)
            a.outcome, a.detail, a.finished_at = outcome.value, detail[:2000], self.clock()

    def _lifecycle_move(self, s: Session, d: Delivery, to: DeliveryState, action: Action, outcome: Outcome,
                        **kw) -> Attempt:
        return lifecycle.move(s, d, to, action=action, outcome=outcome, worker=self.worker_id, now=self.clock(), **kw)

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
        if self._lease is None:  # a pass run on its own (tests, one-off calls): beat once
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
                Delivery.state.in_((*WAITING, S.processing, S.unknown)), Delivery.post_id.not_in(held())))

    def pending(self) -> int:
        """Deliveries not yet settled, future ones included."""
        with self.sessions() as s:
            return s.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.state.in_(lifecycle.UNSETTLED), Delivery.post_id.not_in(held())))

    def idle(self) -> bool:
        """Nothing due, waiting or in flight (for `loa run --until-idle`): a delivery whose time
        has come counts until it is settled, also while a budget, a backoff or the backlog's
        pacing holds it back. Only deliveries whose channel was removed or must be connected again,
        and posts awaiting an approver, are left to the officer (`loa status` shows them): nothing
        moves them until then."""
        now = self.clock()
        blocked = select(Channel.id).where(Channel.active.is_(False) | (Channel.health == ChannelHealth.reconnect))
        with self.sessions() as s:
            busy = s.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.channel_id.not_in(blocked), Delivery.post_id.not_in(held()),
                or_(Delivery.state.in_(IN_FLIGHT), and_(Delivery.state.in_(WAITING), Delivery.due_at <= now))))
        return busy == 0
