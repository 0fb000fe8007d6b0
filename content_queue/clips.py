"""Clip intake: store the original once under its hash, probe it, record who sent it and their
consent, and put it up for the officer's review. The same rules serve `loa clips add`, the
manifest import and the upload portal."""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .consent import consent_ok, consent_problems, needs_guardian, portal_consent, source_label
from .errors import NotFound, UserError, ValidationFailed
from .i18n import _
from .media import store_file
from .models import Campaign, Clip, ClipStatus, Consent, Media, NameDisplay, Post, Recap
from .text import nfc
from .validation import Problem

from .clip_probe import ClipRejected, poster_frame, probe_clip

MANIFEST_COLUMNS = ("file", "participant", "school", "class", "age", "consent", "guardian", "display")
POSTERS = "posters"


@dataclass
class Sender:
    """Who sent a clip and what they agreed to."""

    participant: str
    school: str = ""
    class_name: str = ""
    age: int | None = None
    consent: str = "none"
    guardian: str = ""
    display: str = "first"
    source: str = "cli"


def check_sender(sender: Sender, guardian_age: int) -> list[str]:
    """Every problem with what a sender declared (empty when fine)."""
    problems = []
    if not nfc(sender.participant).strip():
        problems.append(_("the participant's name is missing"))
    if sender.age is not None and not 5 <= sender.age <= 120:
        problems.append(_("age {age} is not plausible", age=sender.age))
    if sender.display not in {d.value for d in NameDisplay}:
        problems.append(_("display {value!r} must be full, first or anonymous", value=sender.display))
    elif sender.display == NameDisplay.full.value and needs_guardian(sender.age, guardian_age):
        # The wall's rule (content_queue.pledges): under the guardian age, never a full name in public.
        problems.append(_("under {age}, only the first name can be shown, or no name (display first or anonymous)",
                          age=guardian_age))
    problems += consent_problems(sender.age, sender.consent, nfc(sender.guardian), guardian_age)
    return problems


def sender_from_portal(form: dict[str, str], guardian_age: int) -> tuple[Sender | None, str | None]:
    """The sender a portal form describes, or the page's refusal (in Vietnamese: the public sees it)."""
    try:
        age = int(form.get("age", "")) if form.get("age") else None
    except ValueError:
        return None, _("The age must be a number.")
    if age is None:
        return None, _("Please give your age.")
    consent, refusal = portal_consent(age, guardian_age, self_confirmed=form.get("selfConfirmed") == "yes",
                                      guardian_confirmed=form.get("guardianConfirmed") == "yes",
                                      guardian=form.get("guardian", ""))
    if refusal:
        return None, refusal
    sender = Sender(participant=form.get("name", ""), school=form.get("school", ""), class_name=form.get("class", ""),
                    age=age, consent=consent, guardian=form.get("guardian", ""),
                    display=form.get("display", "first"), source="portal")
    problems = check_sender(sender, guardian_age)
    return (None, "; ".join(problems)) if problems else (sender, None)


def _media_for(s: Session, stored: Path, media_dir: Path, sha: str, original: str, facts) -> Media:
    row = s.scalar(select(Media).where(Media.sha256 == sha))
    if row is None:
        row = Media(sha256=sha, relpath=str(stored.relative_to(media_dir)), original_name=nfc(original),
                    size=stored.stat().st_size, kind="video", container=facts.container if facts else "",
                    width=facts.width if facts else None, height=facts.height if facts else None,
                    duration=facts.duration if facts else None, fps=facts.fps if facts else None,
                    video_codec=facts.video_codec if facts else None,
                    audio_codec=facts.audio_codec if facts else None, facts=facts.as_dict() if facts else {})
        s.add(row)
        s.flush()
    return row


@dataclass
class Examined:
    """A clip file looked at (stored, probed, its poster made), before anything is recorded."""

    path: Path
    name: str
    sha: str = ""
    stored: Path | None = None
    facts: Any = None
    reason: str = ""  # why it is rejected, if it is
    poster: Path | None = None


def examine(path: Path, *, media_dir: Path, original_name: str | None = None) -> Examined:
    """The media work of intake: store the original under its hash, decode every frame, make the
    poster. Touches no database, so it never holds one while it decodes."""
    path = Path(path)
    if not path.is_file():
        raise UserError(_("File not found: {path}.", path=path), fix=_("Check the path."))
    ex = Examined(path, nfc(original_name or path.name))
    if path.stat().st_size == 0:
        ex.reason = _("the file is empty (0 bytes): the upload did not finish")
        return ex
    ex.sha, ex.stored, _created = store_file(path, media_dir, suffix=Path(ex.name).suffix)
    try:
        ex.facts = probe_clip(ex.stored)
    except ClipRejected as exc:
        ex.reason = str(exc)
        return ex
    poster = media_dir / POSTERS / f"{ex.sha}.jpg"
    try:
        poster_frame(ex.stored, poster, at=min(1.0, ex.facts.duration / 3))
        ex.poster = poster
    except Exception:  # a poster is a convenience: the clip itself decoded fine
        ex.poster = None
    return ex


def record(s: Session, campaign: Campaign, ex: Examined, sender: Sender, *, media_dir: Path,
           now: datetime | None = None) -> Clip:
    """Record an examined clip (a short write): pending, rejected with its reason, or a
    duplicate of the clip first sent with the same file."""
    now = now or datetime.now(timezone.utc)
    name = nfc(sender.participant).strip()
    if needs_guardian(sender.age, campaign.guardian_age):  # as on the wall: a minor's given name only is kept
        name = name.split()[-1] if name else ""
    base = dict(campaign_id=campaign.id, original_name=ex.name, participant_name=name,
                school=nfc(sender.school).strip(), class_name=nfc(sender.class_name).strip(), age=sender.age,
                consent=Consent(sender.consent), guardian_name=nfc(sender.guardian).strip(),
                display=NameDisplay(sender.display), source=sender.source, received_at=now)
    if not ex.sha:
        clip = Clip(sha256="", status=ClipStatus.rejected, reason=ex.reason, **base)
        s.add(clip)
        s.flush()
        return clip
    first = s.scalar(select(Clip).where(Clip.campaign_id == campaign.id, Clip.sha256 == ex.sha,
                                        Clip.duplicate_of_id.is_(None)).order_by(Clip.id))
    if first is not None:
        clip = Clip(sha256=ex.sha, status=ClipStatus.rejected, duplicate_of_id=first.id, media_id=first.media_id,
                    reason=_("the same file as clip {clip} (sent again)", clip=first.id), probe=first.probe, **base)
        s.add(clip)
        s.flush()
        if first.media_id is None:
            _drop_if_unused(s, ex.stored, ex.sha, media_dir)
        return clip
    if ex.reason:
        clip = Clip(sha256=ex.sha, status=ClipStatus.rejected, reason=ex.reason, **base)
        s.add(clip)
        s.flush()
        _drop_if_unused(s, ex.stored, ex.sha, media_dir)
        return clip
    media = _media_for(s, ex.stored, media_dir, ex.sha, ex.name, ex.facts)
    clip = Clip(sha256=ex.sha, media_id=media.id, status=ClipStatus.pending, probe=ex.facts.as_dict(),
                poster_relpath=str(ex.poster.relative_to(media_dir)) if ex.poster else None, **base)
    s.add(clip)
    s.flush()
    return clip


def add_clip(s: Session, campaign: Campaign, path: Path, sender: Sender, *, media_dir: Path,
             original_name: str | None = None, now: datetime | None = None) -> Clip:
    """Take one clip in. A file that is not a usable video is recorded as rejected with its reason.
    The file is examined before anything is written."""
    return add_clips(s, campaign, [(Path(path), sender)], media_dir=media_dir, now=now,
                     names=[original_name])[0]


def add_clips(s: Session, campaign: Campaign, files: list[tuple[Path, Sender]], *, media_dir: Path,
              now: datetime | None = None, progress: Callable[[int], None] | None = None,
              names: list[str | None] | None = None) -> list[Clip]:
    """Take clips in: every sender checked, then every file examined (no database write while
    frames are decoded), then all recorded in one short write."""
    for path, sender in files:
        problems = check_sender(sender, campaign.guardian_age)
        if problems:
            raise UserError(f"{Path(path).name}: " + "; ".join(problems) + ".")
    examined = []
    for i, (path, _sender) in enumerate(files):
        examined.append(examine(path, media_dir=media_dir, original_name=(names or [None] * len(files))[i]))
        if progress:
            progress(1)
    return [record(s, campaign, ex, sender, media_dir=media_dir, now=now)
            for ex, (_path, sender) in zip(examined, files)]


def _drop_if_unused(s: Session, stored: Path, sha: str, media_dir: Path) -> None:
    """A rejected file is not kept in the store (the sender's original is untouched)."""
    used = s.scalar(select(Media.id).where(Media.sha256 == sha))
    if used is None:
        try:
            os.chmod(stored, 0o600)
            stored.unlink()
        except OSError:
            pass


# --- manifest -------------------------------------------------------------------------------

def read_manifest(path: Path, folder: Path, guardian_age: int, *, shown: str = "",
                  folder_shown: str = "") -> list[tuple[Path, Sender]]:
    """Check the whole manifest first; every bad row is listed with its line and reason. A row's
    file must be inside ``folder`` (no absolute path, no ~, no ..). ``shown``/``folder_shown``: how
    the manifest and the folder are named in a problem (the workspace: never the server's paths)."""
    where = shown or path
    folder_said = folder_shown or folder
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(_("Cannot read {path} as UTF-8 text ({exc}).", path=where,
                          exc=type(exc).__name__ if shown else exc),
                        fix=_("In Excel choose \"CSV UTF-8\" when saving.")) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [nfc(h).strip().lower() for h in (reader.fieldnames or [])]
    unknown = [h for h in headers if h and h not in MANIFEST_COLUMNS]
    if unknown or "file" not in headers or "participant" not in headers:
        raise UserError(_("{path}: the columns must be {names} (file and participant required)",
                          path=where, names=', '.join(MANIFEST_COLUMNS))
                        + (_("; unknown: {names}", names=', '.join(unknown)) if unknown else "") + ".")
    reader.fieldnames = headers
    rows, problems = [], []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        row = {k: nfc(v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        errs = []
        named = row.get("file", "")
        file = folder / named
        inside = bool(named) and not Path(named).is_absolute() and not named.startswith("~") and \
            file.resolve().is_relative_to(folder.resolve())
        if not named:
            errs.append(_("no file named"))
        elif not inside or not file.is_file():  # only the file's own name said: nothing of elsewhere
            errs.append(_("file {file!r} is not in {folder}", file=Path(named).name, folder=folder_said))
        elif row["file"] in seen:
            errs.append(_("file {file!r} is listed twice", file=row['file']))
        seen.add(row.get("file", ""))
        age = None
        if row.get("age"):
            try:
                age = int(row["age"])
            except ValueError:
                errs.append(_("age {age!r} is not a number", age=row['age']))
        sender = Sender(participant=row.get("participant", ""), school=row.get("school", ""),
                        class_name=row.get("class", ""), age=age, consent=(row.get("consent") or "none").lower(),
                        guardian=row.get("guardian", ""), display=(row.get("display") or "first").lower(),
                        source="import")
        errs += check_sender(sender, guardian_age)
        if errs:
            problems.append(Problem("; ".join(errs) + ".", where=_("line {line}", line=line)))
        else:
            rows.append((file, sender))
    if problems:
        raise ValidationFailed(problems)
    if not rows:
        raise UserError(_("{path} lists no clips.", path=path), fix=_("One row per clip under the header line."))
    return rows


def import_folder(s: Session, campaign: Campaign, folder: Path, manifest: Path, *, media_dir: Path,
                  progress: Callable[[int], None] | None = None) -> list[Clip]:
    rows = read_manifest(manifest, folder, campaign.guardian_age)
    return add_clips(s, campaign, rows, media_dir=media_dir, progress=progress)


# --- review ---------------------------------------------------------------------------------

def get_clip(s: Session, campaign: Campaign, clip_id: int) -> Clip:
    clip = s.scalar(select(Clip).where(Clip.id == clip_id, Clip.campaign_id == campaign.id))
    if clip is None:
        raise NotFound(_("No clip {clip_id}.", clip_id=clip_id), fix=_("See `loa clips list`."))
    return clip


def list_clips(s: Session, campaign: Campaign, status: str | None = None) -> list[Clip]:
    q = select(Clip).where(Clip.campaign_id == campaign.id).order_by(Clip.id)
    if status:
        if status not in {c.value for c in ClipStatus}:
            raise UserError(_("Unknown status {status!r}.", status=status), fix=_("Use pending, approved, rejected or withdrawn."))
        q = q.where(Clip.status == ClipStatus(status))
    return list(s.scalars(q))


def describe(c: Clip, show, guardian_age: int) -> dict[str, Any]:
    """A clip as listings show it (`loa clips list --json`, the workspace's gallery)."""
    from .consent import consent_ok, displayed_name, publishable

    p = c.probe or {}
    return {
        "id": c.id, "status": c.status.value, "reason": c.reason or None, "file": c.original_name,
        "participant": c.participant_name, "shown_as": displayed_name(c), "display": c.display.value,
        "school": c.school, "class": c.class_name, "age": c.age, "consent": c.consent.value,
        "guardian": c.guardian_name or None, "consent_ok": consent_ok(c, guardian_age),
        "in_public_recap": publishable(c, guardian_age), "duplicate_of": c.duplicate_of_id,
        "received": show(c.received_at), "source": c.source, "source_label": source_label(c.source),
        "sha256": c.sha256 or None,
        "poster": c.poster_relpath,
        "video": ({k: p.get(k) for k in ("duration", "width", "height", "fps", "video_codec", "has_audio",
                                         "bit_depth", "hdr", "rotation", "variable_frame_rate")} if p else None),
        "corrections": p.get("corrections", []),
    }


def approve(s: Session, campaign: Campaign, clip_id: int, now: datetime | None = None) -> tuple[Clip, str | None]:
    clip = get_clip(s, campaign, clip_id)
    if clip.status is not ClipStatus.pending and clip.status is not ClipStatus.approved:
        raise UserError(_("Clip {id} is {status}: {reason}.", id=clip_id, status=clip.status.value,
                          reason=clip.reason or _("it cannot be approved")))
    clip.status, clip.reviewed_at = ClipStatus.approved, now or datetime.now(timezone.utc)
    warning = None
    if not consent_ok(clip, campaign.guardian_age):
        why = (_("a guardian must consent for a participant under {age}", age=campaign.guardian_age)
               if clip.consent is not Consent.none else _("no consent was given"))
        warning = _("clip {id} is approved but will stay out of public recaps until consent is recorded: {why}",
                    id=clip_id, why=why)
    return clip, warning


def reject(s: Session, campaign: Campaign, clip_id: int, reason: str, now: datetime | None = None) -> Clip:
    clip = get_clip(s, campaign, clip_id)
    if clip.status is ClipStatus.withdrawn:
        raise UserError(_("Clip {clip_id} was withdrawn.", clip_id=clip_id))
    clip.status, clip.reason = ClipStatus.rejected, nfc(reason).strip() or _("rejected by the officer")
    clip.reviewed_at = now or datetime.now(timezone.utc)
    return clip


def record_consent(s: Session, campaign: Campaign, clip_id: int, consent: str, guardian: str = "") -> Clip:
    clip = get_clip(s, campaign, clip_id)
    sender = Sender(participant=clip.participant_name, age=clip.age, consent=consent, guardian=guardian,
                    display=clip.display.value)
    problems = check_sender(sender, campaign.guardian_age)
    if problems:
        raise UserError("; ".join(problems) + ".")
    clip.consent, clip.guardian_name = Consent(consent), nfc(guardian).strip()
    return clip


@dataclass
class Withdrawal:
    clip: Clip
    also: list[int]  # the same participant's other rows for the same file, withdrawn with it
    deleted: bool  # the video and its poster were erased from the store
    kept_because: str  # why the video stays in the store, if it does
    recaps: list[dict[str, Any]]  # published recaps that contain it: {"recap": id, "links": [...]}


# The participant's own withdrawal code: 12 symbols from an alphabet without look-alikes (no 0/O,
# 1/I), 60 bits, shown as XXXX-XXXX-XXXX to be copied from a screenshot; only its hash is stored.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def code_hash(code: str) -> str | None:
    """The stored form of a withdrawal code as typed (case, spaces and dashes do not matter); None
    for something that cannot be a code."""
    import hashlib

    plain = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if len(plain) != 12 or any(ch not in CODE_ALPHABET for ch in plain):
        return None
    return hashlib.sha256(plain.encode()).hexdigest()


def give_withdraw_code(clip: Clip) -> str:
    """A new code that lets whoever holds it see the clip's state and withdraw it."""
    import secrets

    plain = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    clip.withdraw_hash = code_hash(plain)
    return "-".join(plain[i:i + 4] for i in (0, 4, 8))


def clip_by_code(s: Session, campaign: Campaign, code: str) -> Clip | None:
    """The clip this code was given for, or None (a wrong code says nothing about other clips)."""
    digest = code_hash(code)
    if digest is None:
        return None
    return s.scalar(select(Clip).where(Clip.campaign_id == campaign.id, Clip.withdraw_hash == digest))


def withdraw_by_code(s: Session, campaign: Campaign, code: str, *, media_dir: Path) -> Withdrawal | None:
    """The participant (or their guardian) withdraws their clip with its code: as the officer's
    withdrawal, the video leaves the store and every later recap at once."""
    clip = clip_by_code(s, campaign, code)
    if clip is None:
        return None
    if clip.status is ClipStatus.withdrawn:
        return Withdrawal(clip, [], clip.media_id is None, "", published_recaps_with(s, campaign, {clip.id}))
    done = withdraw(s, campaign, clip.id, delete_media=True, media_dir=media_dir)
    for c in s.scalars(select(Clip).where(Clip.id.in_([clip.id, *done.also]))):
        c.reason = _("withdrawn by the participant (or their guardian) with their code")
    return done


def withdraw(s: Session, campaign: Campaign, clip_id: int, *, delete_media: bool, media_dir: Path) -> Withdrawal:
    """Withdraw a clip from every later recap. With ``delete_media`` its file and poster are erased
    from the store, and every other row for the same file (the participant sent it twice) is
    withdrawn with it; only a post queued with that very file keeps it. The published recaps that
    contain it are listed, so the officer can take them down on the platforms."""
    clip = get_clip(s, campaign, clip_id)
    rows = [clip]
    if delete_media and clip.sha256:
        rows = list(s.scalars(select(Clip).where(Clip.campaign_id == campaign.id, Clip.sha256 == clip.sha256)))
    for c in rows:
        c.status, c.reason = ClipStatus.withdrawn, _("withdrawn at the participant's request")
    deleted, kept = False, ""
    media = s.get(Media, clip.media_id) if delete_media and clip.media_id is not None else None
    if media is not None:
        in_posts = s.scalar(select(Post.id).where(Post.media_id == media.id))
        in_recaps = s.scalar(select(Recap.id).where(Recap.media_id == media.id))
        if in_posts or in_recaps:
            kept = (_("post {id} is queued with this very file", id=in_posts) if in_posts
                    else _("it is recap {id}'s file", id=in_recaps))
        else:
            posters = {c.poster_relpath for c in s.scalars(select(Clip).where(Clip.media_id == media.id))}
            for rel in {media.relpath, *posters}:
                if rel:
                    f = media_dir / rel
                    if f.exists():
                        os.chmod(f, 0o600)
                        f.unlink()
            for c in s.scalars(select(Clip).where(Clip.media_id == media.id)):
                c.media_id, c.poster_relpath = None, None
            s.flush()
            s.delete(media)
            deleted = True
    ids = {c.id for c in rows}
    erase_recaps_with(s, campaign, ids, media_dir)
    return Withdrawal(clip, sorted(ids - {clip.id}), deleted, kept, published_recaps_with(s, campaign, ids))


def recaps_with(s: Session, campaign: Campaign, clip_ids: set[int]) -> list[Recap]:
    return [r for r in s.scalars(select(Recap).where(Recap.campaign_id == campaign.id).order_by(Recap.id))
            if clip_ids & set((r.clip_ids or {}).get("ids", []))]


def erase_recaps_with(s: Session, campaign: Campaign, clip_ids: set[int], media_dir: Path) -> list[int]:
    """A recap holding a withdrawn clip can never go out again: its video, its feed cut and the
    copies made for a platform's size limit leave the store (a queued post of it is refused when
    its time comes, scheduler.publishing). Returns the recaps' ids."""
    erased = []
    for recap in recaps_with(s, campaign, clip_ids):
        media_ids = set(s.scalars(select(Post.media_id).where(Post.campaign_id == campaign.id,
                                                                Post.source == f"recap {recap.id}",
                                                                Post.media_id.is_not(None))))
        if recap.media_id is not None:
            media_ids.add(recap.media_id)
        shas = list((recap.settings or {}).get("erased_sha256", []))
        for media in s.scalars(select(Media).where(Media.id.in_(media_ids))):
            shas.append(media.sha256)  # a copy kept elsewhere is still known as this recap's
            f = media_dir / media.relpath
            if f.exists():
                f.unlink()
            if media.id == recap.media_id:
                recap.media_id = None
            s.flush()
            if s.scalar(select(Post.id).where(Post.media_id == media.id).limit(1)) is None and \
                    s.scalar(select(Recap.id).where(Recap.media_id == media.id).limit(1)) is None:
                s.delete(media)  # nothing points at it any more; a queued post keeps its row, not its file
        recap.settings = {**(recap.settings or {}), "erased_sha256": sorted(set(shas)),
                          "erased_for": sorted(clip_ids & set(recap.clip_ids.get("ids", [])))}
        erased.append(recap.id)
    s.flush()
    return erased


def recap_refusal(s: Session, campaign: Campaign, recap_id: int) -> str | None:
    """Why recap ``recap_id`` may not go out (None: it may): the clips in it that were withdrawn,
    lack consent, or are no longer approved. One rule for `loa recap publish`, the workspace and
    the scheduler's last look before a platform is called."""
    recap = s.get(Recap, recap_id)
    if recap is None or recap.campaign_id != campaign.id:
        return None
    why = []
    ids = (recap.clip_ids or {}).get("ids", [])
    for c in s.scalars(select(Clip).where(Clip.id.in_(ids)).order_by(Clip.id)):
        if c.status is ClipStatus.withdrawn:
            why.append(_("clip {id} was withdrawn", id=c.id))
        elif not consent_ok(c, campaign.guardian_age):
            why.append(_("clip {id} has no valid consent", id=c.id))
        elif c.status is not ClipStatus.approved:
            why.append(_("clip {id} is no longer approved", id=c.id))
    if not why:
        return None
    return _("recap {id} can no longer be shown: {why}", id=recap.id, why="; ".join(why))


def source_refusal(s: Session, campaign: Campaign, source: str) -> str | None:
    """Why a post of this source may not go out because of the clips it shows (``recap N``), or None."""
    kind, _sep, number = (source or "").partition(" ")
    if kind != "recap" or not number.isdigit():
        return None
    return recap_refusal(s, campaign, int(number))


def published_recaps_with(s: Session, campaign: Campaign, clip_ids: set[int]) -> list[dict[str, Any]]:
    """The recaps made with any of ``clip_ids`` that went out, with their public links."""
    from .models import Delivery, DeliveryState

    out = []
    for recap in s.scalars(select(Recap).where(Recap.campaign_id == campaign.id).order_by(Recap.id)):
        if not clip_ids & set((recap.clip_ids or {}).get("ids", [])):
            continue
        links = list(s.scalars(select(Delivery.remote_url).join(Post, Post.id == Delivery.post_id).where(
            Post.campaign_id == campaign.id, Post.source == f"recap {recap.id}",
            Delivery.state == DeliveryState.published)))
        if links:
            out.append({"recap": recap.id, "links": [u for u in links if u]})
    return out


def withdrawn_in_public_recaps(s: Session, campaign: Campaign) -> list[dict[str, Any]]:
    """Published recaps that contain a withdrawn clip, for the officer to take down: each with the
    withdrawn clips in it and its public links. One statement when nothing was withdrawn."""
    withdrawn = set(s.scalars(select(Clip.id).where(Clip.campaign_id == campaign.id,
                                                    Clip.status == ClipStatus.withdrawn)))
    if not withdrawn:
        return []
    out = []
    for r in published_recaps_with(s, campaign, withdrawn):
        recap = s.get(Recap, r["recap"])
        out.append({**r, "clips": sorted(withdrawn & set((recap.clip_ids or {}).get("ids", [])))})
    return out
