"""Make a recap end to end (plan, render, record) and queue it like any post."""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue import posts as P
from content_queue.errors import UserError
from content_queue.media import probe, store_file
from content_queue.models import Campaign, Media, Recap
from content_queue.validation import is_reel, max_video_bytes

from .plan import plan_recap
from .render import Look, RenderCancelled, render, size_capped


@dataclass
class RecapSettings:
    fmt: str = "vertical"
    seconds: float = 60
    per_clip: float = 3
    clip_ids: list[int] | None = None
    order: str = "school"
    music: Path | None = None
    preset: str = "veryfast"
    crf: int = 23
    outro_line: str = ""
    logo: Path | None = None
    fill: str = "color"


def make_recap(sessions, campaign_id: int, media_dir: Path, out: Path, settings: RecapSettings, *,
               progress: Callable[[float], None] | None = None, cancel: threading.Event | None = None) -> int:
    """Plan in one transaction, render outside any, record in another. Returns the recap's id."""
    with sessions() as s:
        campaign = s.get(Campaign, campaign_id)
        plan = plan_recap(s, campaign, media_dir, fmt=settings.fmt, seconds=settings.seconds,
                          per_clip=settings.per_clip, clip_ids=settings.clip_ids, order=settings.order)
        look = Look(title=campaign.name, message=campaign.message, hashtags=campaign.hashtags,
                    outro_line=settings.outro_line, logo=settings.logo, fill=settings.fill)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        render(plan, out, look, preset=settings.preset, crf=settings.crf, music=settings.music, progress=progress,
               cancel=cancel)
    except RenderCancelled:
        out.unlink(missing_ok=True)
        raise UserError("The render was cancelled; nothing was kept.") from None
    sha, stored, _ = store_file(out, media_dir)
    facts = probe(stored)
    with sessions.begin() as s:
        media = s.query(Media).filter_by(sha256=sha).one_or_none()
        if media is None:
            media = Media(sha256=sha, relpath=str(stored.relative_to(media_dir)), original_name=out.name,
                          size=facts.size, kind="video", container=facts.container, width=facts.width,
                          height=facts.height, duration=facts.duration, fps=facts.fps, video_codec=facts.video_codec,
                          audio_codec=facts.audio_codec, facts=facts.as_dict())
            s.add(media)
            s.flush()
        recap = Recap(campaign_id=campaign_id, media_id=media.id, clip_ids={"ids": [g.clip_id for g in plan.segments]},
                      settings={"format": settings.fmt, "seconds": settings.seconds, "per_clip": settings.per_clip,
                                "order": settings.order, "preset": settings.preset, "crf": settings.crf,
                                "fill": settings.fill,
                                "file": str(out), "duration": facts.duration})
        s.add(recap)
        s.flush()
        return recap.id


def publish_recap(s: Session, campaign: Campaign, file: Path, *, at: str | datetime | None, now_flag: bool, to: str,
                  text: str | None, media_dir: Path, now: datetime | None = None, feed: Path | None = None) -> list[int]:
    """Queue the recap. Zalo takes videos of at most 50 MB: a size-capped copy is made for it.
    ``feed``: a 4:5 cut also posted to the Facebook channels as a Page video (their feed)."""
    now = now or datetime.now(timezone.utc)
    file = Path(file)
    if not file.is_file():
        raise UserError(f"File not found: {file}.", fix="Give the recap's path (`loa recap render` prints it).")
    body = text if text is not None else f"🎬 Nhìn lại thử thách “{campaign.name}”. {campaign.message}".strip()
    channels, problems = P.resolve_targets(P.list_channels(s, campaign), to)
    if problems:
        from content_queue.errors import ValidationFailed

        raise ValidationFailed(problems)
    zalo = [c for c in channels if c.platform.value == "zalo"]
    others = [c for c in channels if c.platform.value != "zalo"]
    facebook = [c for c in channels if c.platform.value == "facebook"]
    if feed is not None:
        _check_feed_cut(Path(feed), facebook)
    posts = []
    title = f"Nhìn lại: {campaign.name}"
    source = recap_source(s, file)
    zalo_file = file
    zalo_max = max_video_bytes("zalo")
    if zalo and file.stat().st_size > zalo_max:
        # Encoded before anything is written: the database is never held during media work.
        zalo_file = file.with_name(file.stem + "-zalo.mp4")
        size_capped(file, zalo_file, int(zalo_max * 0.95), probe(file).duration or 60)
    if others:
        inp = P.PostInput(text=body, title=title, media=str(file), at=at, now=now_flag,
                          to=",".join(str(c.id) for c in others), source=source)
        post, _ = P.add_post(s, campaign, inp, media_dir=media_dir, base_dir=Path.cwd(), now=now)
        posts.append(post.id)
    if zalo:
        inp = P.PostInput(text=body, title=title, media=str(zalo_file), at=at, now=now_flag,
                          to=",".join(str(c.id) for c in zalo), source=source)
        post, _ = P.add_post(s, campaign, inp, media_dir=media_dir, base_dir=Path.cwd(), now=now)
        posts.append(post.id)
    if feed is not None:
        inp = P.PostInput(text=body, title=title, media=str(feed), at=at, now=now_flag,
                          to=",".join(str(c.id) for c in facebook), source=recap_source(s, Path(feed)))
        post, _ = P.add_post(s, campaign, inp, media_dir=media_dir, base_dir=Path.cwd(), now=now)
        posts.append(post.id)
    return posts


def recap_source(s: Session, file: Path) -> str:
    """A recap post's source: ``recap N`` when the file is recap N as `loa recap render` recorded it
    (the report lists each recap's posts by it), plain ``recap`` for a file made elsewhere."""
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    recap_id = s.scalar(select(Recap.id).join(Media, Recap.media_id == Media.id)
                        .where(Media.sha256 == digest.hexdigest()).order_by(Recap.id.desc()).limit(1))
    return f"recap {recap_id}" if recap_id else "recap"


def _check_feed_cut(feed: Path, facebook: list) -> None:
    if not facebook:
        raise UserError("--feed is for Facebook, and --to names no Facebook channel.",
                        fix="Add facebook to --to, or leave --feed out.")
    if not feed.is_file():
        raise UserError(f"File not found: {feed}.", fix="Render the feed cut with `loa recap render --format feed`.")
    facts = probe(feed)
    if facts.kind != "video" or not facts.width or not facts.height:
        raise UserError(f"{feed} is not a video.", fix="Render the feed cut with `loa recap render --format feed`.")
    if is_reel(facts):  # the same rule that routes a video to Facebook's Reels
        raise UserError(f"{feed} is a vertical cut ({facts.width}x{facts.height}): Facebook would get it twice as a Reel.",
                        fix="Render the feed cut with `loa recap render --format feed` and give that.")
