"""The keeping period, as the privacy notice promises it (loa/templates/public/privacy.html).

``keep_days`` after the campaign's last day (in its time zone), what people sent is erased: every
clip's video and poster, the participants' names and details (the clip rows themselves, with the
guardians' names and the withdrawal codes' hashes), the signatures on the wall, the uploads not
finished and the recaps' local videos (they hold the clips' pictures). What the report needs is
kept first as counts (the clips' and the signatures' figures, by school, age band and consent), so
the report still works afterwards and says what was erased and when. An upload's network address
is blanked as soon as the upload is finished (loa/portal/app.py); a half-upload's goes with it.

One function does it, :func:`purge`: `loa privacy purge [--dry-run]`, and the daily step beside
`loa run` and `loa serve` (loa/keeping.py). A week before, the officer is told (the overview, the
e-mailed notices, `loa privacy purge --dry-run`).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import Campaign, Clip, Media, Pledge, Post, Recap, Upload
from .timeutil import zone

NOTICE_DAYS = 7  # the officer hears of the erasure this many days before


def erase_on(campaign: Campaign) -> date | None:
    """The day what people sent is erased (None: the campaign has no last day yet)."""
    if campaign.ends_on is None:
        return None
    return campaign.ends_on + timedelta(days=campaign.keep_days)


def today(campaign: Campaign, now: datetime) -> date:
    return now.astimezone(zone(campaign.timezone)).date()


def is_due(campaign: Campaign, now: datetime) -> bool:
    day = erase_on(campaign)
    return day is not None and today(campaign, now) >= day


def notice(campaign: Campaign, now: datetime) -> date | None:
    """The erasure's day when it is a week away or less and has not happened (else None)."""
    day = erase_on(campaign)
    if day is None or campaign.purged or not 0 < (day - today(campaign, now)).days <= NOTICE_DAYS:
        return None
    return day


def leftovers(s: Session, campaign: Campaign, media_dir: Path, upload_dir: Path) -> dict[str, list]:
    """What would go: the rows and the files, by kind."""
    clips = list(s.scalars(select(Clip).where(Clip.campaign_id == campaign.id)))
    clip_media = {c.media_id for c in clips if c.media_id is not None}
    recaps = list(s.scalars(select(Recap).where(Recap.campaign_id == campaign.id)))
    recap_media = {r.media_id for r in recaps if r.media_id is not None}
    recap_media |= set(s.scalars(select(Post.media_id).where(
        Post.campaign_id == campaign.id, Post.source.like("recap%"), Post.media_id.is_not(None))))
    media = {m.id: m for m in s.scalars(select(Media).where(Media.id.in_(clip_media | recap_media)))}
    uploads = list(s.scalars(select(Upload).where(Upload.campaign_id == campaign.id)))
    return {
        "clips": clips, "uploads": uploads, "recaps": recaps,
        "pledges": list(s.scalars(select(Pledge).where(Pledge.campaign_id == campaign.id))),
        "clip_files": [media_dir / media[i].relpath for i in clip_media if i in media],
        "posters": [media_dir / c.poster_relpath for c in clips if c.poster_relpath],
        "recap_files": [media_dir / media[i].relpath for i in recap_media if i in media],
        "half_uploads": [upload_dir / f"{u.id}.part" for u in uploads],
        "media": list(media.values()),
    }


def counts_of(found: dict[str, list]) -> dict[str, int]:
    return {"clips": len(found["clips"]), "signatures": len(found["pledges"]), "uploads": len(found["uploads"]),
            "files": sum(p.exists() for k in ("clip_files", "posters", "recap_files", "half_uploads")
                         for p in found[k])}


def purge(s: Session, campaign: Campaign, *, media_dir: Path, upload_dir: Path, now: datetime,
          dry_run: bool = False) -> dict[str, Any]:
    """Erase what the keeping period says is due (nothing before its day). Returns what was (or,
    with ``dry_run``, would be) erased: ``{"erase_on", "due", "done", "at", "erased": {...}}``.
    Safe to run again: a second run finds nothing left, and a run cut short by a crash is finished
    by the next (files are removed before the rows that name them are committed)."""
    from .report import clip_figures, pledge_counts

    day = erase_on(campaign)
    found = leftovers(s, campaign, media_dir, upload_dir)
    said = {"erase_on": day.isoformat() if day else None, "due": is_due(campaign, now),
            "done": bool(campaign.purged), "at": (campaign.purged or {}).get("at"), "erased": counts_of(found)}
    if dry_run or not said["due"]:
        return said
    kept = dict(campaign.purged or {})
    if not kept:  # the figures the report needs, taken before anything goes (a second run keeps the first's)
        figures = clip_figures(s, campaign, campaign.guardian_age)
        kept = {"clips": {k: v for k, v in figures.items() if k != "list"},  # counts only: no name
                "pledges": pledge_counts(s, campaign)}
    for kind in ("clip_files", "posters", "recap_files", "half_uploads"):
        for path in found[kind]:
            path.unlink(missing_ok=True)
    for u in found["uploads"]:
        s.delete(u)
    s.flush()
    clip_ids = [c.id for c in found["clips"]]
    if clip_ids:
        s.execute(update(Clip).where(Clip.id.in_(clip_ids)).values(duplicate_of_id=None, media_id=None))
    for r in found["recaps"]:
        r.media_id = None
        r.settings = {**(r.settings or {}), "purged": True}
    s.flush()
    for c in found["clips"]:
        s.delete(c)
    for p in found["pledges"]:
        s.delete(p)
    s.flush()
    for m in found["media"]:  # a published post keeps its row (its file is gone); nothing else does
        if s.scalar(select(Post.id).where(Post.media_id == m.id).limit(1)) is None:
            s.delete(m)
    before = (campaign.purged or {}).get("erased") or {}  # a second run adds what it found to the first's
    erased = {k: v + before.get(k, 0) for k, v in said["erased"].items()}
    campaign.purged = {**kept, "at": (campaign.purged or {}).get("at") or now.isoformat(), "erase_on": said["erase_on"],
                       "erased": erased}
    s.flush()
    return {**said, "done": True, "at": campaign.purged["at"], "erased": erased}
