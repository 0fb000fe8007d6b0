"""Posts and their deliveries: add, import from CSV, list, edit, reschedule, cancel.

A post is checked against every platform it goes to before anything is written; a CSV is
checked whole before any row is imported. A post to several channels becomes one delivery per
channel, and the delivery is what the scheduler publishes.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from connectors import CONNECTORS, PLATFORMS

from .channels import list_channels
from .errors import UserError, ValidationFailed
from .i18n import _, say
from .media import MediaFacts, probe, store_file
from .models import (
    Campaign,
    Channel,
    Delivery,
    DeliveryState,
    Media,
    Post,
)
from . import lifecycle
from .lifecycle import Action, ErrorKind, Outcome, move, waiting_deliveries
from .lookups import get_post
from .text import nfc, with_hashtags
from .timeutil import parse_when, zone
from .validation import NOWHERE, PAST, PAST_TOLERANCE, Draft, Problem, Target, check

TEXT_FIELDS = {p: c.variant_fields for p, c in CONNECTORS.items()}  # what a post may say differently
VARIANT_FIELDS = {p: c.variant_fields + c.choice_fields for p, c in CONNECTORS.items()}  # ...and choose (TikTok)
IN_FLIGHT = (*lifecycle.IN_FLIGHT, *lifecycle.NEEDS_OFFICER)  # a post with these cannot be edited or moved

# CSV columns, documented in the README. ``at``, ``to`` and one of text/media are required.
CSV_COLUMNS = ("at", "to", "text", "title", "link", "media", "cover_url", "hashtags",
               *(f"{f}_{p}" for p, fields in VARIANT_FIELDS.items() for f in fields))


@dataclass
class PostInput:
    """What the officer asked for, as typed (CLI options or one CSV row)."""

    text: str = ""
    title: str = ""
    link: str = ""
    cover_url: str = ""
    media: str = ""  # a path
    at: str | datetime | None = None
    now: bool = False
    to: str = ""
    variants: dict[str, dict[str, str]] = field(default_factory=dict)
    add_hashtags: bool | None = None  # None: the campaign's default
    facebook_handoff: bool | None = None
    source: str = "cli"
    hashtags: str = ""  # the post's own hashtags (added where missing), or "no": none, not even the campaign's
    next_slot: bool = False  # in the first free posting slot of each channel (the queue), not at a time

    @property
    def slotted(self) -> bool:
        return self.next_slot or (isinstance(self.at, str) and self.at.strip().lower() in SLOT_WORDS)


SLOT_WORDS = ("slot", "khung giờ", "khung gio")  # a CSV's ``at`` that means "the next free slot"


@dataclass
class Prepared:
    """A post checked and ready to store; nothing has been written yet."""

    inp: PostInput
    draft: Draft
    channels: list[Channel]
    media_path: Path | None
    warnings: list[str]
    slot_times: dict[int, datetime] | None = None  # queued: each channel's slot, as checked


# How an account itself says it may post (TikTok's creator_info), read from the platform while a
# person is queueing: set by the command line for a command and by the workspace for a request
# (scheduler.maintenance.reading_account_facts), so that every way in holds a post to the account's
# own options. Unset (tests of the rules alone, the scheduler), the rules use the documented limits.
ACCOUNT_FACTS: ContextVar[Callable[[Channel], dict[str, Any] | None] | None] = ContextVar(
    "loa_account_facts", default=None)


def targets_of(channels: list[Channel]) -> list[Target]:
    """Where a post goes, as the rules see each channel: its platform, name, settings and, where
    the platform has per-post choices and they can be read now, the account's own facts."""
    read = ACCOUNT_FACTS.get()

    def facts(c: Channel) -> dict[str, Any] | None:
        wanted = read is not None and CONNECTORS[c.platform.value].choice_fields and (
            (c.settings or {}).get("mode") != "inbox")
        return read(c) if wanted else None

    return [Target(c.platform.value, c.name, dict(c.settings or {}), facts(c)) for c in channels]


def posting_as(post: Post) -> list[str]:
    """For each TikTok delivery of ``post``: the account it goes out as (creator_info's nickname)
    and what was chosen, as TikTok's rules want the person shown before posting."""
    from connectors.tiktok import Choice, privacy_label

    read = ACCOUNT_FACTS.get()
    out = []
    for d in post.deliveries:
        c = d.channel
        if not CONNECTORS[c.platform.value].choice_fields:
            continue
        if (c.settings or {}).get("mode") == "inbox":
            out.append(_("{channel}: a draft in the TikTok inbox; who may see it is chosen in the app.", channel=c.name))
            continue
        facts = read(c) if read else None
        who = (facts or {}).get("nickname") or c.account_id
        choice = Choice.of((post.variants or {}).get(c.platform.value))
        allowed = ", ".join(sorted(choice.allow)) or _("nothing")
        out.append(_("{channel}: posts as {nickname}; who may see it: {privacy}; viewers may: {allowed}.",
                     channel=c.name, nickname=who, privacy=say(privacy_label(choice.privacy)), allowed=allowed))
    return out


@contextmanager
def reading_account_facts(make_engine: Callable[[], Any]):
    """While a person queues posts (a command, a workspace request), the rules read each account's
    own posting facts from its platform (``Engine.account_facts``), once per channel; the engine is
    made only if a post goes to such a platform."""
    seen: dict[int, dict[str, Any] | None] = {}
    engine: list = []

    def read(channel: Channel) -> dict[str, Any] | None:
        if channel.id not in seen:
            if not engine:
                engine.append(make_engine())
            seen[channel.id] = engine[0].account_facts(channel)
        return seen[channel.id]

    token = ACCOUNT_FACTS.set(read)
    try:
        yield read
    finally:
        ACCOUNT_FACTS.reset(token)


def resolve_targets(channels: list[Channel], to: str) -> tuple[list[Channel], list[Problem]]:
    """``--to facebook,zalo`` (all active channels of those platforms) or channel names/ids."""
    active = [c for c in channels if c.active]
    chosen: list[Channel] = []
    problems: list[Problem] = []
    for raw in [p.strip() for p in nfc(to).split(",") if p.strip()]:
        key = raw.casefold()
        if key in ("all", "*"):
            found = active
        elif key in PLATFORMS:
            found = [c for c in active if c.platform.value == key]
            if not found:
                problems.append(Problem(_("no {platform} channel is set up.", platform=key),
                                        _("Add one with `loa channel add {platform} --name NAME`, or leave {platform} "
                                          "out of --to.", platform=key), key,
                                        web_fix=_("Connect one on the Channels page.")))
                continue
        else:
            found = [c for c in active if c.name.casefold() == key or str(c.id) == key]
            if not found:
                names = ", ".join(c.name for c in active) or _("none yet")
                problems.append(Problem(_("no channel or platform named {name!r}.", name=raw),
                                        _("Channels: {names}; platforms: {platforms}.", names=names,
                                          platforms=", ".join(PLATFORMS))))
                continue
        chosen.extend(c for c in found if c not in chosen)
    return chosen, problems


def _read_media(path_text: str, base_dir: Path, confined: bool = False,
                ) -> tuple[Path | None, MediaFacts | None, list[Problem]]:
    """The media a post names. ``confined`` (a sheet sent to the workspace): only a file sent with
    it, inside ``base_dir`` (no absolute path, no ~, no ..), and a problem names only the file's
    own name, never where the server keeps it or whether some other path exists."""
    if not path_text:
        return None, None, []
    if confined:
        name = Path(path_text).name
        inside = (not Path(path_text).is_absolute() and not path_text.startswith("~")
                  and (base_dir / path_text).resolve().is_relative_to(base_dir.resolve()))
        path = base_dir / path_text
        if not inside or not path.is_file():
            return None, None, [Problem(_("the media {name!r} was not sent with the sheet", name=name),
                                        fix=_("Choose it with the sheet, under the same name as in the media column."))]
        try:
            return path, probe(path), []
        except UserError as exc:
            return path, None, [Problem(str(exc).replace(str(path), name))]
    path = Path(path_text).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    try:
        return path, probe(path), []
    except UserError as exc:
        return path, None, [Problem(str(exc))]


def prepare(session: Session, campaign: Campaign, inp: PostInput, *, base_dir: Path,
            now: datetime, where: str = "", confined: bool = False) -> tuple[Prepared | None, list[Problem]]:
    """Check one post; return it ready to store, or every problem found."""
    problems: list[Problem] = []
    due: datetime | None = None
    slotted = inp.slotted
    if slotted and (inp.now or (inp.at and not (isinstance(inp.at, str) and inp.at.strip().lower() in SLOT_WORDS))):
        problems.append(Problem(_("both a time and the next free slot were asked for."), _("Use one of them.")))
    elif inp.now and inp.at:
        problems.append(Problem(_("both a time and --now were given."), _("Use one of them.")))
    elif slotted:
        pass  # each channel's next free slot, below, once the channels are known
    elif inp.now:
        due = now
    elif isinstance(inp.at, datetime):
        due = inp.at.astimezone(timezone.utc)
    elif inp.at:
        try:
            due = parse_when(inp.at, campaign.timezone)
        except UserError as exc:
            problems.append(Problem(str(exc)))
    channels, target_problems = resolve_targets(list_channels(session, campaign), inp.to)
    problems.extend(target_problems)
    slot_times: dict[int, datetime] | None = None
    if slotted and not problems:
        from .queue import next_free, slot_problem

        slot_times = {}
        for ch in channels:
            when = next_free(session, campaign, ch, now)
            if when is None:
                problems.append(Problem(slot_problem(campaign, ch), code="no_slot"))
            else:
                slot_times[ch.id] = when
        due = min(slot_times.values()) if slot_times else None
    media_path, facts, media_problems = _read_media(inp.media, base_dir, confined)
    problems.extend(media_problems)
    unknown_variants = [p for p in inp.variants if p not in VARIANT_FIELDS]
    if unknown_variants:
        problems.append(Problem(_("unknown platform(s) in variants: {names}.", names=", ".join(unknown_variants))))
    own_tags, add_hashtags, tag_problems = _own_hashtags(inp.hashtags)
    problems.extend(tag_problems)
    variants = {p: {k: nfc(v) for k, v in fields.items() if v} for p, fields in inp.variants.items()}
    variants = {p: {**{k: v for k, v in f.items() if k not in CONNECTORS[p].choice_fields},
                    **CONNECTORS[p].stored_choices(f)} if p in CONNECTORS else f for p, f in variants.items()}
    if own_tags:
        variants = {p: {**f, **({"text": with_hashtags(f["text"], own_tags)} if f.get("text") else {})}
                    for p, f in variants.items()}
    draft = Draft(
        text=with_hashtags(inp.text, own_tags) if own_tags and inp.text.strip() else nfc(inp.text),
        title=nfc(inp.title).strip(), link=inp.link.strip(),
        cover_url=inp.cover_url.strip(), media=facts, variants=variants,
        add_hashtags=(add_hashtags if add_hashtags is not None else
                      campaign.add_hashtags if inp.add_hashtags is None else inp.add_hashtags),
        due_at=due, facebook_handoff=campaign.facebook_handoff if inp.facebook_handoff is None else inp.facebook_handoff,
    )
    if due is None and not problems:
        problems.append(Problem(_("the post has no time."), _("Give --at TIME, --now or --next-slot.")))
    if media_path is not None and facts is None:
        # The media could not be read; the platform checks below would only repeat that.
        targets: list[Target] = []
    else:
        targets = targets_of(channels)
    warnings: list[str] = []
    if due is not None and (targets or not channels):
        more, warnings = check(draft, targets, campaign.hashtag_list, now, allow_past=inp.now)
        if target_problems:  # "goes nowhere" would only repeat why
            more = [p for p in more if p.code != NOWHERE]
        problems.extend(more)
    if campaign.ends_on and due is not None:
        if due.astimezone(zone(campaign.timezone)).date() > campaign.ends_on:
            warnings.append(_("the post is due after the campaign's end ({date}).", date=campaign.ends_on.isoformat()))
    for p in problems:
        p.where = p.where or where
    if problems:
        return None, problems
    return Prepared(inp, draft, channels, media_path, [f"{where}: {w}" if where else w for w in warnings],
                    slot_times), []


NO_HASHTAGS = ("no", "none", "không", "-")
_TAG = re.compile(r"#[^\s#]+")


def _own_hashtags(value: str) -> tuple[list[str], bool | None, list[Problem]]:
    """The CSV's ``hashtags`` cell: the post's own hashtags, or "no" for none at all."""
    value = nfc(value or "").strip()
    if not value:
        return [], None, []
    if value.casefold() in NO_HASHTAGS:
        return [], False, []
    tokens = value.replace(",", " ").split()
    bad = [t for t in tokens if not _TAG.fullmatch(t)]
    if bad:
        return [], None, [Problem(_("hashtags: {values} is not a hashtag.", values=", ".join(repr(b) for b in bad)),
                                  _("Write each one as #word, separated by spaces (or \"no\" for none at all)."))]
    return tokens, None, []


def _media_row(session: Session, path: Path, facts: MediaFacts, media_dir: Path) -> Media:
    digest, stored, _created = store_file(path, media_dir)
    row = session.scalar(select(Media).where(Media.sha256 == digest))
    if row is None:
        row = Media(sha256=digest, relpath=str(stored.relative_to(media_dir)), original_name=nfc(path.name),
                    size=facts.size, kind=facts.kind, container=facts.container, width=facts.width,
                    height=facts.height, duration=facts.duration, fps=facts.fps, video_codec=facts.video_codec,
                    audio_codec=facts.audio_codec, facts=facts.as_dict())
        session.add(row)
        session.flush()
    return row


def store(session: Session, campaign: Campaign, prepared: Prepared, *, media_dir: Path) -> Post:
    """Write a prepared post and one delivery per channel."""
    d = prepared.draft
    media = _media_row(session, prepared.media_path, d.media, media_dir) if prepared.media_path else None
    due = {ch.id: d.due_at for ch in prepared.channels}
    if prepared.slot_times is not None:  # the queue: each channel's first free slot now (an import's
        from .queue import next_free, slot_problem  # earlier rows have taken theirs since the check)

        after = min(prepared.slot_times.values()) - timedelta(seconds=1)
        for ch in prepared.channels:
            when = next_free(session, campaign, ch, after)
            if when is None:
                raise ValidationFailed([Problem(slot_problem(campaign, ch), code="no_slot")])
            due[ch.id] = when
    first = min(due.values()) if due else d.due_at
    post = Post(campaign_id=campaign.id, title=d.title, text=d.text, link=d.link, cover_url=d.cover_url,
                media=media, variants=d.variants, add_hashtags=d.add_hashtags,
                facebook_handoff=prepared.inp.facebook_handoff, due_at=first, source=prepared.inp.source,
                queued=prepared.slot_times is not None)
    session.add(post)
    session.flush()
    for ch in prepared.channels:
        session.add(Delivery(post_id=post.id, channel_id=ch.id, state=DeliveryState.scheduled, due_at=due[ch.id],
                             next_attempt_at=due[ch.id]))
    session.flush()
    return post


def add_post(session: Session, campaign: Campaign, inp: PostInput, *, media_dir: Path,
             base_dir: Path | None = None, now: datetime | None = None) -> tuple[Post, list[str]]:
    now = now or datetime.now(timezone.utc)
    prepared, problems = prepare(session, campaign, inp, base_dir=base_dir or Path.cwd(), now=now)
    if problems:
        raise ValidationFailed(problems)
    return store(session, campaign, prepared, media_dir=media_dir), prepared.warnings


# --- CSV ------------------------------------------------------------------------------------

def read_csv(path: Path, name: str = "", *, columns: tuple[str, ...] | None = None,
             required: tuple[str, ...] = ("at", "to")) -> list[tuple[int, dict[str, str]]]:
    """Rows of a posts CSV (or, with ``columns`` and ``required``, of another table the officer
    keeps, like a series' entries) as ``(line number, row)``; UTF-8 with or without BOM, , or ;.
    Errors name the file ``name`` (else its path)."""
    known = columns or CSV_COLUMNS
    shown = name or path
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(_("Cannot read {path}: {reason}.", path=shown, reason=exc.strerror)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(_("{path} is not UTF-8 text.", path=shown),
                        fix=_('In Excel choose "CSV UTF-8 (Comma delimited)" when saving.')) from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        raise UserError(_("{path} is empty.", path=shown),
                        fix=_("The first line names the columns: {columns}.", columns=", ".join(known)))
    headers = [nfc(h).strip().lower() for h in reader.fieldnames]
    unknown = [h for h in headers if h and h not in known]
    if unknown:
        raise UserError(_("{path}: unknown column(s): {names}.", path=shown, names=", ".join(unknown)),
                        fix=_("Known columns: {columns}.", columns=", ".join(known)))
    for needed in required:
        if needed not in headers:
            raise UserError(_("{path}: the column {name!r} is missing.", path=shown, name=needed),
                            fix=_("The first line names the columns: {columns}.", columns=", ".join(known)))
    reader.fieldnames = headers
    rows = []
    for row in reader:
        line = reader.line_num
        clean = {k: nfc(v or "").strip() if not (k == "text" or k.startswith("text_")) else nfc(v or "")
                 for k, v in row.items() if k}
        if any(v.strip() for v in clean.values()):
            rows.append((line, clean))
    return rows


def row_input(row: dict[str, str], source: str) -> PostInput:
    variants: dict[str, dict[str, str]] = {}
    for platform, fields in VARIANT_FIELDS.items():
        for f in fields:
            v = row.get(f"{f}_{platform}", "")
            if v:
                variants.setdefault(platform, {})[f] = v
    at = row.get("at", "")
    return PostInput(text=row.get("text", ""), title=row.get("title", ""), link=row.get("link", ""),
                     cover_url=row.get("cover_url", ""), media=row.get("media", ""),
                     at=None if at.lower() == "now" else at, now=at.lower() == "now",
                     to=row.get("to", ""), variants=variants, source=source, hashtags=row.get("hashtags", ""))


@dataclass
class CheckedRow:
    """One row of a posts CSV, checked: ready to store (``prepared``) or with its problems."""

    line: int
    row: dict[str, str]
    prepared: Prepared | None
    problems: list[Problem]


def check_csv(session: Session, campaign: Campaign, path: Path, *, now: datetime, base_dir: Path | None = None,
              name: str = "", progress=None, confined: bool = False) -> list[CheckedRow]:
    """Every row of ``path`` checked, nothing written: what `loa post import` and the workspace's
    import table show. Media paths are relative to ``base_dir`` (else the CSV's folder);
    ``confined`` (the workspace): only files inside it (see _read_media)."""
    rows = read_csv(path, name)
    if not rows:
        raise UserError(_("{path} has no posts in it.", path=name or path),
                        fix=_("Add one row per post under the header line."))
    base = base_dir or Path(path).resolve().parent
    out = []
    for line, row in rows:
        p, errs = prepare(session, campaign, row_input(row, f"csv:{name or Path(path).name}:{line}"), base_dir=base,
                          now=now, where=_("line {line}", line=line), confined=confined)
        out.append(CheckedRow(line, row, p if not errs else None, errs))
        if progress:
            progress(1)
    return out


def import_csv(session: Session, campaign: Campaign, path: Path, *, media_dir: Path,
               now: datetime | None = None, progress=None, base_dir: Path | None = None,
               name: str = "", confined: bool = False) -> tuple[list[Post], list[str]]:
    """Import every row of ``path`` or none: all rows are checked first, all problems listed."""
    now = now or datetime.now(timezone.utc)
    checked = check_csv(session, campaign, path, now=now, base_dir=base_dir, name=name, progress=progress,
                        confined=confined)
    problems = [p for r in checked for p in r.problems]
    if problems:
        raise ValidationFailed(problems)
    posts = [store(session, campaign, r.prepared, media_dir=media_dir) for r in checked]
    return posts, [w for r in checked for w in r.prepared.warnings]


# --- reading and changing -------------------------------------------------------------------

AWAITING_APPROVAL = "awaiting-approval"  # `loa post list --status awaiting-approval`


def list_posts(session: Session, campaign: Campaign, *, status: str | None = None) -> list[Post]:
    q = (select(Post).options(selectinload(Post.deliveries).selectinload(Delivery.channel), selectinload(Post.media))
         .where(Post.campaign_id == campaign.id).order_by(Post.due_at, Post.id))
    posts = list(session.scalars(q))
    if status == AWAITING_APPROVAL:
        from .approvals import state

        return [p for p in posts if state(p, campaign) in ("awaiting", "sent_back") and waiting_deliveries(p)]
    if status:
        if status not in {s.value for s in DeliveryState}:
            raise UserError(_("Unknown status {status!r}.", status=status),
                            fix=_("Use one of {choices}.", choices=", ".join([s.value for s in DeliveryState]
                                                                            + [AWAITING_APPROVAL])))
        posts = [p for p in posts if any(d.state.value == status for d in p.deliveries)]
    return posts


def draft_of(post: Post) -> Draft:
    """A stored post as the rules see it (the text each platform gets is worked out from this)."""
    media = MediaFacts(**post.media.facts) if post.media is not None and post.media.facts else None
    return Draft(text=post.text, title=post.title, link=post.link, cover_url=post.cover_url, media=media,
                 variants=post.variants or {}, add_hashtags=post.add_hashtags, due_at=post.due_at)


def summary(post: Post) -> str:
    """``scheduled 2, published 1``: the states of a post's deliveries, as codes (for --json)."""
    counts = Counter(d.state.value for d in post.deliveries)
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no deliveries"


def states_said(post: Post) -> str:
    """``chờ đăng 2, đã đăng 1``: the same, in the officer's language."""
    counts = Counter(d.state.value for d in post.deliveries)
    return ", ".join(f"{lifecycle.label(k).lower()} {v}" for k, v in sorted(counts.items())) or _("no deliveries")


def _waiting(post: Post) -> list[Delivery]:
    busy = [d for d in post.deliveries if d.state in IN_FLIGHT]
    if busy:
        names = ", ".join(f"{d.channel.name} ({lifecycle.label(d.state).lower()})" for d in busy)
        raise UserError(_("Post {id} is being published right now on {channels}.", id=post.id, channels=names),
                        fix=_("Wait until `loa status` shows it settled, then try again."),
                        web_fix=_("Wait until the overview shows it settled, then try again."))
    return [d for d in post.deliveries if d.state in lifecycle.RESCHEDULABLE]


def check_edit(session: Session, campaign: Campaign, post: Post, changes: dict[str, Any], *, media_dir: Path,
               base_dir: Path, now: datetime) -> tuple[Prepared | None, list[Problem]]:
    """What ``post`` would be with ``changes`` (text, title, link, cover_url, media, variants,
    add_hashtags), checked against the channels it still waits for; nothing is written."""
    waiting = _waiting(post)
    if not waiting:
        raise UserError(_("Post {id} has nothing left to publish ({states}).", id=post.id, states=states_said(post)),
                        fix=_("Add a new post instead."))
    variants = {k: dict(v) for k, v in (post.variants or {}).items()}
    for platform, fields in (changes.get("variants") or {}).items():
        variants.setdefault(platform, {}).update(fields)
    # an emptied field is no variant any more: the platform gets the post's own text again
    variants = {p: {f: v for f, v in fs.items() if v} for p, fs in variants.items()}
    variants = {p: fs for p, fs in variants.items() if fs}
    new_media = changes.get("media")
    current = media_dir / post.media.relpath if post.media is not None else None
    inp = PostInput(
        text=changes.get("text", post.text), title=changes.get("title", post.title),
        link=changes.get("link", post.link), cover_url=changes.get("cover_url", post.cover_url),
        media=str(new_media or current or ""), at=waiting[0].due_at, now=False,
        to=",".join(str(d.channel_id) for d in waiting), variants=variants,
        add_hashtags=changes.get("add_hashtags", post.add_hashtags), facebook_handoff=post.facebook_handoff,
    )
    prepared, problems = prepare(session, campaign, inp, base_dir=base_dir, now=now)
    # Editing keeps the post's time; a post whose time has passed is still waiting to go out.
    problems = [p for p in problems if p.code != PAST]
    if not problems and prepared is None:  # only the time had passed: check again as of the post's own time
        prepared, problems = prepare(session, campaign, inp, base_dir=base_dir, now=waiting[0].due_at)
    return (None if problems else prepared), problems


def edit_post(session: Session, campaign: Campaign, post_id: int, changes: dict[str, Any], *,
              media_dir: Path, base_dir: Path, now: datetime | None = None) -> tuple[Post, list[str]]:
    """Change what a post says; re-checked against the channels it still waits for."""
    now = now or datetime.now(timezone.utc)
    post = get_post(session, campaign, post_id)
    prepared, problems = check_edit(session, campaign, post, changes, media_dir=media_dir, base_dir=base_dir,
                                    now=now)
    if problems:
        raise ValidationFailed(problems)
    d = prepared.draft
    from .approvals import ask_again

    ask_again(post)  # what an approver approved is not what it says now
    post.text, post.title, post.link, post.cover_url = d.text, d.title, d.link, d.cover_url
    post.variants, post.add_hashtags = d.variants, d.add_hashtags
    if changes.get("media"):
        post.media = _media_row(session, prepared.media_path, d.media, media_dir)
    session.flush()
    return post, prepared.warnings


def reschedule_post(session: Session, campaign: Campaign, post_id: int, at: str | datetime, *,
                    now: datetime | None = None) -> tuple[Post, int]:
    now = now or datetime.now(timezone.utc)
    post = get_post(session, campaign, post_id)
    due = at if isinstance(at, datetime) else parse_when(at, campaign.timezone)
    if due < now - PAST_TOLERANCE:
        raise UserError(_("The new time is in the past."), fix=_("Give a later --at."),
                        web_fix=_("Choose a later day or time."))
    waiting = _waiting(post)
    if not waiting:
        raise UserError(_("Post {id} has nothing left to publish ({states}).", id=post.id, states=states_said(post)))
    post.due_at = due
    for d in waiting:
        d.due_at, d.next_attempt_at = due, due
        move(session, d, DeliveryState.scheduled, action=Action.reschedule, outcome=Outcome.asked, now=now,
             worker="officer", kind=ErrorKind.none, reason="")
    session.flush()
    return post, len(waiting)


def cancel_post(session: Session, campaign: Campaign, post_id: int, *, now: datetime | None = None,
                reason: str | None = None, detail: str = "") -> tuple[Post, int]:
    """Cancel what is left to publish; a queued post's slots go to the posts queued after it."""
    post = get_post(session, campaign, post_id)
    waiting = _waiting(post)
    freed = [(d.channel_id, d.due_at) for d in waiting if d.state in (DeliveryState.scheduled,
                                                                       DeliveryState.retry_wait)]
    for d in waiting:
        move(session, d, DeliveryState.cancelled, action=Action.cancel, outcome=Outcome.asked, worker="officer",
             reason=reason or _("cancelled by the officer"), detail=detail)
    session.flush()
    if post.queued and freed:
        from .queue import close_gaps

        close_gaps(session, campaign, freed, now=now or datetime.now(timezone.utc))
    return post, len(waiting)

