"""Which clips go into a recap, and which seconds of each.

Only approved, consented, not withdrawn clips; a fair spread across schools within the length
budget (round robin, school by school); from each clip its best few seconds: skipping the
shaky first half second and preferring where someone speaks (the loudest stretch of sound).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_queue.errors import UserError
from content_queue.models import Campaign, Clip, Media

from content_queue.consent import displayed_name, publishable
from content_queue.i18n import _

# vertical: TikTok and Reels; feed: 4:5, the tallest a Facebook feed shows uncropped (a Page video)
FORMATS = {"vertical": (1080, 1920), "feed": (1080, 1350), "square": (1080, 1080), "landscape": (1920, 1080)}
INTRO_SECONDS = 2.5
OUTRO_SECONDS = 3.0
SKIP_START = 0.5


@dataclass
class Segment:
    clip_id: int
    path: Path
    start: float
    duration: float
    name: str
    school: str
    width: int
    height: int
    has_audio: bool
    rotation: int = 0
    hdr: str | None = None  # "PQ (HDR10)", "HLG": tone-mapped to SDR in the render


@dataclass
class Plan:
    size: tuple[int, int]
    segments: list[Segment] = field(default_factory=list)
    intro: float = INTRO_SECONDS
    outro: float = OUTRO_SECONDS
    fps: int = 30

    @property
    def duration(self) -> float:
        return self.intro + sum(s.duration for s in self.segments) + self.outro


def loudest_window(path: Path, duration: float, length: float) -> float:
    """Start of the ``length``-second window with the most sound energy (after the first half second)."""
    import av
    import numpy as np

    if duration <= length + SKIP_START:
        return max(0.0, min(SKIP_START, duration - length))
    try:
        with av.open(str(path)) as c:
            if not c.streams.audio:
                return min(SKIP_START + (duration - length - SKIP_START) / 2, duration - length)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
            chunks = []
            for frame in c.decode(c.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
    except Exception:
        return SKIP_START
    if not chunks:
        return SKIP_START
    samples = np.concatenate(chunks).astype(np.float32)
    hop = 2000  # 0.25 s at 8 kHz
    energy = np.array([float(np.mean(samples[i:i + hop] ** 2)) for i in range(0, len(samples), hop)])
    win = max(1, int(length / 0.25))
    skip = int(SKIP_START / 0.25)
    best, best_start = -1.0, skip
    last_start = max(skip, int((duration - length) / 0.25))
    for i in range(skip, last_start + 1):
        e = energy[i:i + win].sum()
        if e > best:
            best, best_start = e, i
    return min(best_start * 0.25, max(0.0, duration - length))


def choose_clips(s: Session, campaign: Campaign, *, fmt: str = "vertical", seconds: float = 60,
                 per_clip: float = 3, clip_ids: list[int] | None = None, order: str = "school",
                 clip_seconds: dict[int, float] | None = None) -> list[tuple[Clip, float]]:
    """The planner's choice: which clips, in which order, and how many seconds of each (at most
    the clip's own length), within ``seconds`` with the intro and the outro. What the workspace's
    recap page shows and lets the officer change; :func:`plan_recap` then finds each clip's best
    moment."""
    if fmt not in FORMATS:
        raise UserError(_("Unknown format {fmt!r}.", fmt=fmt), fix=_("Use vertical, feed, square or landscape."))
    clips = list(s.scalars(select(Clip).where(Clip.campaign_id == campaign.id).order_by(Clip.received_at, Clip.id)))
    usable = [c for c in clips if publishable(c, campaign.guardian_age)]
    if clip_ids:
        by_id = {c.id: c for c in clips}
        missing = [i for i in clip_ids if i not in by_id]
        if missing:
            raise UserError(_("No clip {value}.", value=missing[0]), fix=_("See `loa clips list`."))
        refused = [i for i in clip_ids if not publishable(by_id[i], campaign.guardian_age)]
        if refused:
            raise UserError(_("Clip {value} may not appear in a public recap (not approved, no valid consent, or "
                              "withdrawn).", value=refused[0]), fix=_("See `loa clips show ID`."))
        usable = [by_id[i] for i in clip_ids]
    if not usable:
        raise UserError(_("No clip can go into a public recap yet."),
                        fix=_("Approve clips with `loa clips approve ID` (minors need a guardian's consent)."))
    plan = Plan(size=FORMATS[fmt])
    budget = seconds - plan.intro - plan.outro
    if budget < per_clip:
        raise UserError(_("{seconds:g} s is too short for an intro, an outro and one clip.", seconds=seconds),
                        fix=_("Give --seconds {value} or more.", value=int(plan.intro + plan.outro + per_clip) + 1))
    slots = int(budget // per_clip) if not clip_seconds else len(usable)
    if order == "school":
        groups: OrderedDict[str, list[Clip]] = OrderedDict()
        for c in usable:
            groups.setdefault(c.school or "", []).append(c)
        chosen: list[Clip] = []
        while len(chosen) < slots and any(groups.values()):
            for school in list(groups):
                if groups[school] and len(chosen) < slots:
                    chosen.append(groups[school].pop(0))
    elif order in ("time", "given"):
        chosen = usable[:slots]
    else:
        raise UserError(_("Unknown order {order!r}.", order=order), fix=_("Use school, time or given."))
    out: list[tuple[Clip, float]] = []
    used = 0.0
    for c in chosen:
        p = c.probe or {}
        duration = float(p.get("duration") or (c.media.duration if c.media is not None else 0) or per_clip)
        length = min(float((clip_seconds or {}).get(c.id, per_clip)), duration)
        if length < 0.5:
            raise UserError(_("Clip {id}: {seconds:g} s is too short to show.", id=c.id, seconds=length),
                            fix=_("Give it at least 1 second."))
        if used + length > budget + 1e-6:
            break
        out.append((c, length))
        used += length
    return out


def plan_recap(s: Session, campaign: Campaign, media_dir: Path, *, fmt: str = "vertical", seconds: float = 60,
               per_clip: float = 3, clip_ids: list[int] | None = None, order: str = "school",
               clip_seconds: dict[int, float] | None = None) -> Plan:
    chosen = choose_clips(s, campaign, fmt=fmt, seconds=seconds, per_clip=per_clip, clip_ids=clip_ids, order=order,
                          clip_seconds=clip_seconds)
    plan = Plan(size=FORMATS[fmt])
    for c, length in chosen:
        media = s.get(Media, c.media_id)
        p = c.probe or {}
        duration = float(p.get("duration") or media.duration or per_clip)
        path = media_dir / media.relpath
        plan.segments.append(Segment(
            clip_id=c.id, path=path, start=loudest_window(path, duration, length), duration=length,
            name=displayed_name(c), school=c.school, width=int(p.get("width") or media.width),
            height=int(p.get("height") or media.height), has_audio=bool(p.get("has_audio", True)),
            rotation=int(p.get("rotation") or 0), hdr=p.get("hdr")))
    return plan
