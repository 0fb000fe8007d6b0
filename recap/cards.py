"""Vietnamese text drawn with Pillow in Roboto (full Vietnamese coverage, shipped by the
font-roboto package): title cards and lower thirds that wrap or shrink, never run off the frame,
and stay inside the part of the screen TikTok and Reels leave free."""
from __future__ import annotations

import os
import unicodedata
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

BRAND = (18, 52, 86)  # deep blue of the campaign
ACCENT = (255, 196, 0)
WHITE = (255, 255, 255)


def font_path(weight: str = "Bold") -> str:
    import font_roboto

    return os.path.join(font_roboto.font_directory, f"Roboto-{weight}.ttf")


@lru_cache(maxsize=64)
def font(size: int, weight: str = "Bold") -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(weight), size)


def safe_area(width: int, height: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) free of TikTok's and Reels' buttons and captions: 15% of the height
    at the top, 22% at the bottom, 6% on the left and 17% on the right (the action buttons) on a
    9:16 frame; 6% all round otherwise (square, landscape, and the 4:5 feed cut, which the feed
    shows without buttons over it)."""
    if height >= width * 1.6:
        return int(width * 0.06), int(height * 0.15), int(width * 0.83), int(height * 0.78)
    m = int(min(width, height) * 0.06)
    return m, m, width - m, height - m


def wrap(text: str, f: ImageFont.FreeTypeFont, max_width: int, draw: ImageDraw.ImageDraw) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        trial = f"{line} {w}".strip()
        if draw.textlength(trial, font=f) <= max_width or not line:
            line = trial
        else:
            lines.append(line)
            line = w
    if line:
        lines.append(line)
    return lines


def fit_text(text: str, max_width: int, max_lines: int, start: int, minimum: int = 22,
             weight: str = "Bold") -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font (from ``start`` down) at which ``text`` fits in ``max_lines`` lines."""
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    size = start
    while True:
        f = font(size, weight)
        lines = wrap(text, f, max_width, probe)
        widest = max((probe.textlength(line, font=f) for line in lines), default=0)
        if (len(lines) <= max_lines and widest <= max_width) or size <= minimum:
            if widest > max_width:  # one unbreakable word, even at the smallest size: cut it visibly
                lines = [_ellipsize(line, f, max_width, probe) for line in lines[:max_lines]]
            return f, lines[:max_lines]
        size -= 2


def _ellipsize(line: str, f, max_width: int, draw) -> str:
    while line and draw.textlength(line + "…", font=f) > max_width:
        line = line[:-1]
    return line + "…"


def line_height(f: ImageFont.FreeTypeFont) -> int:
    ascent, descent = f.getmetrics()
    return int((ascent + descent) * 1.12)  # room for stacked Vietnamese marks (ấ, ổ, ự)


def card(size: tuple[int, int], title: str, body: str = "", footer: str = "") -> Image.Image:
    """A full-frame title card: the campaign's name, its message, a footer line."""
    w, h = size
    img = Image.new("RGB", size, BRAND)
    d = ImageDraw.Draw(img)
    left, top, right, bottom = safe_area(w, h)
    width = right - left
    y = top + (bottom - top) // 5
    d.rectangle([left, y - 30, left + width // 4, y - 18], fill=ACCENT)
    f, lines = fit_text(title, width, 4, start=int(w * 0.085))
    for line in lines:
        d.text((left, y), line, font=f, fill=WHITE)
        y += line_height(f)
    if body:
        y += int(h * 0.03)
        f, lines = fit_text(body, width, 6, start=int(w * 0.05), weight="Regular")
        for line in lines:
            d.text((left, y), line, font=f, fill=WHITE)
            y += line_height(f)
    if footer:
        f, lines = fit_text(footer, width, 3, start=int(w * 0.045), weight="Medium")
        y = bottom - len(lines) * line_height(f)
        for line in lines:
            d.text((left, y), line, font=f, fill=ACCENT)
            y += line_height(f)
    return img


def lower_third(size: tuple[int, int], name: str, school: str) -> tuple[Image.Image, tuple[int, int]]:
    """An RGBA band with the participant's name (as they chose) and school, and where it goes."""
    w, h = size
    left, top, right, bottom = safe_area(w, h)
    width = right - left
    pad = int(w * 0.025)
    inner = width - 2 * pad
    name_font, name_lines = fit_text(name, inner, 2, start=int(w * 0.06)) if name else (None, [])
    school_font, school_lines = fit_text(school, inner, 2, start=int(w * 0.04), weight="Medium") if school else (None, [])
    height = pad * 2 + len(name_lines) * (line_height(name_font) if name_font else 0) + \
        len(school_lines) * (line_height(school_font) if school_font else 0)
    band = Image.new("RGBA", (width, max(height, pad * 2)), (0, 0, 0, 0))
    d = ImageDraw.Draw(band)
    d.rounded_rectangle([0, 0, width - 1, band.height - 1], radius=pad, fill=BRAND + (215,))
    d.rectangle([0, pad, int(pad * 0.4), band.height - pad], fill=ACCENT + (255,))
    y = pad
    for line in name_lines:
        d.text((pad, y), line, font=name_font, fill=WHITE + (255,))
        y += line_height(name_font)
    for line in school_lines:
        d.text((pad, y), line, font=school_font, fill=ACCENT + (255,))
        y += line_height(school_font)
    return band, (left, bottom - band.height)
