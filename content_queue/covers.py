"""A cover picture for Zalo articles, made from the officer's own file: Zalo takes a cover only by
address (``cover.photo_url``) and fails it at verify when the picture is about 1 MB or more
(connectors.limits.ZALO_IMAGE_MAX_BYTES, UNVERIFIED), so loa makes a JPEG under that size, keeps it
in the media store and serves it on the campaign's public pages, at
``<public address>/c/<token>/covers/<sha256>.jpg``, for Zalo to fetch."""
from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path

from sqlalchemy.orm import Session

from connectors import limits as L

from .campaigns import portal_link
from .errors import UserError
from .i18n import _
from .media import open_picture
from .models import Campaign

FOLDER = "covers"
NAME = re.compile(r"[0-9a-f]{64}\.jpg")
LONGEST_SIDE = 1600  # px: a cover shown across a phone, kept well under the size limit
LIMIT = L.ZALO_IMAGE_MAX_BYTES - 64 * 1024  # a margin under "about 1 MB"


def jpeg_under_limit(src: Path) -> bytes:
    """``src`` (any picture Pillow reads: JPEG, PNG, WebP, HEIC where supported) as a JPEG under
    :data:`LIMIT`: turned upright as the phone took it, flattened on white, at most
    :data:`LONGEST_SIDE` px, the quality lowered until it fits."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with open_picture(src) as im:  # lazy: only the header is read, and its size checked
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "P"):
                im = im.convert("RGBA")
                flat = Image.new("RGB", im.size, "white")
                flat.paste(im, mask=im.getchannel("A"))
                im = flat
            im = im.convert("RGB")
            im.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
            for quality in (88, 80, 70, 60, 50, 40):
                out = io.BytesIO()
                im.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
                if out.tell() < LIMIT:
                    return out.getvalue()
                if quality == 50:
                    im.thumbnail((im.width * 3 // 4, im.height * 3 // 4))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise UserError(_("{path} is not a picture loa can read ({exc}).", path=src.name, exc=exc),
                        fix=_("Give a JPEG or PNG picture.")) from None
    raise UserError(_("{path} could not be made smaller than 1 MB.", path=src.name), fix=_("Give a smaller picture."))


def make_cover(s: Session, campaign: Campaign, src: Path, media_dir: Path) -> str:
    """The cover's public address, the JPEG written once into the media store (owner only)."""
    if not campaign.public_url:
        raise UserError(_("Zalo fetches a cover picture from the campaign's public address, and the campaign has none."),
                        fix=_("Set it first: `loa campaign set --public-url https://...` (where `loa serve` is reached "
                              "from the internet)."),
                        web_fix=_("Fill in the public address on the Campaign page."))
    data = jpeg_under_limit(Path(src))
    name = hashlib.sha256(data).hexdigest() + ".jpg"
    folder = media_dir / FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        tmp = target.with_suffix(".part")
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    return f"{portal_link(s, campaign)}/{FOLDER}/{name}"


def cover_file(media_dir: Path, name: str) -> Path | None:
    """The stored cover called ``name``, or None: only names loa gave (no path, no other file)."""
    if not NAME.fullmatch(name or ""):
        return None
    path = media_dir / FOLDER / name
    return path if path.is_file() else None
