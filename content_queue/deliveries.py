"""What the officer sees and does about deliveries: status, retry, resolve."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from connectors import CONNECTORS

from .errors import NotFound, UserError
from .lifecycle import RESOLVABLE, RETRYABLE, Action, ErrorKind, Outcome, move
from .models import Campaign, Channel, ChannelHealth, Delivery, DeliveryState, Post
from .i18n import N_, _

S = DeliveryState


def _of_campaign(campaign: Campaign):
    return select(Delivery).join(Post, Post.id == Delivery.post_id).where(Post.campaign_id == campaign.id).options(
        selectinload(Delivery.post), selectinload(Delivery.channel))


def get_delivery(s: Session, campaign: Campaign, delivery_id: int) -> Delivery:
    d = s.scalar(_of_campaign(campaign).where(Delivery.id == delivery_id))
    if d is None:
        raise NotFound(_("No delivery {delivery_id}.", delivery_id=delivery_id), fix=_("`loa status` and `loa post show ID` list them."))
    return d


def retry(s: Session, campaign: Campaign, ids: list[int], *, all_failed: bool = False, channel: str | None = None,
          now: datetime | None = None) -> list[Delivery]:
    """Send failed, missed, cancelled or needs-attention deliveries again, as soon as possible."""
    now = now or datetime.now(timezone.utc)
    if all_failed:
        q = _of_campaign(campaign).where(Delivery.state.in_((S.failed, S.missed)))
        if channel:
            q = q.join(Channel, Channel.id == Delivery.channel_id).where(Channel.name == channel)
        rows = list(s.scalars(q))
    else:
        rows = [get_delivery(s, campaign, i) for i in ids]
    for d in rows:
        if d.state not in RETRYABLE:
            raise UserError(_("Delivery {id} is {value}; only failed, missed, cancelled or needs-attention "
                              "deliveries can be retried.", id=d.id, value=d.state.value))
        if d.state is S.needs_attention and d.remote_state:
            raise UserError(_("Delivery {id} may already be on {value}.", id=d.id, value=d.channel.platform.value),
                            fix=_("Check the page, then `loa resolve {id} --published URL` or `--not-published`.", id=d.id),
                            web_fix=_("Check the page, then settle it with its link, or as not published."))
        if d.channel.health is ChannelHealth.reconnect:
            raise UserError(_("Channel {name} must be connected again first.", name=d.channel.name),
                            fix=_("`loa channel connect {value} --name {name} --replace`.", value=d.channel.platform.value, name=d.channel.name),
                            web_fix=_("Press “Reconnect” beside it on the Channels page."))
        d.attempt_count, d.next_attempt_at = 0, now
        d.remote_state = {}  # nothing of a failed or missed attempt is on the platform
        move(s, d, S.retry_wait, action=Action.retry, outcome=Outcome.asked, now=now, worker="officer",
             kind=ErrorKind.none, reason=_("retry asked by the officer"))
    s.flush()
    return rows


def resolve(s: Session, campaign: Campaign, delivery_id: int, *, published_url: str | None,
            now: datetime | None = None) -> Delivery:
    """The officer settles a delivery reconciliation could not: it was published (with its link) or not."""
    now = now or datetime.now(timezone.utc)
    d = get_delivery(s, campaign, delivery_id)
    if d.state is S.in_inbox and published_url is None:
        raise UserError(_("Delivery {id} is a draft in the TikTok inbox: nothing was published to send again.",
                          id=d.id),
                        fix=_("Post it in the TikTok app, then give its link (--published URL); or dismiss it "
                              "(`loa resolve {id} --dismiss`).", id=d.id),
                        web_fix=_("Post it in the TikTok app, then paste its link; or dismiss it."))
    if d.state not in (*RESOLVABLE, S.in_inbox):
        raise UserError(_("Delivery {id} is {value}; only unknown or needs-attention deliveries are resolved.",
                          id=d.id, value=d.state.value))
    if published_url is not None:
        if not published_url.startswith(("http://", "https://")):
            raise UserError(_("{published_url!r} is not a web address.", published_url=published_url), fix=_("Paste the post's link from the "
                                                                              "platform."))
        d.remote_url, d.published_at, d.next_attempt_at = published_url, now, None
        move(s, d, S.published, action=Action.resolve, outcome=Outcome.published, now=now, worker="officer",
             detail=published_url, kind=ErrorKind.none, reason=_("marked published by the officer"))
    else:
        d.remote_state, d.next_attempt_at, d.attempt_count = {}, now, 0
        move(s, d, S.retry_wait, action=Action.resolve, outcome=Outcome.not_published, now=now, worker="officer",
             kind=ErrorKind.none, reason=_("marked not published by the officer; publishing again"))
    s.flush()
    return d


def dismiss_draft(s: Session, campaign: Campaign, delivery_id: int, *, now: datetime | None = None) -> Delivery:
    """The officer will not post this TikTok inbox draft: it is cancelled (never counted as
    published) and no longer reminded of; the draft itself stays in the TikTok app until deleted there."""
    now = now or datetime.now(timezone.utc)
    d = get_delivery(s, campaign, delivery_id)
    if d.state is not S.in_inbox:
        raise UserError(_("Delivery {id} is {value}; only a draft in the TikTok inbox is dismissed.",
                          id=d.id, value=d.state.value))
    d.next_attempt_at = None
    move(s, d, S.cancelled, action=Action.resolve, outcome=Outcome.asked, now=now, worker="officer",
         kind=ErrorKind.none, reason=_("the TikTok draft was dismissed by the officer"))
    s.flush()
    return d


def _take_down(s: Session, campaign: Campaign) -> list[dict[str, Any]]:
    from .clips import withdrawn_in_public_recaps

    return withdrawn_in_public_recaps(s, campaign)


def _series_running_out(s: Session, campaign: Campaign, now: datetime, show) -> list[dict[str, Any]]:
    from .series import running_out

    return running_out(s, campaign, now, show)


def status(s: Session, campaign: Campaign, now: datetime, show) -> dict[str, Any]:
    """Everything `loa status` shows, as plain data."""
    rows = list(s.scalars(_of_campaign(campaign).order_by(Delivery.due_at, Delivery.id)))

    def row(d: Delivery) -> dict[str, Any]:
        return {"id": d.id, "post": d.post_id, "channel": d.channel.name, "platform": d.channel.platform.value,
                "state": d.state.value, "due": show(d.due_at), "next_attempt": show(d.next_attempt_at),
                "attempts": d.attempt_count, "url": d.remote_url, "reason": d.last_error or None,
                "platform_message": d.platform_message or None, "preflight": d.preflight or None, "text": " ".join((d.post.title or d.post.text).split())[:60]}

    by = lambda *states: [row(d) for d in rows if d.state in states]  # noqa: E731
    counts = dict(s.execute(select(Delivery.state, func.count()).join(Post, Post.id == Delivery.post_id)
                            .where(Post.campaign_id == campaign.id).group_by(Delivery.state)).all())
    channels = []
    for ch in s.scalars(select(Channel).where(Channel.campaign_id == campaign.id, Channel.active.is_(True))):
        soon = ch.access_expires_at is not None and ch.access_expires_at < now + timedelta(days=1)
        channels.append({"name": ch.name, "platform": ch.platform.value, "health": ch.health.value,
                         "detail": ch.health_detail or None, "token_expires": show(ch.access_expires_at),
                         "token_expires_soon": soon, "refresh_expires": show(ch.refresh_expires_at),
                         "cooling_down_until": show(ch.cooldown_until) if ch.cooldown_until and ch.cooldown_until > now
                         else None})
    return {
        "now": show(now),
        "counts": {k.value: v for k, v in counts.items()},
        "due_next": by(S.scheduled)[:10],
        "retrying": by(S.retry_wait),
        "in_flight": by(S.publishing, S.processing),
        "needs_attention": by(S.unknown, S.needs_attention),
        "in_inbox": by(S.in_inbox),  # waiting for the officer to post them in the TikTok app
        "missed": by(S.missed),
        "failed": by(S.failed),
        "preflight_warnings": [r for r in by(S.scheduled, S.retry_wait) if r["preflight"]],
        "channels": channels,
        "take_down": _take_down(s, campaign),
        "series_running_out": _series_running_out(s, campaign, now, show),
    }


WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
            N_("Sunday"))
NEEDS = (S.failed, S.missed, S.unknown, S.needs_attention)


def overview(s: Session, campaign: Campaign, now: datetime, *, days: int = 7, limit: int = 50) -> dict[str, Any]:
    """What the workspace's overview shows, in a fixed number of queries whatever the campaign's
    size: the counts by state, today and the next ``days`` days, what needs the officer (each with
    whether it can be sent again), the channels to reconnect and whether a scheduler is running."""
    from .models import Worker
    from .timeutil import local as shown
    from .timeutil import zone

    tz = zone(campaign.timezone)
    local = lambda dt: dt.astimezone(tz)  # noqa: E731
    start = local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    platform_label = lambda p: CONNECTORS[p].label  # noqa: E731
    row = lambda d: delivery_row(d, tz)  # noqa: E731

    q = (_of_campaign(campaign).options(selectinload(Delivery.channel), selectinload(Delivery.post))
         .order_by(Delivery.due_at, Delivery.id))
    counts = dict(s.execute(select(Delivery.state, func.count()).join(Post, Post.id == Delivery.post_id)
                            .where(Post.campaign_id == campaign.id).group_by(Delivery.state)).all())
    needs = [row(d) for d in s.scalars(q.where(Delivery.state.in_(NEEDS)).limit(limit))]
    inbox = [row(d) for d in s.scalars(q.where(Delivery.state == S.in_inbox).limit(limit))]
    # what the preflight found in what goes out within the next day (`loa status` shows the same)
    warned = [row(d) for d in s.scalars(q.where(Delivery.state.in_((S.scheduled, S.retry_wait)),
                                               Delivery.preflight != "", Delivery.due_at <= now + timedelta(days=1))
                                        .limit(limit))]
    week = days_of(s, campaign, start, days + 1, per_day=12, row=row)
    for i, day in enumerate(week):
        name = _("Today") if i == 0 else _("Tomorrow") if i == 1 else _(WEEKDAYS[day["day"].weekday()])
        day["name"] = f"{name} {day['day']:%d/%m}"
        del day["day"]
    reconnect = [{"id": ch.id, "name": ch.name, "platform": ch.platform.value, "platform_label": platform_label(ch.platform.value),
                  "detail": ch.health_detail or None}
                 for ch in s.scalars(select(Channel).where(Channel.campaign_id == campaign.id,
                                                           Channel.active.is_(True),
                                                           Channel.health == ChannelHealth.reconnect))]
    from .approvals import awaiting as to_approve

    posts, awaiting_total = to_approve(s, campaign, limit=limit)
    awaiting = [{"id": p.id, "due": shown(p.due_at, tz), "text": " ".join((p.title or p.text).split())[:300],
                 "comment": p.approval_comment or None} for p in posts]
    beat = s.scalar(select(func.max(Worker.heartbeat_at)))
    if beat is not None and beat.tzinfo is None:
        beat = beat.replace(tzinfo=timezone.utc)
    order = [st.value for st in S]
    return {
        "now": shown(now, tz),
        "counts": sorted(((k.value, v) for k, v in counts.items()), key=lambda kv: order.index(kv[0])),
        "needs": needs,
        "inbox": inbox,
        "warnings": warned,
        "needs_more": max(0, sum(counts.get(st, 0) for st in NEEDS) - len(needs)),
        "week": week,
        "reconnect": reconnect,
        "take_down": _take_down(s, campaign),
        "series_running_out": _series_running_out(s, campaign, now, lambda t: shown(t, tz)),
        "awaiting_approval": awaiting,
        "awaiting_total": awaiting_total,
        "scheduler": {"running": beat is not None and now - beat < timedelta(minutes=2),
                      "last_beat": shown(beat, tz, seconds=True) if beat else None},
    }


def days_of(s: Session, campaign: Campaign, start: datetime, count: int, *, per_day: int = 12,
            channel_id: int | None = None, row=None) -> list[dict[str, Any]]:
    """``count`` days from ``start`` (local midnight), each with its deliveries (the first
    ``per_day`` in full, and how many more): what the overview's week and the calendar show, in
    two queries whatever the campaign's size."""
    # Each day's bounds as UTC instants (local midnights); SQL puts every delivery in its day and
    # returns only the first ``per_day`` of each, with the day's count: a month of a busy campaign
    # is a few hundred rows, not thousands.
    bounds = [(start + timedelta(days=i)).astimezone(timezone.utc) for i in range(count + 1)]
    day = case(*[(Delivery.due_at < bounds[i + 1], i) for i in range(count)], else_=count)
    ranked = (select(Delivery.id.label("id"), day.label("day"),
                     func.row_number().over(partition_by=day, order_by=(Delivery.due_at, Delivery.id)).label("rn"),
                     func.count().over(partition_by=day).label("n"))
              .join(Post, Post.id == Delivery.post_id)
              .where(Post.campaign_id == campaign.id, Delivery.due_at >= bounds[0], Delivery.due_at < bounds[-1],
                     Delivery.state != S.cancelled))
    if channel_id is not None:
        ranked = ranked.where(Delivery.channel_id == channel_id)
    ranked = ranked.subquery()
    by_day: dict[int, list[int]] = {}
    totals: dict[int, int] = {}
    for did, i, n in s.execute(select(ranked.c.id, ranked.c.day, ranked.c.n).where(ranked.c.rn <= per_day)
                                .order_by(ranked.c.day, ranked.c.rn)).all():
        by_day.setdefault(i, []).append(did)
        totals[i] = n
    shown = {did for ids in by_day.values() for did in ids}
    full = ({d.id: d for d in s.scalars(_of_campaign(campaign).options(selectinload(Delivery.channel),
                                                                        selectinload(Delivery.post))
                                         .where(Delivery.id.in_(shown)))} if shown else {})
    out = []
    for i in range(count):
        when = start + timedelta(days=i)
        ids = by_day.get(i, [])
        out.append({"date": when.date().isoformat(), "day": when, "items": [row(full[d]) for d in ids],
                    "more": max(0, totals.get(i, 0) - len(ids))})
    return out


def delivery_row(d: Delivery, tz) -> dict[str, Any]:
    """One delivery as the workspace's pages show it, times in the campaign's zone ``tz``."""
    from .lifecycle import label
    from .timeutil import local as shown

    local = d.due_at.astimezone(tz)
    return {"id": d.id, "post": d.post_id, "channel": d.channel.name, "platform": d.channel.platform.value,
            "platform_label": CONNECTORS[d.channel.platform.value].label, "state": d.state.value,
            "state_label": label(d.state), "due": shown(d.due_at, tz),
            "time": (d.published_at.astimezone(tz) if d.published_at else local).strftime("%H:%M"),
            "text": " ".join((d.post.title or d.post.text).split())[:120], "url": d.remote_url,
            "reason": d.last_error or None, "platform_message": d.platform_message or None,
            "preflight": d.preflight or None,
            "retryable": d.state in RETRYABLE and not (d.state is S.needs_attention and d.remote_state),
            "resolvable": d.state in (S.unknown, S.needs_attention)}
