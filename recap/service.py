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
from content_queue.clips import source_refusal
from content_queue.errors import UserError
from content_queue.media import probe, store_file
from content_queue.models import Campaign, Media, Recap
from content_queue.platforms import PLATFORMS, feed_beside_reels, label, max_video_bytes
from content_queue.validation import is_reel

from .plan import plan_recap
from .render import Look, RenderCancelled, render, size_capped
from content_queue.i18n import N_, _

# The outro card's line under the hashtags, unless the officer gives one (`loa recap render --outro`).
OUTRO = N_("Need help? Call the commune police or the 111 hotline now.")


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
    outro_line: str = ""  # empty: OUTRO, in the campaign's language
    logo: Path | None = None
    fill: str = "color"
    clip_seconds: dict[int, float] | None = None  # seconds of each clip, where not per_clip
    intro_title: str = ""  # empty: the campaign's name
    intro_text: str = ""  # empty: the campaign's message


def make_recap(sessions, campaign_id: int, media_dir: Path, out: Path, settings: RecapSettings, *,
               progress: Callable[[float], None] | None = None, cancel: threading.Event | None = None) -> int:
    """Plan in one transaction, render outside any, record in another. Returns the recap's id."""
    with sessions() as s:
        campaign = s.get(Campaign, campaign_id)
        plan = plan_recap(s, campaign, media_dir, fmt=settings.fmt, seconds=settings.seconds,
                          per_clip=settings.per_clip, clip_ids=settings.clip_ids, order=settings.order,
                          clip_seconds=settings.clip_seconds)
        look = Look(title=settings.intro_title or campaign.name, message=settings.intro_text or campaign.message,
                    hashtags=campaign.hashtags,
                    outro_line=settings.outro_line or _(OUTRO), logo=settings.logo, fill=settings.fill)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        render(plan, out, look, preset=settings.preset, crf=settings.crf, music=settings.music, progress=progress,
               cancel=cancel)
    except RenderCancelled:
        out.unlink(missing_ok=True)
        raise UserError(_("The render was cancelled; nothing was kept.")) from None
    sha, stored, _created = store_file(out, media_dir)
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
                                "fill": settings.fill, "clip_seconds": {str(g.clip_id): g.duration
                                                                        for g in plan.segments},
                                "file": str(out), "duration": facts.duration})
        s.add(recap)
        s.flush()
        return recap.id


def publish_recap(s: Session, campaign: Campaign, file: Path, *, at: str | datetime | None, now_flag: bool, to: str,
                  text: str | None, media_dir: Path, now: datetime | None = None, feed: Path | None = None,
                  variants: dict | None = None) -> list[int]:
    """Queue the recap. Zalo takes videos of at most 50 MB: a size-capped copy is made for it.
    ``feed``: a 4:5 cut also posted to the Facebook channels as a Page video (their feed)."""
    now = now or datetime.now(timezone.utc)
    file = Path(file)
    if not file.is_file():
        raise UserError(_("File not found: {file}.", file=file), fix=_("Give the recap's path (`loa recap render` prints it)."))
    body = text if text is not None else _("🎬 Looking back at the challenge “{name}”. {message}", name=campaign.name,
                                            message=campaign.message).strip()
    channels, problems = P.resolve_targets(P.list_channels(s, campaign), to)
    if problems:
        from content_queue.errors import ValidationFailed

        raise ValidationFailed(problems)
    size = file.stat().st_size
    # Platforms whose video limit a recap can reach (Zalo's 50 MB) get a post of their own, with a
    # copy under that limit when the file is over it; the others share the original.
    by_limit: dict[int | None, list] = {}
    for c in channels:
        limit = max_video_bytes(c.platform.value)
        by_limit.setdefault(limit if limit and limit < RECAP_CEILING else None, []).append(c)
    feed_channels = [c for c in channels if feed_beside_reels(c.platform.value)]
    if feed is not None:
        _check_feed_cut(Path(feed), feed_channels)
    title = _("Looking back: {name}", name=campaign.name)
    source = recap_source(s, file)
    for src in {source, *([recap_source(s, Path(feed))] if feed is not None else [])}:
        refusal = source_refusal(s, campaign, src)
        if refusal:  # a withdrawn clip, or one without consent, never goes out again
            raise UserError(refusal, fix=_("Render a new recap: withdrawn clips and clips without consent are left "
                                           "out of it."))
    batches = [(file, by_limit.get(None, []), source)]
    for limit, group in sorted((k, v) for k, v in by_limit.items() if k is not None):
        copy = file
        if size > limit:  # encoded before anything is written: the database is never held during media work
            copy = file.with_name(f"{file.stem}-{'-'.join(sorted({c.platform.value for c in group}))}.mp4")
            size_capped(file, copy, int(limit * 0.95), probe(file).duration or 60)
        batches.append((copy, group, source))
    if feed is not None:
        batches.append((Path(feed), feed_channels, recap_source(s, Path(feed))))
    posts = []
    for media, group, src in batches:
        if not group:
            continue
        inp = P.PostInput(text=body, title=title, media=str(media), at=at, now=now_flag,
                          to=",".join(str(c.id) for c in group), source=src,
                          variants={p: dict(f) for p, f in (variants or {}).items()})
        post, _warnings = P.add_post(s, campaign, inp, media_dir=media_dir, base_dir=Path.cwd(), now=now)
        posts.append(post.id)
    return posts


RECAP_CEILING = 1024 ** 3  # no recap comes near 1 GB (a minute at 1080x1920 is about 60 MB)


def recap_source(s: Session, file: Path) -> str:
    """A recap post's source: ``recap N`` when the file is recap N as `loa recap render` recorded it
    (the report lists each recap's posts by it), plain ``recap`` for a file made elsewhere."""
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    recap_id = s.scalar(select(Recap.id).join(Media, Recap.media_id == Media.id)
                        .where(Media.sha256 == digest.hexdigest()).order_by(Recap.id.desc()).limit(1))
    if recap_id is None:  # a copy of a recap whose files were erased (a clip in it was withdrawn)
        recap_id = next((r.id for r in s.scalars(select(Recap).order_by(Recap.id.desc()))
                         if digest.hexdigest() in (r.settings or {}).get("erased_sha256", [])), None)
    return f"recap {recap_id}" if recap_id else "recap"


def _check_feed_cut(feed: Path, channels: list) -> None:
    if not channels:
        names = [label(p) for p in PLATFORMS if feed_beside_reels(p)]
        raise UserError(_("--feed is for {names}, and --to names no such channel.", names=' or '.join(names)),
                        fix=_("Add {names} to --to, or leave --feed out.", names=' or '.join(p for p in PLATFORMS if feed_beside_reels(p))))
    if not feed.is_file():
        raise UserError(_("File not found: {feed}.", feed=feed), fix=_("Render the feed cut with `loa recap render --format "
                                                          "feed`."))
    facts = probe(feed)
    if facts.kind != "video" or not facts.width or not facts.height:
        raise UserError(_("{feed} is not a video.", feed=feed), fix=_("Render the feed cut with `loa recap render --format "
                                                         "feed`."))
    if is_reel(facts):  # the same rule that routes a video to Facebook's Reels
        raise UserError(_("{feed} is a vertical cut ({width}x{height}): it would go out twice as a Reel.",
                          feed=feed, width=facts.width, height=facts.height),
                        fix=_("Render the feed cut with `loa recap render --format feed` and give that."))
