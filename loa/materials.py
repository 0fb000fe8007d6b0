"""Ấn phẩm: the campaign's printed materials, as print-ready PDF: an A4 poster for the school gate,
an A6 flyer and a bookmark (5 x 18 cm). Each carries the campaign's name, its message, hashtags,
the help line and the QR code of its link, in Roboto (every Vietnamese letter, embedded as a
subset), in the campaign's colours. fpdf2 writes the PDF; qrcode draws the code.

The text is the campaign's own (NFC); the few words of ours come from the message catalogue, in the
campaign's language. A text too long for its box is set smaller until it fits, never cut."""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from content_queue.errors import UserError
from content_queue.i18n import N_, _
from content_queue.text import nfc

BLUE = (20, 40, 90)  # #14285a, the campaign's deep blue
YELLOW = (255, 196, 0)
WHITE = (255, 255, 255)
INK = (27, 27, 27)

# kind -> (width, height) in millimetres, and what the officer calls it
SIZES = {"poster": (210.0, 297.0), "flyer": (105.0, 148.0), "bookmark": (50.0, 180.0)}
LABELS = {"poster": N_("poster (A4)"), "flyer": N_("flyer (A6)"), "bookmark": N_("bookmark (5 x 18 cm)")}
KINDS = tuple(SIZES)


@dataclass
class Facts:
    """What the materials say: the campaign's words and its link."""

    name: str
    message: str
    hashtags: str
    help_line: str
    link: str


def facts_of(s, campaign, public_url: str = "") -> Facts:
    """The campaign's words and its upload link at its public address (needed: a printed link to
    127.0.0.1 would reach nobody)."""
    from content_queue.campaigns import check_public_url, portal_link

    base = check_public_url(public_url) or campaign.public_url
    if not base:
        raise UserError(_("Printed materials need the address people open the campaign's link at."),
                        fix=_("Set it with `loa campaign set --public-url https://...` (or give --public-url)."),
                        web_fix=_("Fill in the public address on the Campaign page."))
    return Facts(name=nfc(campaign.name), message=nfc(campaign.message or ""), hashtags=" ".join(campaign.hashtag_list),
                 help_line=nfc(campaign.help_line or ""), link=portal_link(s, campaign, base))


def _pdf(kind: str):
    from fpdf import FPDF

    from recap.cards import font_path

    w, h = SIZES[kind]
    pdf = FPDF(unit="mm", format=(w, h))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font("Roboto", "", font_path("Regular"))
    pdf.add_font("Roboto", "B", font_path("Bold"))
    pdf.set_creator("loa")
    pdf.add_page()
    return pdf


def _fit(pdf, text: str, *, x: float, y: float, w: float, h: float, size: float, style: str = "",
         color=INK, align: str = "C", least: float = 5.0) -> float:
    """Write ``text`` in the box, at ``size`` points or smaller until it fits; returns the height used."""
    if not text:
        return 0.0
    while True:
        pdf.set_font("Roboto", style, size)
        line = size * 0.3528 * 1.25  # points to millimetres, with some leading
        lines = pdf.multi_cell(w, line, text, align=align, dry_run=True, output="LINES")
        if len(lines) * line <= h or size <= least:
            break
        size -= 0.5
    pdf.set_text_color(*color)
    pdf.set_xy(x, y)
    pdf.multi_cell(w, line, text, align=align)
    return len(lines) * line


def _qr(pdf, link: str, *, x: float, y: float, side: float) -> None:
    import qrcode

    img = qrcode.make(link, box_size=10, border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    pdf.image(buf, x=x, y=y, w=side, h=side)


def render(kind: str, f: Facts) -> bytes:
    """The PDF of ``kind`` (poster, flyer or bookmark), as bytes."""
    if kind not in SIZES:
        raise UserError(_("No printed material {kind!r}.", kind=kind), fix=_("Choose {names}.", names=", ".join(KINDS)))
    pdf = _pdf(kind)
    w, h = SIZES[kind]
    if kind == "bookmark":
        _bookmark(pdf, f, w, h)
    else:
        _sheet(pdf, f, w, h)
    return bytes(pdf.output())


def _sheet(pdf, f: Facts, w: float, h: float) -> None:
    """The poster and the flyer: the same layout, scaled to the page."""
    k = w / 210.0  # 1 on A4, 0.5 on A6
    m = 14 * k
    band = h * 0.34
    pdf.set_fill_color(*BLUE)
    pdf.rect(0, 0, w, band, style="F")
    pdf.set_fill_color(*YELLOW)
    pdf.rect(0, band, w, 3 * k, style="F")
    _fit(pdf, f.name, x=m, y=m, w=w - 2 * m, h=band - 2 * m - 14 * k, size=46 * k, style="B", color=WHITE)
    _fit(pdf, f.hashtags, x=m, y=band - m - 10 * k, w=w - 2 * m, h=12 * k, size=20 * k, style="B", color=YELLOW)
    y = band + 12 * k
    used = _fit(pdf, f.message, x=m, y=y, w=w - 2 * m, h=h * 0.2, size=22 * k, color=INK)
    y += used + 10 * k
    side = min(w * 0.36, h - y - 52 * k)
    _qr(pdf, f.link, x=(w - side) / 2, y=y, side=side)
    y += side + 3 * k
    _fit(pdf, _("Scan to send your clip and find help online:"), x=m, y=y, w=w - 2 * m, h=10 * k, size=14 * k,
         color=INK)
    y += 8 * k
    _fit(pdf, f.link, x=m, y=y, w=w - 2 * m, h=10 * k, size=11 * k, color=BLUE)
    if f.help_line:
        pdf.set_fill_color(*BLUE)
        pdf.rect(0, h - 26 * k, w, 26 * k, style="F")
        _fit(pdf, _("Need help? Do not stay alone: {help_line}", help_line=f.help_line), x=m, y=h - 22 * k,
             w=w - 2 * m, h=18 * k, size=18 * k, style="B", color=WHITE)


def _bookmark(pdf, f: Facts, w: float, h: float) -> None:
    m = 4.0
    pdf.set_fill_color(*BLUE)
    pdf.rect(0, 0, w, 62, style="F")
    pdf.set_fill_color(*YELLOW)
    pdf.rect(0, 62, w, 1.5, style="F")
    _fit(pdf, f.name, x=m, y=m, w=w - 2 * m, h=42, size=15, style="B", color=WHITE)
    _fit(pdf, f.hashtags, x=m, y=48, w=w - 2 * m, h=12, size=7.5, style="B", color=YELLOW)
    used = _fit(pdf, f.message, x=m, y=68, w=w - 2 * m, h=50, size=9, color=INK)
    y = 68 + used + 4
    side = w - 2 * m - 6
    _qr(pdf, f.link, x=(w - side) / 2, y=y, side=side)
    y += side + 1
    _fit(pdf, f.link, x=m, y=y, w=w - 2 * m, h=8, size=5.5, color=BLUE)
    if f.help_line:
        pdf.set_fill_color(*BLUE)
        pdf.rect(0, h - 20, w, 20, style="F")
        _fit(pdf, _("Need help? Do not stay alone: {help_line}", help_line=f.help_line), x=m, y=h - 18, w=w - 2 * m,
             h=16, size=8, style="B", color=WHITE)


def write(kind: str, f: Facts, out: Path, *, force: bool = False) -> Path:
    """Write the PDF to ``out``; an existing file is kept unless ``force``."""
    out = Path(out)
    if out.exists() and not force:
        raise UserError(_("{path} already exists; it is left as it is.", path=out),
                        fix=_("Give another --out, or --force to replace it."))
    data = render(kind, f)
    tmp = out.with_name(out.name + ".part")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(_("Cannot write {path}: {reason}.", path=out, reason=exc.strerror)) from None
    return out


def label(kind: str) -> str:
    return _(LABELS[kind])
