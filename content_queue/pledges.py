"""The pledge wall (Bức tường An toàn số): people sign the campaign's pledge with the name as they
want it shown, their school or organisation and an age band; nothing else is asked (no phone,
address or e-mail, and a signature that carries one is refused). Under the guardian age only the
first name or the initials can be shown. Signatures wait for the officer's approval, or, when the
officer turns it on, show at once unless the word list flags them. One module for the CLI, the
workspace and the public page."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import UserError
from .i18n import N_, _
from .models import Campaign, Pledge, PledgeStatus
from .text import nfc

# The age bands a signer picks from: (code, lowest age, the words shown).
AGE_BANDS = (("under12", 0, N_("under 12")), ("12-15", 12, "12–15"), ("16-18", 16, "16–18"),
             ("19-24", 19, "19–24"), ("25+", 25, N_("25 and over")))
STYLES = ("full", "first", "initials")
STYLE_LABELS = {"full": N_("Full name"), "first": N_("First name only"), "initials": N_("Initials only")}
MAX_NAME = 60
MAX_ORGANISATION = 120
# Held back for the officer even when signatures show at once: insults and links (the officer adds
# the campaign's own words with `loa pledge words`). A word matches as written, or, typed without
# diacritics (as teenagers often do), its plain form: "cặc" holds back "cặc" and "cac", never "các".
WORDS = ("đm", "đmm", "địt", "đụ", "lồn", "cặc", "đéo", "vcl", "vkl", "vl", "clm", "dcm", "cc", "óc chó", "ngu",
         "fuck", "shit", "sex", "porn", "http", "https", "www")
PHONE = re.compile(r"(?:\d[\s.\-]?){8,}")
EMAIL = re.compile(r"\S+@\S+")
DEFAULT_TEXT = N_("I pledge to stay safe online: I will not share my personal information or pictures with "
                  "strangers, I will not go to meet someone I only know online, and I will tell my family, my "
                  "teachers or the police when something online frightens me. I am not alone.")


def pledge_text(campaign: Campaign) -> str:
    return campaign.pledge_text or _(DEFAULT_TEXT)


def band_label(code: str) -> str:
    return next((_(label) for c, _low, label in AGE_BANDS if c == code), code)


def is_minor_band(code: str, guardian_age: int) -> bool:
    """Anyone in the band might be under the guardian age: the name is then shown in part only."""
    low = next((low for c, low, _label in AGE_BANDS if c == code), 0)
    return low < guardian_age


def shown_name(name: str, style: str) -> str:
    """The name as it goes on the wall. Vietnamese names put the given name last: "Nguyễn Thị Hoa"
    is "Hoa" by first name, "N.T.H." by initials."""
    words = nfc(name).split()
    if style == "first":
        return words[-1] if words else ""
    if style == "initials":
        return "".join(w[0].upper() + "." for w in words)
    return " ".join(words)


def _plain(text: str) -> str:
    """Without diacritics (đ as d)."""
    import unicodedata

    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def flagged_words(campaign: Campaign, *texts: str) -> list[str]:
    """The list's words (or phrases) found whole in ``texts``: as written, or in their plain form
    where the text was typed without diacritics."""
    own = [w.strip() for w in (campaign.pledge_words or "").split(",") if w.strip()]
    words = re.findall(r"\w+", nfc(" ".join(texts)).lower())
    found = set()
    for entry in (*WORDS, *own):
        parts = nfc(entry).lower().split()
        plain = [_plain(p) for p in parts]
        n = len(parts)
        for i in range(len(words) - n + 1):
            window = words[i:i + n]
            if window == parts or (all(w.isascii() for w in window) and window == plain):
                found.add(entry)
    return sorted(found)


@dataclass
class Signature:
    name: str
    style: str
    organisation: str
    age_band: str


def check(campaign: Campaign, sig: Signature) -> list[str]:
    """What is wrong with a signature, in the signer's words (empty when it can go on the wall)."""
    problems = []
    name = " ".join(nfc(sig.name or "").split())
    if not name:
        problems.append(_("Write your name (as you want it shown)."))
    elif len(name) > MAX_NAME:
        problems.append(_("The name is too long: at most {count} characters.", count=MAX_NAME))
    if len(nfc(sig.organisation or "").strip()) > MAX_ORGANISATION:
        problems.append(_("The school or organisation is too long: at most {count} characters.",
                          count=MAX_ORGANISATION))
    if sig.age_band not in [c for c, *_rest in AGE_BANDS]:
        problems.append(_("Choose your age group."))
    if sig.style not in STYLES:
        problems.append(_("Choose how your name is shown."))
    elif sig.style == "full" and sig.age_band in [c for c, *_r in AGE_BANDS] and is_minor_band(
            sig.age_band, campaign.guardian_age):
        problems.append(_("Under {age}, only your first name or your initials can be shown: choose one of them.",
                          age=campaign.guardian_age))
    if any(PHONE.search(t) or EMAIL.search(t) for t in (sig.name or "", sig.organisation or "")):
        problems.append(_("Do not write a phone number or an e-mail address: the wall needs only your name."))
    if any(ch in (sig.name or "") + (sig.organisation or "") for ch in "\x00\r\n\t"):
        problems.append(_("The name and the school are one line each."))
    return problems


def sign(s: Session, campaign: Campaign, sig: Signature, *, now: datetime) -> Pledge:
    """A new signature, stored with only the name as shown; approved at once when the officer turned
    that on and the word list finds nothing, otherwise waiting for the officer."""
    problems = check(campaign, sig)
    if problems:
        raise UserError(" ".join(problems))
    name = shown_name(sig.name, sig.style)
    organisation = " ".join(nfc(sig.organisation or "").split())
    flagged = flagged_words(campaign, name, organisation)
    status = PledgeStatus.approved if campaign.pledge_auto and not flagged else PledgeStatus.pending
    pledge = Pledge(campaign_id=campaign.id, name=name, organisation=organisation, age_band=sig.age_band,
                    status=status, flagged=", ".join(flagged)[:200], signed_at=now,
                    decided_at=now if status is PledgeStatus.approved else None)
    s.add(pledge)
    s.flush()
    return pledge


def decide(s: Session, campaign: Campaign, ids: list[int], approve: bool, *, now: datetime) -> list[Pledge]:
    """Approve (or reject) signatures by id; an unknown id is an error naming it, nothing changed."""
    rows = {p.id: p for p in s.scalars(select(Pledge).where(Pledge.campaign_id == campaign.id, Pledge.id.in_(ids)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise UserError(_("No signature {id} in this campaign.", id=missing[0]), fix=_("See `loa pledge list`."),
                        web_fix=_("Reload the page: the list may have changed."))
    for p in rows.values():
        p.status = PledgeStatus.approved if approve else PledgeStatus.rejected
        p.decided_at = now
    s.flush()
    return [rows[i] for i in ids]


def listed(s: Session, campaign: Campaign, status: str | None = None, limit: int = 500) -> list[Pledge]:
    q = select(Pledge).where(Pledge.campaign_id == campaign.id)
    if status:
        if status not in [st.value for st in PledgeStatus]:
            raise UserError(_("Unknown status {status!r}.", status=status), fix=_("Use pending, approved or rejected."))
        q = q.where(Pledge.status == PledgeStatus(status))
    return list(s.scalars(q.order_by(Pledge.signed_at.desc(), Pledge.id.desc()).limit(limit)))


def wall(s: Session, campaign: Campaign, page: int = 1, per_page: int = 30) -> dict[str, Any]:
    """The approved signatures, newest first, one page of them; how many in all and per school."""
    approved = (Pledge.campaign_id == campaign.id, Pledge.status == PledgeStatus.approved)
    total = s.scalar(select(func.count()).select_from(Pledge).where(*approved)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list(s.scalars(select(Pledge).where(*approved).order_by(Pledge.signed_at.desc(), Pledge.id.desc())
                          .offset((page - 1) * per_page).limit(per_page)))
    by_school = s.execute(select(Pledge.organisation, func.count()).where(*approved)
                          .group_by(Pledge.organisation).order_by(func.count().desc(), Pledge.organisation)).all()
    return {"total": total, "page": page, "pages": pages,
            "signatures": [{"name": p.name, "organisation": p.organisation, "age_band": band_label(p.age_band)}
                           for p in rows],
            "by_school": [{"organisation": o or _("(no school given)"), "count": n} for o, n in by_school]}


def counts(s: Session, campaign: Campaign) -> dict[str, Any]:
    """For the report: signatures by status, and the approved ones by school and by age band."""
    rows = s.execute(select(Pledge.status, Pledge.organisation, Pledge.age_band)
                     .where(Pledge.campaign_id == campaign.id)).all()
    by_status = Counter(st.value for st, _o, _b in rows)
    approved = [(o, b) for st, o, b in rows if st is PledgeStatus.approved]
    return {"signed": len(rows), "approved": by_status.get("approved", 0), "pending": by_status.get("pending", 0),
            "rejected": by_status.get("rejected", 0),
            "by_school": dict(Counter(o or _("(no school given)") for o, _b in approved).most_common()),
            "by_age": {band_label(c): n for c, n in Counter(b for _o, b in approved).items()}}


def configure(s: Session, campaign: Campaign, *, text: str | None = None, auto: bool | None = None,
              words: str | None = None) -> Campaign:
    """The pledge's text, whether signatures show at once, the officer's own words to hold back."""
    if text is not None:
        text = nfc(text).strip()
        if len(text) > 2000:
            raise UserError(_("The pledge is too long: at most 2000 characters."))
        campaign.pledge_text = text
    if auto is not None:
        campaign.pledge_auto = auto
    if words is not None:
        campaign.pledge_words = ", ".join(w.strip() for w in nfc(words).split(",") if w.strip())[:2000]
    s.flush()
    return campaign
