"""Series (chuyên mục): a named column with its rhythm ("tue,fri 19:00"), its channels, its
numbering ("Mẹo an toàn số {n}") and its entries. Entries fill the series' slots in order, from
the next free one up to the campaign's end; each is a post checked against every platform it goes
to before anything is saved. Removing an entry closes the gap (the later ones move up a slot and a
number); pausing holds every entry not yet out (nothing published moves) and resuming puts them
back on the next free slots, in order. When the entries run out before the campaign's end, the
status says so a week ahead."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import slots as SL
from .errors import NotFound, UserError, ValidationFailed
from .i18n import _
from .lifecycle import WAITING, Action, ErrorKind, Outcome, move
from .models import Campaign, DeliveryState, Post, Series
from .text import nfc
from .validation import Problem

S = DeliveryState
PAUSED = "series paused"  # the pause's mark on its cancel attempt: what a resume brings back
WARN_AHEAD = timedelta(days=7)
ENTRY_COLUMNS = ("text", "title", "media", "link", "cover_url")


@dataclass
class Entry:
    text: str
    title: str = ""
    media: str = ""
    link: str = ""
    cover_url: str = ""


def get_series(s: Session, campaign: Campaign, name: str) -> Series:
    found = s.scalar(select(Series).where(Series.campaign_id == campaign.id, Series.name == nfc(name).strip()))
    if found is None:
        names = ", ".join(s.scalars(select(Series.name).where(Series.campaign_id == campaign.id))) or "-"
        raise NotFound(_("No series named {name!r}. Series: {names}.", name=name, names=names))
    return found


def entries(s: Session, series: Series) -> list[Post]:
    return list(s.scalars(select(Post).where(Post.series_id == series.id).order_by(Post.series_number, Post.id)))


def _out(post: Post) -> bool:
    """Has the entry gone out (or is going out) anywhere? Then it stays where it is."""
    return any(d.state not in (*WAITING, S.cancelled) for d in post.deliveries)


def _waiting(post: Post) -> bool:
    return any(d.state in WAITING for d in post.deliveries)


def _slot_times(series: Series, campaign: Campaign, after: datetime) -> list[datetime]:
    return list(SL.times(SL.parse(series.slots), campaign.timezone, after, campaign.ends_on, limit=1000))


def _title(series: Series, number: int, given: str) -> str:
    if given.strip():
        return given
    return series.title.replace("{n}", str(number)) if series.title else ""


def _free_times(s: Session, series: Series, campaign: Campaign, now: datetime, skip: set[int] = frozenset()) -> list[datetime]:
    """The series' slots after ``now`` not taken by one of its entries (other than ``skip``)."""
    busy = {d.due_at.replace(second=0, microsecond=0) for p in entries(s, series) if p.id not in skip
            for d in p.deliveries if d.state is not S.cancelled}
    return [t for t in _slot_times(series, campaign, now) if t.replace(second=0, microsecond=0) not in busy]


def add_entries(s: Session, campaign: Campaign, series: Series, items: list[Entry], *, media_dir: Path,
                base_dir: Path | None, now: datetime) -> tuple[list[Post], list[str]]:
    """Entries on the next free slots, in order; every one checked before any is saved."""
    from .posts import PostInput, prepare, store

    free = _free_times(s, series, campaign, now)
    start = (s.scalar(select(func.max(Post.series_number)).where(Post.series_id == series.id)) or 0) + 1
    prepared, problems, warnings = [], [], []
    for i, item in enumerate(items):
        where = _("entry {n}", n=start + i)
        if i >= len(free):
            problems.append(Problem(_("no slot of the series is left for it before the campaign's end ({end}).",
                                      end=campaign.ends_on.strftime("%d/%m/%Y") if campaign.ends_on else "?"),
                                    _("Add slots to the series, or fewer entries."), where=where, code="no_slot"))
            continue
        inp = PostInput(text=item.text, title=_title(series, start + i, item.title), media=item.media, link=item.link,
                        cover_url=item.cover_url, at=free[i], to=series.targets, source=f"series {series.id}")
        p, errs = prepare(s, campaign, inp, base_dir=base_dir or Path.cwd(), now=now, where=where)
        problems.extend(errs)
        if p is not None:
            prepared.append((start + i, p))
            warnings.extend(p.warnings)
    if problems:
        raise ValidationFailed(problems)
    posts = []
    for number, p in prepared:
        post = store(s, campaign, p, media_dir=media_dir)
        post.series_id, post.series_number = series.id, number
        posts.append(post)
    s.flush()
    return posts, warnings


def add_series(s: Session, campaign: Campaign, name: str, *, slots: str, to: str, title: str = "",
               items: list[Entry] = (), media_dir: Path, base_dir: Path | None = None,
               now: datetime) -> tuple[Series, list[Post], list[str]]:
    from .channels import list_channels
    from .posts import resolve_targets

    name = " ".join(nfc(name).split())
    if not name:
        raise UserError(_("The series needs a name."))
    if s.scalar(select(Series.id).where(Series.campaign_id == campaign.id, Series.name == name)):
        raise UserError(_("There is already a series named {name!r}.", name=name),
                        fix=_("Add entries to it with `loa series add-entry`, or choose another name."))
    rhythm = SL.parse(slots)
    _chosen, problems = resolve_targets(list_channels(s, campaign), to)
    if problems:
        raise ValidationFailed(problems)
    series = Series(campaign_id=campaign.id, name=name, slots=str(rhythm), targets=to, title=nfc(title).strip())
    s.add(series)
    s.flush()
    posts, warnings = add_entries(s, campaign, series, list(items), media_dir=media_dir, base_dir=base_dir, now=now)
    return series, posts, warnings


def read_entries(path: Path) -> list[Entry]:
    """A series' entries from a CSV (the posts CSV's columns: text, and optionally title, media, link,
    cover_url; no time: the series places them)."""
    from .posts import read_csv

    rows = read_csv(path, columns=ENTRY_COLUMNS, required=("text",))
    out = []
    for _line, row in rows:
        base = Path(path).parent
        media = row.get("media", "")
        out.append(Entry(text=row.get("text", ""), title=row.get("title", ""),
                         media=str(base / media) if media and not Path(media).is_absolute() else media,
                         link=row.get("link", ""), cover_url=row.get("cover_url", "")))
    return out


def _retime(s: Session, post: Post, when: datetime, now: datetime, *, from_cancelled: bool = False) -> None:
    for d in post.deliveries:
        if d.state in WAITING or (from_cancelled and d.state is S.cancelled):
            d.due_at = d.next_attempt_at = when
            if d.state is S.cancelled:
                move(s, d, S.retry_wait, action=Action.retry, outcome=Outcome.asked, now=now, worker="officer",
                     kind=ErrorKind.none, reason="")
    post.due_at = when


def remove_entry(s: Session, campaign: Campaign, series: Series, number: int, *, now: datetime) -> Post:
    """Take entry ``number`` out: its deliveries are cancelled and the later entries still to go out
    move up one slot and one number (their generated titles follow)."""
    from .posts import cancel_post

    rows = entries(s, series)
    target = next((p for p in rows if p.series_number == number), None)
    if target is None:
        raise UserError(_("Series {name!r} has no entry {n}.", name=series.name, n=number),
                        fix=_("See `loa series show`."))
    if _out(target):
        raise UserError(_("Entry {n} has gone out already; it stays.", n=number))
    freed = target.due_at
    cancel_post(s, campaign, target.id, now=now, reason=_("removed from the series"))
    target.series_id = None
    later = [p for p in rows if p.series_number > number and p.id != target.id]
    times = [freed] + [p.due_at for p in later]
    for p, t in zip(later, times):
        if _out(p):
            continue
        old_title = _title(series, p.series_number, "")
        p.series_number -= 1
        if series.title and p.title == old_title:
            p.title = _title(series, p.series_number, "")
        if _waiting(p):
            _retime(s, p, t, now)
    s.flush()
    return target


def pause(s: Session, campaign: Campaign, series: Series, *, now: datetime) -> int:
    """Hold every entry not yet out (published entries stay as they are)."""
    from .posts import cancel_post

    held = 0
    for p in entries(s, series):
        if _waiting(p) and not _out(p):
            cancel_post(s, campaign, p.id, now=now, reason=_("the series is paused"), detail=PAUSED)
            held += 1
    series.paused = True
    s.flush()
    return held


def _last_detail(s: Session, delivery_id: int) -> str:
    from .models import Attempt

    return s.scalar(select(Attempt.detail).where(Attempt.delivery_id == delivery_id)
                    .order_by(Attempt.id.desc()).limit(1)) or ""


def resume(s: Session, campaign: Campaign, series: Series, *, now: datetime) -> int:
    """Put the held entries back, in their order, on the series' next free slots."""
    held = [p for p in entries(s, series) if not _out(p) and not _waiting(p)
            and all(d.state is S.cancelled and _last_detail(s, d.id) == PAUSED for d in p.deliveries)]
    free = _free_times(s, series, campaign, now, skip={p.id for p in held})
    series.paused = False
    for p, t in zip(held, free):
        _retime(s, p, t, now, from_cancelled=True)
    s.flush()
    return min(len(held), len(free))


def running_out(s: Session, campaign: Campaign, now: datetime, show) -> list[dict[str, Any]]:
    """Series whose entries end before the campaign does, within a week: what to say."""
    out = []
    for series in s.scalars(select(Series).where(Series.campaign_id == campaign.id, Series.paused.is_(False))):
        waiting = [p for p in entries(s, series) if _waiting(p)]
        last = max((p.due_at for p in waiting), default=None)
        if campaign.ends_on is None or (last is not None and now < last - WARN_AHEAD):
            continue
        free = _free_times(s, series, campaign, max(last or now, now))
        if free:
            out.append({"series": series.name, "last": show(last) if last else None, "slots_left": len(free),
                        "said": _("Series {name!r} runs out of entries {when}; {count} slot(s) are left before the "
                                  "campaign's end: add entries (`loa series add-entry`).", name=series.name,
                                  when=show(last) if last else _("now"), count=len(free))})
    return out


def describe(s: Session, series: Series, show) -> dict[str, Any]:
    from .posts import states_said

    return {"name": series.name, "slots": series.slots, "to": series.targets, "title": series.title,
            "paused": series.paused,
            "entries": [{"n": p.series_number, "post": p.id, "due": show(p.due_at), "title": p.title,
                         "text": " ".join(p.text.split())[:60], "state": states_said(p)} for p in entries(s, series)]}
