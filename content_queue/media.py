"""The media store and media facts.

A file added is copied into ``media/`` under its SHA-256 (the user's original is only ever
read), stored once however often it is added, and probed with real media libraries: PyAV
(ffmpeg's own libraries) for video, Pillow for pictures.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import UserError
from .i18n import _

CHUNK = 1024 * 1024


@dataclass
class MediaFacts:
    """What a media file is, as the platforms' rules need to know it."""

    kind: str  # "video" | "image"
    size: int
    suffix: str
    container: str = ""
    width: int | None = None  # as displayed: rotation applied
    height: int | None = None
    duration: float | None = None
    fps: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    rotation: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)



def _fps(rate: Fraction | None) -> float | None:
    if not rate:
        return None
    return round(float(rate), 3)


def probe(path: Path) -> MediaFacts:
    """Probe ``path``; raise :class:`UserError` with a plain reason if it is not usable media."""
    path = Path(path)
    if not path.is_file():
        raise UserError(_("File not found: {path}.", path=path), fix=_("Check the path (quote it if it has spaces)."))
    size = path.stat().st_size
    if size == 0:
        raise UserError(_("{name} is empty (0 bytes).", name=path.name), fix=_("Copy the file again from its source."))
    suffix = path.suffix.lower()
    image = _probe_image(path, size, suffix)
    if image is not None:
        return image
    return _probe_video(path, size, suffix)


MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo; read from the header, before anything is decoded


def open_picture(path: Path):
    """Pillow's lazy open of ``path`` (only its header is read), refused before anything is decoded
    when it holds more than :data:`MAX_PIXELS` pixels: a picture of a few kB may claim to be
    20000x20000 and take gigabytes to open. Every picture loa opens goes through here (a post's,
    the frame, the recap's logo, a Zalo cover). Raises PIL's UnidentifiedImageError for what is
    not a picture."""
    import warnings

    from PIL import Image

    import re

    fix = _("Give a picture of at most {count} million pixels (e.g. 8000x6000).", count=MAX_PIXELS // 1_000_000)
    with warnings.catch_warnings():  # Pillow's own bomb warning and error: the size is said here
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
        except Image.DecompressionBombError as exc:  # over twice Pillow's own limit: it says how many
            found = re.search(r"\((\d+) pixels\)", str(exc))
            raise UserError(_("{path} has {count} million pixels, too large a picture to open.", path=Path(path).name,
                              count=int(found.group(1)) // 1_000_000 if found else "?"), fix=fix) from None
    if im.width * im.height > MAX_PIXELS:
        im.close()
        raise UserError(_("{path} is {width}x{height} pixels, too large a picture to open.", path=Path(path).name,
                          width=im.width, height=im.height), fix=fix)
    return im


def _probe_image(path: Path, size: int, suffix: str) -> MediaFacts | None:
    from PIL import UnidentifiedImageError

    try:
        with open_picture(path) as im:
            fmt = (im.format or "").lower()
            width, height = im.size
            frames = getattr(im, "n_frames", 1)
            im.verify()
    except UnidentifiedImageError:
        return None
    except UserError:
        raise
    except Exception as exc:  # truncated or corrupt picture
        raise UserError(_("{name} is a damaged picture ({exc}).", name=path.name, exc=exc), fix=_("Export it again.")) from None
    if frames > 1 and fmt != "gif":
        return None
    return MediaFacts(kind="image", size=size, suffix=suffix, container=fmt, width=width, height=height)


def _probe_video(path: Path, size: int, suffix: str) -> MediaFacts:
    import av

    try:
        container = av.open(str(path))
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError):
        raise UserError(
            _("{name} is neither a picture nor a video that can be read.", name=path.name),
            fix=_("Check that it is the right file; re-export it as MP4 (H.264) or JPEG/PNG."),
        ) from None
    try:
        if not container.streams.video:
            raise UserError(
                _("{name} has no video picture (audio only?).", name=path.name),
                fix=_("Use a video file (MP4, H.264) or a picture."),
            )
        stream = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        rotation = 0
        try:
            frame = next(container.decode(stream))
            rotation = int(getattr(frame, "rotation", 0) or 0) % 360
        except (StopIteration, av.error.FFmpegError):
            raise UserError(
                _("{name} is damaged: its first picture cannot be decoded.", name=path.name),
                fix=_("Copy or export the video again."),
            ) from None
        width, height = stream.codec_context.width, stream.codec_context.height
        if rotation in (90, 270):
            width, height = height, width
        duration = None
        if stream.duration is not None and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        return MediaFacts(
            kind="video",
            size=size,
            suffix=suffix,
            container=container.format.name,
            width=width,
            height=height,
            duration=round(duration, 3) if duration is not None else None,
            fps=_fps(stream.average_rate or stream.guessed_rate),
            video_codec=stream.codec_context.name,
            audio_codec=audio.codec_context.name if audio is not None else None,
            rotation=rotation,
        )
    finally:
        container.close()


def store_file(src: Path, media_dir: Path, suffix: str | None = None) -> tuple[str, Path, bool]:
    """Copy ``src`` into the store under its SHA-256.

    Returns ``(sha256, stored_path, created)``. The source is only read. The copy is written to
    a temporary file in the store, flushed to disk and renamed into place, so a crash or a full
    disk never leaves a half file under a real name.
    """
    src = Path(src)
    media_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=media_dir)
    tmp = Path(tmp_name)
    h = hashlib.sha256()
    try:
        with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
            while chunk := fin.read(CHUNK):
                h.update(chunk)
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        digest = h.hexdigest()
        ext = (suffix if suffix is not None else src.suffix).lower()
        ext = ext if ext[:1] == "." and ext[1:].isalnum() and len(ext) <= 6 else ""
        dest = media_dir / digest[:2] / (digest + ext)
        if dest.exists():
            tmp.unlink()
            return digest, dest, False
        dest.parent.mkdir(exist_ok=True)
        os.replace(tmp, dest)
        os.chmod(dest, 0o400)  # the store's copy is never modified either, and is the officer's alone
        return digest, dest, True
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno == 28:  # ENOSPC
            raise UserError(
                _("The disk is full: {name} could not be copied into the media store.", name=src.name),
                fix=_("Free some space and add the file again; nothing was changed."),
            ) from None
        raise UserError(_("Could not copy {name} into the media store: {strerror}.", name=src.name, strerror=exc.strerror)) from None

