"""Probe a participant's clip with a real media library (PyAV, ffmpeg's own libraries).

Every frame of the video is decoded once: a truncated or corrupt file is caught here, not in the
middle of a recap render (``ffmpeg -f null`` would exit 0 on a truncated file). Odd but valid
clips are accepted and what the recap must correct is recorded: rotation, variable frame rate,
10-bit or HDR pictures, frame rates other than 30, no sound.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .i18n import _

MIN_SECONDS = 2.0
HDR_TRANSFERS = {16: "PQ (HDR10)", 18: "HLG"}  # AVCOL_TRC_SMPTE2084, AVCOL_TRC_ARIB_STD_B67


class ClipRejected(Exception):
    """The file cannot be used; the message says why in plain words."""


@dataclass
class ClipFacts:
    container: str
    video_codec: str
    audio_codec: str | None
    duration: float
    width: int  # as displayed: rotation applied
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    fps: float
    variable_frame_rate: bool
    has_audio: bool
    bit_depth: int
    pixel_format: str
    hdr: str | None
    frames: int
    size: int
    corrections: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _bit_depth(pix_fmt: str) -> int:
    for depth in (16, 12, 10):
        if f"p{depth}" in pix_fmt or f"{depth}le" in pix_fmt or f"{depth}be" in pix_fmt:
            return depth
    return 8


def probe_clip(path: Path) -> ClipFacts:
    import av

    path = Path(path)
    size = path.stat().st_size if path.exists() else 0
    if size == 0:
        raise ClipRejected(_("the file is empty (0 bytes): the upload did not finish"))
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError):
        with open(path, "rb") as f:
            head = f.read(12)
        if head[4:8] == b"ftyp":  # an MP4/MOV whose index never arrived
            raise ClipRejected(_("the video is incomplete: the upload or copy did not finish")) from None
        raise ClipRejected(_("this is not a video file (it could not be opened as one)")) from None
    try:
        if not container.streams.video:
            if container.streams.audio:
                raise ClipRejected(_("the file has sound only, no picture"))
            raise ClipRejected(_("this is not a video file (no picture in it)"))
        stream = container.streams.video[0]
        if stream.codec_context.name in ("mjpeg", "png", "bmp", "gif") and (stream.frames or 0) <= 1:
            raise ClipRejected(_("this is a picture, not a video"))
        stream.thread_type = "AUTO"
        has_audio = bool(container.streams.audio)
        audio_codec = container.streams.audio[0].codec_context.name if has_audio else None
        declared = None
        if stream.duration is not None and stream.time_base:
            declared = float(stream.duration * stream.time_base)
        elif container.duration:
            declared = container.duration / 1_000_000
        frames = 0
        rotation = 0
        first_pts = last_pts = None
        deltas: list[float] = []
        pix_fmt = ""
        color_trc = None
        try:
            for frame in container.decode(stream):
                if frames == 0:
                    rotation = int(getattr(frame, "rotation", 0) or 0) % 360
                    pix_fmt = frame.format.name
                    color_trc = getattr(frame, "color_trc", None)
                if frame.time is not None:
                    if last_pts is not None and len(deltas) < 600:
                        deltas.append(frame.time - last_pts)
                    first_pts = frame.time if first_pts is None else first_pts
                    last_pts = frame.time
                frames += 1
        except av.error.FFmpegError as exc:
            raise ClipRejected(_("the video is damaged and cannot be played to the end ({error})",
                                 error=type(exc).__name__)) from None
        if frames == 0:
            raise ClipRejected(_("the video is damaged: no picture could be decoded"))
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        fps = float(rate)
        decoded = (last_pts - first_pts + 1 / fps) if last_pts is not None and first_pts is not None else frames / fps
        duration = declared if declared is not None else decoded
        if declared is not None and decoded < declared - max(0.5, 0.1 * declared):
            raise ClipRejected(_("the video is cut off: it should last {declared:.1f} s but only {decoded:.1f} s can "
                                 "be played (the upload or copy did not finish)", declared=declared, decoded=decoded))
        duration = min(duration, decoded) if declared is not None else decoded
        if duration < MIN_SECONDS:
            raise ClipRejected(_("the video is too short ({seconds:.1f} s; at least {least:.0f} s)", seconds=duration,
                                 least=MIN_SECONDS))
        vfr = False
        if len(deltas) > 5:
            mean = sum(deltas) / len(deltas)
            vfr = any(abs(d - mean) > 0.5 * mean for d in deltas)
        width, height = stream.codec_context.width, stream.codec_context.height
        dw, dh = (height, width) if rotation in (90, 270) else (width, height)
        depth = _bit_depth(pix_fmt)
        hdr = HDR_TRANSFERS.get(int(color_trc)) if color_trc is not None else None
        facts = ClipFacts(
            container=container.format.name, video_codec=stream.codec_context.name, audio_codec=audio_codec,
            duration=round(duration, 3), width=dw, height=dh, coded_width=width, coded_height=height,
            rotation=rotation, fps=round(fps, 3), variable_frame_rate=vfr, has_audio=has_audio, bit_depth=depth,
            pixel_format=pix_fmt, hdr=hdr, frames=frames, size=size)
        facts.corrections = corrections(facts)
        return facts
    finally:
        container.close()


def corrections(f: ClipFacts) -> list[str]:
    out = []
    if f.rotation:
        out.append(_("rotate {rotation}°", rotation=f.rotation))
    if f.variable_frame_rate:
        out.append(_("variable frame rate → constant 30 fps"))
    elif abs(f.fps - 30) > 0.01:
        out.append(_("{fps:g} fps → 30 fps", fps=f.fps))
    if f.bit_depth > 8:
        out.append(_("{bit_depth}-bit → 8-bit", bit_depth=f.bit_depth))
    if f.hdr:
        out.append(_("HDR {hdr} → SDR", hdr=f.hdr))
    if not f.has_audio:
        out.append(_("no sound → silence"))
    if f.width > f.height:
        out.append(_("landscape → fitted to the frame"))
    return out


def poster_frame(path: Path, dest: Path, at: float = 1.0, width: int = 360) -> Path:
    """A JPEG of the clip (upright) at ``at`` seconds, for review and the report."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        target = None
        for frame in container.decode(stream):
            target = frame
            if frame.time is not None and frame.time >= at:
                break
        image = target.to_image()
        rotation = int(getattr(target, "rotation", 0) or 0) % 360
    if rotation:
        image = image.rotate(rotation, expand=True)  # the display matrix turns counter-clockwise
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)))
    dest.parent.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").save(dest, "JPEG", quality=82)
    return dest
