"""Claims and leases: which worker holds which delivery, and what happens when one stops.

A worker's lease is its row in ``workers``, renewed by a thread of its own (:class:`Lease`),
independent of the job pool and of any lock the engine holds, so a long upload never lets another
worker take a live claim for a dead one. A delivery left ``publishing`` by a worker whose lease ran
out, or by this worker without a call in flight (it lost track of it), becomes ``unknown`` and is
reconciled by asking the platform: never sent again blindly.

Claims are atomic: ``UPDATE ... WHERE state IN (waiting) ... RETURNING`` on SQLite (writers are
serialised), ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers can
share one database. The claim remembers the state it took the delivery from, so a claim given back
untouched (a budget said wait) returns it there.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from content_queue.approvals import held
from content_queue.lifecycle import WAITING, Action, ErrorKind, Outcome
from content_queue.models import Campaign, Channel, ChannelHealth, Delivery, DeliveryState, Post, Worker
from content_queue.timeutil import show
from content_queue.i18n import _

log = logging.getLogger("loa.scheduler")
S = DeliveryState


class Lease(threading.Thread):
    """Renews a worker's heartbeat every ``every`` seconds until stopped."""

    def __init__(self, beat, every: float) -> None:
        super().__init__(name="loa-lease", daemon=True)
        self.beat, self.every = beat, every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                self.beat()
            except Exception:  # a database hiccup: try again at the next beat
                log.warning("heartbeat failed; will try again", exc_info=True)

    def stop(self) -> None:
        self.stopped.set()


class Claims:
    """Mixed into :class:`scheduler.engine.Engine`."""

    # --- the worker's lease ---------------------------------------------------------------
    def heartbeat(self) -> None:
        now = self.clock()
        if self.started_at is None:
            self.started_at = now
        with self._tx() as s:
            w = s.get(Worker, self.worker_id)
            if w is None:
                s.add(Worker(id=self.worker_id, host=socket.gethostname(), pid=os.getpid(), started_at=now,
                             heartbeat_at=now))
            else:
                w.heartbeat_at = now

    def start_lease(self) -> Lease:
        """Beat now, then on a thread of its own, a third of the lease apart."""
        self.heartbeat()
        if self._lease is None or not self._lease.is_alive():
            self._lease = Lease(self.heartbeat, max(0.2, self.policy.lease_seconds / 3))
            self._lease.start()
        return self._lease

    def retire(self) -> None:
        if self._lease is not None:
            self._lease.stop()
            self._lease.join(timeout=5)
            self._lease = None
        with self._tx() as s:
            w = s.get(Worker, self.worker_id)
            if w is not None:
                s.delete(w)

    def _live_workers(self, s: Session) -> dict[str, datetime]:
        """Live workers and when each started; stale rows are removed."""
        now = self.clock()
        live: dict[str, datetime] = {}
        host = socket.gethostname()
        for w in s.scalars(select(Worker)):
            stale = w.heartbeat_at < now - timedelta(seconds=self.policy.lease_seconds)
            if not stale and w.host == host and w.id != self.worker_id and not _pid_alive(w.pid):
                stale = True  # same machine, process gone: no need to wait for the lease
            if w.id == self.worker_id:
                live[w.id] = w.started_at
            elif not stale:
                live[w.id] = w.started_at
            else:
                s.delete(w)
        live.setdefault(self.worker_id, now)
        return live

    def running_since(self) -> datetime:
        """Since when some worker has been running without a break: a delivery due before that
        fell due while nothing ran (a backlog)."""
        now = self.clock()
        with self.sessions() as s:
            first = s.scalar(select(func.min(Worker.started_at)).where(
                Worker.id != self.worker_id, Worker.heartbeat_at >= now - timedelta(seconds=self.policy.lease_seconds)))
        mine = self.started_at or now
        return min(first, mine) if first is not None else mine

    def recover_stale(self, report=None) -> int:
        """Deliveries left ``publishing`` by a stopped worker, or by this one without a call in
        flight, become ``unknown``."""
        with self._in_flight_lock:
            mine = set(self._in_flight)
        now = self.clock()
        with self._tx() as s:
            live = set(self._live_workers(s))
            others = live - {self.worker_id}
            rows = list(s.scalars(select(Delivery).where(
                Delivery.state == S.publishing,
                or_(Delivery.claimed_by.is_(None), Delivery.claimed_by.not_in(others)))))
            found = []
            for d in rows:
                if d.claimed_by == self.worker_id and d.id in mine:
                    continue  # a call of this worker's is under way
                who = _("this worker lost track of it") if d.claimed_by == self.worker_id else \
                    _("worker {worker} stopped mid-call", worker=d.claimed_by)
                d.next_attempt_at = now
                self._lifecycle_move(s, d, S.unknown, Action.recover, Outcome.unknown, detail=who,
                                     kind=ErrorKind.unknown,
                                     reason=_("loa stopped while publishing this; asking the platform whether it "
                                              "went out"))
                found.append((d.id, who))
        for delivery_id, who in found:
            self.event(_("delivery {delivery_id}: {who}; will reconcile", delivery_id=delivery_id, who=who), report)
        if report:
            report.recovered += len(found)
        return len(found)

    # --- missed and claimed ---------------------------------------------------------------
    def mark_missed(self, report=None) -> int:
        """A delivery never tried, waiting for its turn longer than its campaign's grace window
        (nothing ran at its time), is missed. Decided by its time, never by a counter: a retry the
        officer asked for is ``retry_wait`` and never missed; a delivery a budget put back has its
        next turn ahead."""
        now = self.clock()
        count = 0
        with self._tx() as s:
            for campaign in s.scalars(select(Campaign)):
                cutoff = now - timedelta(minutes=campaign.grace_minutes)
                post_ids = select(Post.id).where(Post.campaign_id == campaign.id)
                rows = list(s.scalars(select(Delivery).where(
                    Delivery.state == S.scheduled, Delivery.due_at < cutoff,
                    or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at < cutoff),
                    Delivery.post_id.in_(post_ids), Delivery.post_id.not_in(held()))))
                for d in rows:
                    d.next_attempt_at = None
                    self._lifecycle_move(
                        s, d, S.missed, Action.miss, Outcome.missed, kind=ErrorKind.missed,
                        reason=(_("due {time} while loa was not running, more than {grace_minutes} minutes ago; "
                                  "`loa post reschedule` or `loa retry` it",
                                  time=show(d.due_at, campaign.timezone), grace_minutes=campaign.grace_minutes)))
                count += len(rows)
        if count:
            self.event(_("{count} delivery(ies) missed their time while loa was off", count=count), report)
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
                      Delivery.channel_id.not_in(cooling), Delivery.channel_id.not_in(inactive),
                      Delivery.post_id.not_in(held()))  # awaiting an approver: never published
               .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit))
        # In SQL every right-hand side reads the row as it was: claimed_from gets the old state.
        values = dict(claimed_from=Delivery.state, state=S.publishing, claimed_by=self.worker_id, claimed_at=now,
                      attempt_count=Delivery.attempt_count + 1, updated_at=now)
        with self._tx() as s:
            if self.dialect == "postgresql":
                ids = list(s.scalars(due.with_for_update(skip_locked=True)))
                if ids:
                    s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(**values))
            else:
                stmt = (update(Delivery).where(Delivery.id.in_(due.scalar_subquery()), Delivery.state.in_(WAITING))
                        .values(**values).returning(Delivery.id))
                ids = list(s.scalars(stmt))
        with self._in_flight_lock:
            self._in_flight.update(ids)
        return ids

    def _release(self, delivery_id: int, until: datetime, why: str) -> None:
        """Give a claim back untouched (nothing was sent), to the state it was claimed from."""
        try:
            with self._tx() as s:
                d = s.get(Delivery, delivery_id)
                if d.state is S.publishing and d.claimed_by == self.worker_id:
                    d.attempt_count -= 1
                    d.next_attempt_at = until
                    d.preflight = why
                    self._lifecycle_move(s, d, d.claimed_from or S.scheduled, Action.release, Outcome.released,
                                         detail=why)
        finally:
            self._done(delivery_id)

    def _done(self, delivery_id: int) -> None:
        with self._in_flight_lock:
            self._in_flight.discard(delivery_id)


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
