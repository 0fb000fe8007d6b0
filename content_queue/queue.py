"""The queue: each channel's posting slots, filled in order. A post added with ``--next-slot`` (or a
CSV row whose ``at`` is ``slot``) takes the first free slot of every channel it goes to; the queue
can be shown and reordered; a queued post that is cancelled frees its slot, and the posts queued
after it on that channel move up one slot each, so no slot is left empty before a full one."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from . import slots as SL
from .errors import UserError
from .i18n import _
from .lifecycle import WAITING, Action, ErrorKind, Outcome, move
from .models import Campaign, Channel, Delivery, DeliveryState, Post

S = DeliveryState


def set_slots(s: Session, campaign: Campaign, channel: Channel, spec: str) -> str:
    """The channel's slots (``""`` clears them); their normal form."""
    channel.slots = "" if not (spec or "").strip() else str(SL.parse(spec))
    s.flush()
    return channel.slots


def _minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


def taken(s: Session, channel_id: int, since: datetime) -> set[datetime]:
    """The times (to the minute) at which this channel already has something going out."""
    rows = s.scalars(select(Delivery.due_at).where(Delivery.channel_id == channel_id, Delivery.state != S.cancelled,
                                                    Delivery.due_at >= since - timedelta(minutes=1)))
    return {_minute(t) for t in rows}


def next_free(s: Session, campaign: Campaign, channel: Channel, after: datetime,
              also_taken: set[datetime] | None = None) -> datetime | None:
    """The channel's first slot after ``after`` with nothing in it, up to the campaign's end; None
    when it has no slots or none is free before the end."""
    if not channel.slots:
        return None
    busy = taken(s, channel.id, after) | (also_taken or set())
    for t in SL.times(SL.parse(channel.slots), campaign.timezone, after, campaign.ends_on):
        if _minute(t) not in busy:
            return t
    return None


def slot_problem(campaign: Campaign, channel: Channel) -> str:
    if not channel.slots:
        return _("channel {name} has no posting slots: set them with `loa channel slots {name} \"tue,fri 19:00\"`.",
                 name=channel.name)
    return _("channel {name} has no free slot left before the campaign's end ({end}).", name=channel.name,
             end=campaign.ends_on.strftime("%d/%m/%Y") if campaign.ends_on else "?")


def queued(s: Session, campaign: Campaign, channel: Channel | None = None, *, now: datetime) -> list[Delivery]:
    """The queued deliveries still to go out, channel by channel, in the order they will."""
    q = (select(Delivery).join(Post, Post.id == Delivery.post_id)
         .where(Post.campaign_id == campaign.id, Post.queued.is_(True), Delivery.state.in_(WAITING))
         .options(selectinload(Delivery.post), selectinload(Delivery.channel)))
    if channel is not None:
        q = q.where(Delivery.channel_id == channel.id)
    return list(s.scalars(q.order_by(Delivery.channel_id, Delivery.due_at, Delivery.id)))


def _retime(s: Session, d: Delivery, when: datetime, now: datetime) -> None:
    d.due_at = d.next_attempt_at = when
    if d.state is not S.scheduled:
        move(s, d, S.scheduled, action=Action.reschedule, outcome=Outcome.asked, now=now, worker="officer",
             kind=ErrorKind.none, reason="")


def _post_due(post: Post) -> None:
    waiting = [d.due_at for d in post.deliveries if d.state in WAITING]
    if waiting:
        post.due_at = min(waiting)


def move_before(s: Session, campaign: Campaign, post_id: int, before_id: int, *, now: datetime) -> list[str]:
    """Put queued post ``post_id`` just before queued post ``before_id`` on every channel where both
    wait: the same slots stay filled, in the new order. What changed, per channel."""
    if post_id == before_id:
        raise UserError(_("A post cannot go before itself."))
    said = []
    both = False
    waiting = queued(s, campaign, now=now)  # channel by channel, in order
    for channel_id in sorted({d.channel_id for d in waiting}):
        line = [d for d in waiting if d.channel_id == channel_id]
        ids = [d.post_id for d in line]
        if post_id not in ids or before_id not in ids:
            continue
        both = True
        times = [d.due_at for d in line]
        moving = line.pop(ids.index(post_id))
        line.insert([d.post_id for d in line].index(before_id), moving)
        for d, t in zip(line, times):
            if d.due_at != t:
                _retime(s, d, t, now)
        said.append(line[0].channel.name)
    if not both:
        raise UserError(_("Posts {a} and {b} are not both waiting in the queue of one channel.", a=post_id, b=before_id),
                        fix=_("See `loa queue`."))
    for pid in (post_id, before_id):
        _post_due(s.get(Post, pid))
    s.flush()
    return said


def close_gaps(s: Session, campaign: Campaign, freed: list[tuple[int, datetime]], *, now: datetime) -> int:
    """Slots freed (a queued post cancelled): on each channel the queued posts after the freed slot
    move up one slot each. How many deliveries moved."""
    moved = 0
    for channel_id, freed_at in sorted(freed, key=lambda x: x[1], reverse=True):
        later = [d for d in queued(s, campaign, now=now) if d.channel_id == channel_id and d.due_at > freed_at]
        times = [freed_at] + [d.due_at for d in later]
        for d, t in zip(later, times):
            _retime(s, d, t, now)
            moved += 1
        for d in later:
            _post_due(d.post)
    s.flush()
    return moved


def listing(s: Session, campaign: Campaign, channel: Channel | None, *, now: datetime, show) -> list[dict[str, Any]]:
    """`loa queue` as data: per channel, its slots and its queued posts in order."""
    chans = [channel] if channel is not None else list(s.scalars(
        select(Channel).where(Channel.campaign_id == campaign.id, Channel.active.is_(True)).order_by(Channel.id)))
    rows = queued(s, campaign, channel, now=now)
    out = []
    for ch in chans:
        mine = [d for d in rows if d.channel_id == ch.id]
        nxt = next_free(s, campaign, ch, now) if ch.slots else None
        out.append({"channel": ch.name, "slots": ch.slots, "next_free": show(nxt) if nxt else None,
                    "queue": [{"post": d.post_id, "delivery": d.id, "due": show(d.due_at),
                               "text": " ".join((d.post.title or d.post.text).split())[:60]} for d in mine]})
    return out


def free_slots(s: Session, campaign: Campaign, start: datetime, end: datetime,
               channel_id: int | None = None) -> list[tuple[str, datetime]]:
    """The empty posting slots between ``start`` and ``end`` (for the calendar): (channel, when)."""
    out = []
    q = select(Channel).where(Channel.campaign_id == campaign.id, Channel.active.is_(True), Channel.slots != "")
    if channel_id is not None:
        q = q.where(Channel.id == channel_id)
    for ch in s.scalars(q.order_by(Channel.id)):
        busy = taken(s, ch.id, start)
        until = end.astimezone(SL.zone(campaign.timezone)).date()
        if campaign.ends_on is not None:
            until = min(until, campaign.ends_on)
        for t in SL.times(SL.parse(ch.slots), campaign.timezone, start, until, limit=500):
            if t < end and _minute(t) not in busy:
                out.append((ch.name, t))
    return sorted(out, key=lambda x: x[1])
