"""The campaign's figures, from the database: what went out where and when, what failed and why,
the clips received, and the recaps. One function gathers them; loa.report lays them out."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .consent import displayed_name, publishable
from .i18n import N_, _
from .models import Campaign, Channel, Clip, ClipStatus, Delivery, DeliveryState, Post, Recap

AGE_BANDS = ((0, 11, N_("under 12")), (12, 15, "12–15"), (16, 18, "16–18"), (19, 24, "19–24"), (25, 200, "25+"))
UNKNOWN_AGE = N_("unknown")


def age_band(age: int | None) -> str:
    """The age band the report counts ``age`` in, in the officer's language."""
    if age is None:
        return _(UNKNOWN_AGE)
    return next(_(label) for low, high, label in AGE_BANDS if low <= age <= high)


def recap_ref(source: str) -> tuple[bool, int | None]:
    """Is a post a recap's (source ``recap`` or ``recap N``), and which recap, when known."""
    if source == "recap":
        return True, None
    head, _, number = source.partition(" ")
    if head == "recap" and number.isdigit():
        return True, int(number)
    return False, None


def collect(s: Session, campaign: Campaign, now: datetime, show: Callable[[datetime | None], str],
            guardian_age: int | None = None) -> dict[str, Any]:
    guardian_age = guardian_age or campaign.guardian_age
    deliveries = list(s.scalars(
        select(Delivery).join(Post, Post.id == Delivery.post_id).where(Post.campaign_id == campaign.id)
        .options(selectinload(Delivery.post), selectinload(Delivery.channel)).order_by(Delivery.due_at, Delivery.id)))
    numbers = latest_numbers(s, [d.id for d in deliveries if d.state is DeliveryState.published], show)
    channels = []
    for ch in s.scalars(select(Channel).where(Channel.campaign_id == campaign.id).order_by(Channel.id)):
        rows = [d for d in deliveries if d.channel_id == ch.id]
        states = Counter(d.state.value for d in rows)
        channels.append({
            "name": ch.name, "platform": ch.platform.value, "account": ch.account_id, "health": ch.health.value,
            "counts": dict(states),
            "deliveries": [{
                "id": d.id, "post": d.post_id, "title": " ".join((d.post.title or d.post.text).split())[:90],
                "state": d.state.value, "due": show(d.due_at), "published": show(d.published_at),
                "late_minutes": (round((d.published_at - d.due_at).total_seconds() / 60, 1)
                                 if d.published_at else None),
                "url": d.remote_url, "reason": d.last_error or None, "platform_message": d.platform_message or None,
                "attempts": d.attempt_count, "recap": recap_ref(d.post.source)[0],
                "numbers": numbers.get(d.id)} for d in rows]})
    kept = campaign.purged or None  # after the keeping period: the figures taken before the erasure
    clips = ({**kept["clips"], "list": []} if kept else clip_figures(s, campaign, guardian_age))
    recaps = []
    made = list(s.scalars(select(Recap).where(Recap.campaign_id == campaign.id).order_by(Recap.created_at, Recap.id)))
    for i, r in enumerate(made):
        until = made[i + 1].created_at if i + 1 < len(made) else None

        def of_this(post) -> bool:
            is_recap, ref = recap_ref(post.source)
            if ref is not None:
                return ref == r.id
            # a file made elsewhere: posts queued as recaps after this one was made and before the next
            return is_recap and post.created_at >= r.created_at and (until is None or post.created_at < until)

        where = [{"channel": d.channel.name, "platform": d.channel.platform.value, "state": d.state.value,
                  "url": d.remote_url, "published": show(d.published_at), "numbers": numbers.get(d.id)}
                 for d in deliveries if of_this(d.post)]
        recaps.append({"id": r.id, "made": show(r.created_at), "clips": list((r.clip_ids or {}).get("ids", [])),
                       "duration": (r.settings or {}).get("duration"), "format": (r.settings or {}).get("format"),
                       "file": (r.settings or {}).get("file"), "published": where,
                       "reach": added_up(p["numbers"] for p in where)})
    totals = Counter(d.state.value for d in deliveries)
    attention = [d for d in deliveries if d.state in (DeliveryState.failed, DeliveryState.needs_attention,
                                                      DeliveryState.unknown, DeliveryState.missed)]
    return {
        "campaign": {"name": campaign.name, "hashtags": campaign.hashtag_list, "message": campaign.message,
                     "timezone": campaign.timezone, "starts_on": str(campaign.starts_on or ""),
                     "ends_on": str(campaign.ends_on or "")},
        "generated": show(now),
        "totals": {"posts": len({d.post_id for d in deliveries}), "deliveries": len(deliveries),
                   "published": totals.get("published", 0), "failed": totals.get("failed", 0),
                   # TikTok drafts in the creator's inbox: sent, not published (counted apart, never reach)
                   "in_inbox": totals.get("in_inbox", 0),
                   "waiting": sum(totals.get(k, 0) for k in ("scheduled", "retry_wait", "processing", "publishing")),
                   "needs_attention": len(attention), "states": dict(totals)},
        "channels": channels,
        "attention": [{"id": d.id, "channel": d.channel.name, "state": d.state.value, "due": show(d.due_at),
                       "title": " ".join((d.post.title or d.post.text).split())[:90], "reason": d.last_error,
                       "platform_message": d.platform_message or None}
                      for d in attention],
        "clips": clips,
        "recaps": recaps,
        "reach": {**reach_totals(channels), "over_time": views_over_time(s, campaign, zone_of(campaign))},
        "quizzes": quiz_pairs(deliveries, show),
        "pledges": kept["pledges"] if kept else pledge_counts(s, campaign),
        "purged": {"at": show(datetime.fromisoformat(kept["at"])), "erased": kept.get("erased", {})} if kept else None,
        "frame_downloads": campaign.frame_downloads,
    }


REACH_METRICS = ("views", "reach", "reactions", "comments", "shares")
METRIC_LABELS = {"views": N_("views"), "reach": N_("reach"), "reactions": N_("reactions"), "comments": N_("comments"),
                 "shares": N_("shares"), "plays": N_("plays"), "avg_watch_seconds": N_("average seconds watched")}


def metric_label(code: str) -> str:
    return _(METRIC_LABELS.get(code, code))


def latest_numbers(s: Session, delivery_ids: list[int], show) -> dict[int, dict[str, Any]]:
    """Each delivery's numbers: per metric its last value read (a later failed read does not hide
    it), or, when none was ever given, None and the last reason (in words); and when the values
    shown were read. One statement whatever the campaign's size."""
    from sqlalchemy import func

    from connectors.insights import REASONS

    from .i18n import say
    from .models import Reading

    if not delivery_ids:
        return {}
    rank = func.row_number().over(partition_by=(Reading.delivery_id, Reading.metric),
                                  order_by=(Reading.value.is_(None), Reading.read_at.desc(), Reading.id.desc()))
    inner = select(Reading.delivery_id, Reading.metric, Reading.value, Reading.reason, Reading.read_at,
                   rank.label("rank")).where(Reading.delivery_id.in_(delivery_ids)).subquery()
    out: dict[int, dict[str, Any]] = {}
    when: dict[int, tuple[bool, datetime]] = {}  # the newest reading shown, a value preferred
    for did, metric, value, reason, read_at in s.execute(
            select(inner.c.delivery_id, inner.c.metric, inner.c.value, inner.c.reason, inner.c.read_at)
            .where(inner.c.rank == 1)):
        entry = out.setdefault(did, {"read": "", "metrics": {}})
        entry["metrics"][metric] = {"value": value, "reason": (reason or None) if value is None else None,
                                    "why": say(REASONS[reason]) if value is None and reason in REASONS else None}
        when[did] = max(when.get(did, (False, read_at)), (value is not None, read_at))
    for did, entry in out.items():
        entry["read"] = show(when[did][1])
    return out


# The chart's steps, finest first: the first that keeps the series within MAX_POINTS is used.
STEPS = ((10, "%Y-%m-%d %H:%M:%S"), (60, "%Y-%m-%d %H:%M"), (300, "%Y-%m-%d %H:%M"), (3600, "%Y-%m-%d %H:00"),
         (86400, "%Y-%m-%d"))
MAX_POINTS = 60


def views_over_time(s: Session, campaign: Campaign, zone) -> list[dict[str, Any]]:
    """The campaign's views as they grew: at the end of each day (or of each hour, minute, ... when
    the readings span less time), each delivery's last views read by then, added up, in all and
    per platform. Cumulative, so a delivery read twice counts once; empty when nothing was read."""
    from .models import Reading

    rows = s.execute(select(Reading.delivery_id, Channel.platform, Reading.read_at, Reading.value)
                     .join(Delivery, Delivery.id == Reading.delivery_id).join(Post, Post.id == Delivery.post_id)
                     .join(Channel, Channel.id == Delivery.channel_id)
                     .where(Post.campaign_id == campaign.id, Reading.metric == "views", Reading.value.is_not(None))
                     .order_by(Reading.read_at, Reading.id)).all()
    if not rows:
        return []
    local = [(did, platform.value, read_at.astimezone(zone), value) for did, platform, read_at, value in rows]
    span = (local[-1][2] - local[0][2]).total_seconds()
    seconds, fmt = next((st for st in STEPS if span / st[0] <= MAX_POINTS), STEPS[-1])

    def bucket(t: datetime) -> str:
        if seconds == 86400:
            return t.strftime(fmt)
        midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
        offset = (t - midnight).total_seconds() // seconds * seconds
        return (midnight + timedelta(seconds=offset)).strftime(fmt)

    latest: dict[int, tuple[str, float]] = {}
    series: list[dict[str, Any]] = []
    for i, (did, platform, when, value) in enumerate(local):
        latest[did] = (platform, value)
        if i + 1 < len(local) and bucket(local[i + 1][2]) == bucket(when):
            continue
        by_platform: dict[str, float] = {}
        for p, v in latest.values():
            by_platform[p] = by_platform.get(p, 0) + v
        series.append({"at": bucket(when), "views": sum(by_platform.values()), "by_platform": by_platform})
    return series


def all_readings(s: Session, campaign: Campaign, show) -> list[dict[str, Any]]:
    """Every reading of the campaign's deliveries, oldest first (for the CSV export)."""
    from .models import Reading

    q = (select(Reading, Delivery.post_id, Channel.name, Channel.platform)
         .join(Delivery, Delivery.id == Reading.delivery_id).join(Post, Post.id == Delivery.post_id)
         .join(Channel, Channel.id == Delivery.channel_id).where(Post.campaign_id == campaign.id)
         .order_by(Reading.read_at, Reading.delivery_id, Reading.id))
    return [{"read_at": show(r.read_at), "delivery": r.delivery_id, "post": post_id, "channel": name,
             "platform": platform.value, "metric": r.metric, "value": r.value, "reason": r.reason,
             "source": r.source} for r, post_id, name, platform in s.execute(q)]


def quiz_pairs(deliveries: list[Delivery], show) -> list[dict[str, Any]]:
    """Each quiz with its answer, per channel: when each went out (the answer always after)."""
    posts = {d.post_id: d.post for d in deliveries}
    out = []
    for answer in sorted((p for p in posts.values() if p.answer_of_id), key=lambda p: p.id):
        quiz = posts.get(answer.answer_of_id)
        if quiz is None:
            continue
        out.append({"quiz": quiz.id, "answer": answer.id, "title": " ".join((quiz.title or quiz.text).split())[:90],
                    "channels": [{"channel": d.channel.name, "quiz": show(d.published_at) if d.published_at else None,
                                  "answer": next((show(a.published_at) for a in deliveries if a.post_id == answer.id
                                                  and a.channel_id == d.channel_id and a.published_at), None)}
                                 for d in deliveries if d.post_id == quiz.id]})
    return out


def clip_figures(s: Session, campaign: Campaign, guardian_age: int) -> dict[str, Any]:
    """The clips received: counts by outcome, school, age band and consent, and the list."""
    clips = list(s.scalars(select(Clip).where(Clip.campaign_id == campaign.id).order_by(Clip.id)))
    by_school: dict[str, Counter] = defaultdict(Counter)
    by_age: dict[str, Counter] = defaultdict(Counter)
    by_consent: dict[str, Counter] = defaultdict(Counter)
    for c in clips:
        outcome = "rejected" if c.status is ClipStatus.rejected else (
            "withdrawn" if c.status is ClipStatus.withdrawn else "accepted")
        for table, key in ((by_school, c.school or _(UNKNOWN_AGE)), (by_age, age_band(c.age)), (by_consent, c.consent.value)):
            table[key]["received"] += 1
            table[key][outcome] += 1
    return {
        "received": len(clips),
        "accepted": sum(c.status in (ClipStatus.pending, ClipStatus.approved) for c in clips),
        "approved": sum(c.status is ClipStatus.approved for c in clips),
        "rejected": sum(c.status is ClipStatus.rejected for c in clips),
        "withdrawn": sum(c.status is ClipStatus.withdrawn for c in clips),
        "in_public_recap": sum(publishable(c, guardian_age) for c in clips),
        "by_school": {k: dict(v) for k, v in sorted(by_school.items())},
        "by_age": {band: dict(by_age[band]) for band in [_(b[2]) for b in AGE_BANDS] + [_(UNKNOWN_AGE)]
                   if band in by_age},
        "by_consent": {k: dict(v) for k, v in sorted(by_consent.items())},
        "list": [{"id": c.id, "status": c.status.value, "shown_as": displayed_name(c) or _("(anonymous)"),
                  "school": c.school, "age_band": age_band(c.age), "consent": c.consent.value,
                  "reason": c.reason or None,  # a poster only of a clip that may be shown in public
                  "poster": c.poster_relpath if publishable(c, guardian_age) else None} for c in clips],
    }


def pledge_counts(s: Session, campaign: Campaign) -> dict[str, Any]:
    from .pledges import counts

    return counts(s, campaign)


def zone_of(campaign: Campaign):
    from zoneinfo import ZoneInfo

    return ZoneInfo(campaign.timezone)


def added_up(numbers) -> dict[str, float | None]:
    """Each reach metric summed over the deliveries that gave it (None where none did, never 0)."""
    total: dict[str, float | None] = {m: None for m in REACH_METRICS}
    for n in numbers:
        for m in REACH_METRICS:
            v = ((n or {}).get("metrics") or {}).get(m, {}).get("value")
            if v is not None:
                total[m] = (total[m] or 0) + v
    return total


def reach_totals(channels: list[dict[str, Any]]) -> dict[str, Any]:
    """The numbers added up per platform and in all, over the deliveries that gave each; and the
    top posts by views. A metric no delivery gave stays None (not 0)."""
    by_platform: dict[str, list] = {}
    posts: dict[int, dict[str, Any]] = {}
    for ch in channels:
        mine = by_platform.setdefault(ch["platform"], [])
        for d in ch["deliveries"]:
            mine.append(d.get("numbers"))
            views = ((d.get("numbers") or {}).get("metrics") or {}).get("views", {}).get("value")
            if views is not None:
                p = posts.setdefault(d["post"], {"post": d["post"], "title": d["title"], "views": 0})
                p["views"] += views
    top = sorted(posts.values(), key=lambda p: -p["views"])[:5]
    return {"total": added_up(n for numbers in by_platform.values() for n in numbers),
            "by_platform": {p: added_up(numbers) for p, numbers in by_platform.items()}, "top_posts": top}