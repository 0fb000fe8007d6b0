"""A delivery's life: the allowed moves, in one table, and the one function that makes them.

::

    scheduled ──claim──▶ publishing ──▶ published
        ▲                    │  ├──▶ processing (platform still encoding) ──▶ published | failed
        │                    │  ├──▶ retry_wait (nothing was published: 5xx, 429, network before send)
        └──release───────────┘  ├──▶ failed (rejected content, dead credentials: reason shown)
                                └──▶ unknown (sent, no answer) ──reconcile──▶ published | retry_wait | needs_attention
    scheduled ──(due while nothing ran, past the grace window)──▶ missed
    any waiting state ──▶ cancelled        failed | missed | cancelled | needs_attention ──retry──▶ retry_wait
    publishing | processing | unknown ──▶ in_inbox (a TikTok draft, never "published") ──▶ published
        (the person posted it in the app: TikTok says so, or the officer does) | cancelled (dismissed)

Every move but the claims (one conditional UPDATE for many rows, see the scheduler) goes through
:func:`move`, which refuses a move the table does not hold and appends the delivery's
:class:`~content_queue.models.Attempt`: it closes the attempt a call opened, or records the move
as an attempt of its own (missed, released, recovered, the officer's retry or resolve).
"""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy.orm import Session

from .i18n import N_, _
from .models import Attempt, Delivery, DeliveryState

S = DeliveryState


class Action(str, enum.Enum):
    """What an attempt did (``Attempt.action``)."""

    publish = "publish"
    handoff = "handoff"  # uploaded early to Facebook's own scheduler
    follow = "follow"  # a status check of something processing on the platform
    reconcile = "reconcile"  # "did it go out?" after a lost answer
    release = "release"  # a claim given back untouched (a budget said wait)
    recover = "recover"  # a claim left by a stopped worker, or one this worker lost track of
    miss = "miss"  # due while nothing ran, past the grace window
    retry = "retry"  # the officer asked to send it again
    resolve = "resolve"  # the officer said whether it went out
    reschedule = "reschedule"
    cancel = "cancel"


class Outcome(str, enum.Enum):
    """How an attempt ended (``Attempt.outcome``)."""

    started = "started"  # the call is under way (or its worker stopped mid-call)
    published = "published"
    processing = "processing"
    scheduled = "scheduled"  # held by the platform's own scheduler
    in_inbox = "in_inbox"  # a draft in the creator's TikTok inbox
    retry = "retry"
    failed = "failed"
    credentials = "credentials"
    unknown = "unknown"
    not_published = "not_published"
    cannot_tell = "cannot_tell"
    attention = "attention"
    released = "released"
    missed = "missed"
    asked = "asked"  # a move the officer asked for


class ErrorKind(str, enum.Enum):
    """Why a delivery is where it is (``Delivery.last_error_kind``)."""

    none = ""
    retry = "retry"
    rejected = "rejected"
    credentials = "credentials"
    unknown = "unknown"
    attention = "attention"
    missed = "missed"


WAITING = (S.scheduled, S.retry_wait)  # what a worker may claim
IN_FLIGHT = (S.publishing, S.processing, S.unknown)  # sent, or being sent: not settled yet
UNSETTLED = (*WAITING, *IN_FLIGHT)  # what `loa run --until-idle` waits for
NEEDS_OFFICER = (S.needs_attention,)
RETRYABLE = (S.failed, S.missed, S.cancelled, S.needs_attention)  # `loa retry`
RESOLVABLE = (S.unknown, S.needs_attention, S.publishing, S.processing)  # `loa resolve`
RESCHEDULABLE = (S.scheduled, S.retry_wait, S.missed)  # `loa post reschedule` / `cancel`
IN_INBOX = (S.in_inbox,)  # waiting for the person to post it in the TikTok app: reminded until then

# What the officer reads for each state (the glossary's words); the codes stay for --json and CSV.
LABELS = {
    S.scheduled: N_("Scheduled"), S.publishing: N_("Publishing"), S.processing: N_("Processing"),
    S.retry_wait: N_("Waiting to retry"), S.published: N_("Published"), S.failed: N_("Failed"),
    S.unknown: N_("Result unknown"), S.needs_attention: N_("Needs checking"), S.missed: N_("Missed"),
    S.cancelled: N_("Cancelled"), S.in_inbox: N_("In the TikTok inbox"),
}


def label(state: DeliveryState | str) -> str:
    """The state's name in the officer's language (``Chờ đăng``)."""
    return _(LABELS[S(state)])

# from-state -> the states it may move to
TRANSITIONS: dict[DeliveryState, frozenset[DeliveryState]] = {
    S.scheduled: frozenset({S.publishing, S.missed, S.cancelled, S.scheduled}),
    S.retry_wait: frozenset({S.publishing, S.cancelled, S.scheduled}),
    S.publishing: frozenset({S.published, S.processing, S.retry_wait, S.failed, S.unknown, S.in_inbox,
                             S.scheduled}),  # scheduled | retry_wait: a claim released untouched
    S.processing: frozenset({S.published, S.processing, S.retry_wait, S.failed, S.unknown, S.needs_attention,
                             S.in_inbox}),
    S.unknown: frozenset({S.published, S.processing, S.retry_wait, S.failed, S.needs_attention, S.unknown,
                          S.in_inbox}),
    # the person posted it (TikTok says so, or the officer), or the officer dismissed it; a draft
    # TikTok says failed is sent again or failed, as any refused upload
    S.in_inbox: frozenset({S.published, S.cancelled, S.in_inbox, S.retry_wait, S.failed, S.needs_attention}),
    S.needs_attention: frozenset({S.published, S.retry_wait}),
    S.missed: frozenset({S.retry_wait, S.scheduled, S.cancelled}),
    S.failed: frozenset({S.retry_wait}),
    S.cancelled: frozenset({S.retry_wait}),
    S.published: frozenset(),
}


# What happens when a delivery goes out, decided by rules above this file (a quiz's answer follows
# its quiz: content_queue/answers.py). They register here; the package's __init__ imports them, so
# they are in force wherever a delivery moves. The lifecycle itself calls no rule above it.
AFTER_PUBLISHED: list[Callable[[Session, Delivery, datetime], None]] = []


def after_published(rule: Callable[[Session, Delivery, datetime], None]):
    """Register ``rule(session, delivery, now)`` to run in the same transaction as every move to
    published (once, however often its module is imported)."""
    if rule not in AFTER_PUBLISHED:
        AFTER_PUBLISHED.append(rule)
    return rule


class IllegalMove(RuntimeError):
    """A move the table does not allow: a bug, never the officer's doing."""


def allowed(frm: DeliveryState, to: DeliveryState) -> bool:
    return to in TRANSITIONS.get(frm, frozenset())


def move(s: Session, d: Delivery, to: DeliveryState, *, action: Action, outcome: Outcome, detail: str = "",
         attempt_id: int | None = None, worker: str = "", now: datetime | None = None,
         kind: ErrorKind | None = None, reason: str | None = None, platform_said: str = "") -> Attempt:
    """Move ``d`` to ``to`` and append its Attempt (closing ``attempt_id`` if a call opened one).

    ``reason`` and ``kind`` set what the officer reads (``last_error``), with ``platform_said``, the
    platform's own words, beside it (``platform_message``); ``detail`` goes to the attempt. The
    caller commits."""
    if not allowed(d.state, to):
        raise IllegalMove(f"delivery {d.id}: {d.state.value} -> {to.value} is not an allowed move")
    now = now or datetime.now(timezone.utc)
    d.state = to
    d.updated_at = now
    if reason is not None:
        d.last_error = _scrub(reason)
        d.platform_message = _scrub(platform_said)
    if kind is not None:
        d.last_error_kind = kind.value
    if to not in (S.publishing,):
        d.claimed_by = None
    attempt = s.get(Attempt, attempt_id) if attempt_id is not None else None
    if attempt is None:
        attempt = Attempt(delivery_id=d.id, action=action.value, worker=worker, started_at=now)
        s.add(attempt)
    attempt.outcome = outcome.value
    attempt.detail = _scrub(detail)[:2000]
    attempt.finished_at = now
    if to is S.published:
        for rule in AFTER_PUBLISHED:
            rule(s, d, now)
    return attempt


def open_attempt(s: Session, d: Delivery, action: Action, *, worker: str, now: datetime) -> Attempt:
    """The attempt of a call about to be made, committed before the call (no move)."""
    a = Attempt(delivery_id=d.id, action=action.value, outcome=Outcome.started.value, worker=worker, started_at=now)
    s.add(a)
    s.flush()
    return a


def _scrub(text: str) -> str:
    from connectors.credentials import scrub

    return scrub(text or "")


def waiting_deliveries(post) -> list[Delivery]:
    """The deliveries of ``post`` that have not gone out and can still be moved or cancelled."""
    return [d for d in post.deliveries if d.state in RESCHEDULABLE]
