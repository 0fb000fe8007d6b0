"""Who may be shown, and how: the consent rules for participants' clips."""
from __future__ import annotations

from .models import Clip, ClipStatus, Consent, NameDisplay


def displayed_name(clip: Clip) -> str:
    """The name as the participant chose it to be shown. Vietnamese names put the given name last:
    "Nguyễn Thị Hoa" shown by first name is "Hoa"."""
    name = " ".join(clip.participant_name.split())
    if clip.display is NameDisplay.full:
        return name
    if clip.display is NameDisplay.first:
        return name.split(" ")[-1] if name else ""
    return ""


def consent_ok(clip: Clip, guardian_age: int) -> bool:
    if clip.consent is Consent.none:
        return False
    if clip.age is None or clip.age < guardian_age:
        return clip.consent is Consent.guardian and bool(clip.guardian_name.strip())
    return True


def publishable(clip: Clip, guardian_age: int) -> bool:
    """May this clip appear in a public recap? Approved, consented, not withdrawn."""
    return clip.status is ClipStatus.approved and consent_ok(clip, guardian_age) and clip.media_id is not None
