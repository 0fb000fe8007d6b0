"""Who may be shown, and how: the consent rules for participants' clips."""
from __future__ import annotations

from .i18n import N_, _
from .models import Clip, ClipStatus, Consent, NameDisplay

# What the officer reads for a clip's review state and its consent (the codes stay for --json).
STATUS_LABELS = {"pending": N_("awaiting review"), "approved": N_("approved"), "rejected": N_("rejected"),
                 "withdrawn": N_("withdrawn")}
CONSENT_LABELS = {"self": N_("consented themselves"), "guardian": N_("guardian consented"), "none": N_("no consent yet")}


SOURCE_LABELS = {"cli": N_("added at the command line"), "import": N_("imported with a manifest"),
                 "portal": N_("sent through the campaign's link"), "workspace": N_("added in the workspace")}


def source_label(code: str) -> str:
    return _(SOURCE_LABELS[code]) if code in SOURCE_LABELS else code


def status_label(code: str) -> str:
    return _(STATUS_LABELS[code]) if code in STATUS_LABELS else code


def consent_label(code: str) -> str:
    return _(CONSENT_LABELS[code]) if code in CONSENT_LABELS else code


def displayed_name(clip: Clip) -> str:
    """The name as the participant chose it to be shown. Vietnamese names put the given name last:
    "Nguyễn Thị Hoa" shown by first name is "Hoa"."""
    name = " ".join(clip.participant_name.split())
    if clip.display is NameDisplay.full:
        return name
    if clip.display is NameDisplay.first:
        return name.split(" ")[-1] if name else ""
    return ""


def needs_guardian(age: int | None, guardian_age: int) -> bool:
    """The rule: under the campaign's guardian age (or of unknown age), a guardian must consent."""
    return age is None or age < guardian_age


def consent_given(age: int | None, consent: Consent | str, guardian: str, guardian_age: int) -> bool:
    consent = Consent(consent)
    if consent is Consent.none:
        return False
    if needs_guardian(age, guardian_age):
        return consent is Consent.guardian and bool((guardian or "").strip())
    return True


def consent_ok(clip: Clip, guardian_age: int) -> bool:
    return consent_given(clip.age, clip.consent, clip.guardian_name, guardian_age)


def consent_problems(age: int | None, consent: str, guardian: str, guardian_age: int) -> list[str]:
    """What is wrong with a declared consent (empty when it is well formed; ``none`` is well
    formed: the clip is kept on record and stays out of public recaps)."""
    if consent not in {c.value for c in Consent}:
        return [_("consent {value!r} must be self, guardian or none", value=consent)]
    if consent == Consent.guardian.value and not (guardian or "").strip():
        return [_("guardian consent needs the guardian's name")]
    if consent == Consent.self_.value and age is not None and needs_guardian(age, guardian_age):
        return [_("a participant under {age} cannot consent alone: a guardian must (consent=guardian)",
                  age=guardian_age)]
    return []


def portal_wording(guardian_age: int) -> dict[str, str]:
    """The rule as the public upload page says it (the page gets it from here, never a copy)."""
    return {
        "minorHint": _("Under {age}: a parent or guardian must agree.", age=guardian_age),
        "needGuardian": _("Under {age}: a parent or guardian must agree (write their name and tick the box).",
                          age=guardian_age),
        "needSelf": _("Please tick the box to agree that the video may be published."),
    }


def portal_consent(age: int, guardian_age: int, *, self_confirmed: bool, guardian_confirmed: bool,
                   guardian: str) -> tuple[str, str | None]:
    """The consent a portal form gives, and the page's refusal if it gives none."""
    words = portal_wording(guardian_age)
    if needs_guardian(age, guardian_age):
        if guardian_confirmed and (guardian or "").strip():
            return Consent.guardian.value, None
        return Consent.none.value, words["needGuardian"]
    return (Consent.self_.value, None) if self_confirmed else (Consent.none.value, words["needSelf"])


def publishable(clip: Clip, guardian_age: int) -> bool:
    """May this clip appear in a public recap? Approved, consented, not withdrawn."""
    return clip.status is ClipStatus.approved and consent_ok(clip, guardian_age) and clip.media_id is not None
