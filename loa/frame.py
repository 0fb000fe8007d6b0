"""The campaign's avatar frame (khung ảnh đại diện): a square PNG with transparency that people put
their own photo under, on their phone, on the public page. The officer's file is checked (a PNG,
with transparency, square, at least 1000x1000) and kept as the officer gave it; the page gets a
1080x1080 copy made small for a slow line. Without one, a frame is drawn from the campaign's
colours, name and hashtags."""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from content_queue.errors import UserError
from content_queue.i18n import _

SIZE = 1080  # what the page composes and downloads
MIN_SIDE = 1000
SERVED_LIMIT = 60 * 1024  # the page's frame, over a slow line: at most this much when it can be
FILE_NAME = "campaign-frame.png"  # the officer's frame, as given, in the media store
SERVED_NAME = "campaign-frame-1080.png"  # what the public page downloads


def frame_paths(media_dir: Path) -> tuple[Path, Path]:
    return media_dir / FILE_NAME, media_dir / SERVED_NAME


def check(path: Path) -> "Image.Image":  # noqa: F821 (Pillow's, imported when used)
    """The frame, opened, or a UserError saying what is wrong with the file and how to fix it."""
    from PIL import UnidentifiedImageError

    from content_queue.media import open_picture

    try:
        img = open_picture(path)  # its size checked from the header, before it is decoded
        img.load()
    except FileNotFoundError:
        raise UserError(_("There is no file {name}.", name=Path(path).name)) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise UserError(_("{name} is not a picture loa can read.", name=Path(path).name),
                        fix=_("Export the frame as PNG with a transparent middle."),
                        web_fix=_("Choose the frame exported as PNG with a transparent middle.")) from None
    problems = []
    if img.format != "PNG":
        problems.append(_("it is a {kind} file, not PNG", kind=img.format or "?"))
    alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if alpha:
        lowest, _highest = img.convert("RGBA").getchannel("A").getextrema()
        alpha = lowest < 255
    if not alpha:
        problems.append(_("it has no transparent part, so a photo under it would not show"))
    w, h = img.size
    if w != h:
        problems.append(_("it is {width}x{height}, not square", width=w, height=h))
    if min(w, h) < MIN_SIDE:
        problems.append(_("it is {width}x{height}; a frame needs at least {side}x{side}", width=w, height=h,
                          side=MIN_SIDE))
    if problems:
        raise UserError(_("{name} cannot be the frame: {problems}.", name=Path(path).name,
                          problems="; ".join(problems)),
                        fix=_("Export a square PNG of at least 1080x1080 with a transparent middle, then run "
                              "`loa frame set FILE` again."),
                        web_fix=_("Export a square PNG of at least 1080x1080 with a transparent middle and choose "
                                  "it again."))
    return img


def _served(img) -> bytes:
    """The page's copy: 1080x1080, as a PNG; made with a palette (transparency kept) when the full
    colours would weigh more than a slow line should wait for."""
    from PIL import Image

    img = img.convert("RGBA").resize((SIZE, SIZE), Image.LANCZOS)
    full = io.BytesIO()
    img.save(full, "PNG", optimize=True)
    if full.tell() <= SERVED_LIMIT:
        return full.getvalue()
    small = io.BytesIO()
    q = img.quantize(colors=128, method=Image.Quantize.FASTOCTREE)
    # the quantizer leaves opaque parts at 254 and clear ones at a few: put them back, so that the
    # frame's border covers the photo wholly and its window shows it wholly
    pal = q.getpalette(rawmode="RGBA")
    pal[3::4] = [255 if a >= 248 else 0 if a <= 7 else a for a in pal[3::4]]
    q.putpalette(pal, rawmode="RGBA")
    q.save(small, "PNG", optimize=True)
    return min(full.getvalue(), small.getvalue(), key=len)


def _write(path: Path, data: bytes) -> None:
    """Written whole or not at all (a full disk leaves the old frame in place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".frame-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(_("The frame could not be saved: {strerror}.", strerror=exc.strerror),
                        fix=_("Free some space and set the frame again; the old frame is unchanged.")) from None


def set_frame(path: Path, media_dir: Path) -> dict[str, int]:
    """Check the officer's frame and keep it (a copy: their file is not touched) with the page's copy."""
    img = check(Path(path))
    original, served = frame_paths(media_dir)
    data = _served(img)
    _write(original, Path(path).read_bytes())
    _write(served, data)
    return {"width": img.size[0], "height": img.size[1], "served_bytes": len(data)}


def default_frame(name: str, hashtags: str) -> "Image.Image":  # noqa: F821
    """A frame drawn from the campaign: a deep-blue ring with a yellow edge around a transparent
    circle, the campaign's name on a band at the bottom, its hashtags above it."""
    from PIL import Image, ImageDraw

    from recap.cards import ACCENT, BRAND, WHITE, fit_text, line_height

    scale = 2  # drawn large, then reduced: smooth edges
    s = SIZE * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    ring = int(s * 0.06)
    d.ellipse([0, 0, s - 1, s - 1], fill=BRAND + (255,))
    d.ellipse([ring, ring, s - ring - 1, s - ring - 1], fill=ACCENT + (255,))
    inner = ring + int(s * 0.012)
    d.ellipse([inner, inner, s - inner - 1, s - inner - 1], fill=(0, 0, 0, 0))
    band_top = int(s * 0.76)
    band = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    bd = ImageDraw.Draw(band)
    bd.rounded_rectangle([int(s * 0.12), band_top, int(s * 0.88), int(s * 0.93)], radius=int(s * 0.04),
                         fill=BRAND + (255,), outline=ACCENT + (255,), width=int(s * 0.006))
    width = int(s * 0.70)
    title, _dash, subtitle = name.partition("–")  # "Không một mình – Cùng nhau an toàn trực tuyến"
    f, lines = fit_text(title.strip() or name, width, 1 if subtitle.strip() else 2, start=int(s * 0.06),
                        minimum=int(s * 0.03))
    y = band_top + int(s * 0.016)
    for line in lines:
        bd.text((s // 2, y), line, font=f, fill=WHITE + (255,), anchor="ma")
        y += line_height(f)
    if subtitle.strip():
        sf, slines = fit_text(subtitle.strip(), width, 1, start=int(s * 0.036), minimum=int(s * 0.02),
                              weight="Medium")
        bd.text((s // 2, y), slines[0], font=sf, fill=ACCENT + (255,), anchor="ma")
    tags = " ".join(hashtags.split()[:3])
    if tags:
        tf, tlines = fit_text(tags, int(s * 0.66), 1, start=int(s * 0.032), minimum=int(s * 0.02), weight="Medium")
        bd.text((s // 2, int(s * 0.74)), tlines[0], font=tf, fill=ACCENT + (255,), anchor="md",
                stroke_width=int(s * 0.004), stroke_fill=BRAND + (255,))
    img = Image.alpha_composite(img, band)
    return img.resize((SIZE, SIZE), Image.LANCZOS)


def ensure_frame(media_dir: Path, name: str, hashtags: str, *, redraw: bool = False) -> Path:
    """The page's frame: the officer's, or (made now, once) the campaign's default."""
    _original, served = frame_paths(media_dir)
    if served.is_file() and not redraw:
        return served
    _write(served, _served(default_frame(name, hashtags)))
    return served


def use_default(media_dir: Path, name: str, hashtags: str) -> dict[str, int]:
    """Back to the frame drawn from the campaign (the officer's file is forgotten)."""
    original, _served_path = frame_paths(media_dir)
    original.unlink(missing_ok=True)
    path = ensure_frame(media_dir, name, hashtags, redraw=True)
    return {"width": SIZE, "height": SIZE, "served_bytes": path.stat().st_size}
