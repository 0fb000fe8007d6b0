"""`loa run`: the engine on an APScheduler clock.

One job publishes: it runs a pass (recover, missed, reconcile, dispatch, follow) and then sets
itself to run again at the next moment anything is due, so the process sleeps until then instead
of polling. A light watch job notices, within seconds, a post added or moved by another process
and brings the next pass forward. Channel-level jobs refresh tokens, preflight the next day and
hand Facebook posts over. SIGTERM or Ctrl-C: no new claim is made, the call in flight finishes,
then the process exits; a second signal exits at once and the delivery in flight is reconciled
on the next start.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from .engine import Engine, PassReport
from content_queue.i18n import _

log = logging.getLogger("loa.runner")


class SpeedClock:
    """Campaign time running ``speed`` times faster than the wall clock (for rehearsals and the demo)."""

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        self.speed = speed
        self.start = start or datetime.now(timezone.utc)
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)

    def real_seconds_until(self, when: datetime) -> float:
        return max(0.0, (when - self()).total_seconds() / self.speed)


class Runner:
    def __init__(self, engine: Engine, clock: SpeedClock, *, watch_every: float = 2.0,
                 echo: Callable[[str], None] = print, max_sleep: float = 300.0) -> None:
        self.engine = engine
        self.clock = clock
        self.watch_every = watch_every
        self.echo = echo
        self.max_sleep = max_sleep
        self.scheduler: BlockingScheduler | None = None
        self._stops = 0
        self._lock = threading.Lock()

    # --- one pass, as used by --once and by the dispatch job ------------------------------
    def once(self) -> PassReport:
        self.engine.start_lease()
        self.engine.refresh_tokens()
        self.engine.hand_off()
        self.engine.preflight()
        return self.engine.run_pass()

    def until_idle(self, timeout: float | None = None, *, all_queued: bool = False) -> PassReport:
        """Pass after pass until nothing is due or in flight (``all_queued``: until every
        queued delivery, future ones included, is settled)."""
        total = PassReport()
        started = time.monotonic()
        first = True
        while not self.engine.stopping:
            report = self.once() if first else self.engine.run_pass()
            first = False
            _merge(total, report)
            if (self.engine.pending() == 0) if all_queued else self.engine.idle():
                break
            if timeout is not None and time.monotonic() - started > timeout:
                break
            nxt = self.engine.next_wakeup()
            wait = self.clock.real_seconds_until(nxt) if nxt else 1.0
            time.sleep(min(max(wait, 0.05), 1.0))
        self.engine.retire()
        return total

    # --- the long-running process ---------------------------------------------------------
    def _dispatch(self) -> None:
        try:
            with self._lock:
                self.engine.run_pass()
        except Exception:  # a database that cannot be written, say: logged, and tried again later
            log.exception("loa run: a pass failed; trying again at the next wake-up")
        finally:
            self._plan_next()

    def _plan_next(self) -> None:
        if self.scheduler is None or self.engine.stopping:
            return
        nxt = self.engine.next_wakeup()
        delay = self.max_sleep if nxt is None else min(self.max_sleep, self.clock.real_seconds_until(nxt))
        run_at = datetime.now(timezone.utc) + timedelta(seconds=delay)
        job = self.scheduler.get_job("dispatch")
        if job is None:
            self.scheduler.add_job(self._dispatch, "date", run_date=run_at, id="dispatch", max_instances=1,
                                   misfire_grace_time=None, replace_existing=True)
        elif job.next_run_time is None or run_at < job.next_run_time - timedelta(milliseconds=200):
            job.modify(next_run_time=run_at)

    def _watch(self) -> None:
        """Bring the next pass forward if another process added or moved something."""
        self._plan_next()

    def _channel_job(self, fn: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            with self._lock:
                fn()
        return run

    def forever(self, install_signals: bool = True) -> None:
        """Run until stopped; ``install_signals``: Ctrl-C and SIGTERM stop it (the main thread only:
        `loa serve` runs it on a thread of its own and stops it itself)."""
        sched = BlockingScheduler(timezone=timezone.utc, executors={"default": ThreadPoolExecutor(2)},
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60})
        self.scheduler = sched
        now = datetime.now(timezone.utc)
        self.engine.start_lease()  # renewed on its own thread, never waiting for a job or a lock
        sched.add_job(self._dispatch, "date", run_date=now, id="dispatch")
        sched.add_job(self._watch, "interval", seconds=self.watch_every, id="watch")
        sched.add_job(self._channel_job(self.engine.refresh_tokens), "interval", minutes=10, id="refresh",
                      next_run_time=now)
        sched.add_job(self._channel_job(self.engine.preflight), "interval", minutes=15, id="preflight",
                      next_run_time=now)
        sched.add_job(self._channel_job(self.engine.hand_off), "interval", minutes=5, id="handoff",
                      next_run_time=now)
        sched.add_job(self._channel_job(lambda: self.engine.read_numbers(due_only=True)), "interval", minutes=30,
                      id="insights", next_run_time=now + timedelta(minutes=1))
        if install_signals:
            self._install_signals()
        self.echo(_("loa run: worker {worker_id} started; Ctrl-C to stop.", worker_id=self.engine.worker_id))
        try:
            sched.start()
        finally:
            self.engine.retire()
            self.echo(_("loa run: stopped cleanly."))

    def stop(self) -> None:
        self.engine.stopping = True
        if self.scheduler is not None and self.scheduler.running:
            threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    def _install_signals(self) -> None:
        def handler(signum, frame) -> None:
            self._stops += 1
            if self._stops > 1:
                self.echo(_("loa run: stopping now; the delivery in flight will be checked on the next start."))
                raise SystemExit(130)
            self.echo(_("loa run: stopping after the call in flight (press Ctrl-C again to stop at once)…"))
            self.stop()

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)


def _merge(total: PassReport, r: PassReport) -> None:
    for key in ("published", "processing", "retry", "failed", "unknown", "missed", "recovered", "reconciled"):
        setattr(total, key, getattr(total, key) + getattr(r, key))
    total.events.extend(r.events)
