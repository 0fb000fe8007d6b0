"""Every post checked against the rules of the platforms it goes to, at queue time.

``check`` returns every problem at once (not the first), each naming the platform, the rule
broken and how to fix it; warnings are things the officer should know but that do not stop the
post. The figures come from :mod:`connectors.limits`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from connectors import limits as L

from .i18n import _, say
from .media import MediaFacts
from .text import first_line, first_paragraph, nfc, with_hashtags

# A time this far in the past is still "now" (the officer typed the current minute).
PAST_TOLERANCE = timedelta(seconds=90)
# Codes of the problems other code looks for (the rule itself is text in the officer's language).
NOWHERE = "nowhere"
PAST = "past"


@dataclass
class Problem:
    rule: str
    fix: str = ""
    platform: str | None = None
    where: str = ""
    code: str = ""
    web_fix: str = ""  # the fix in the workspace's terms, where it is not the command line's

    def __str__(self) -> str:
        return self._said(self.fix)

    def on_the_web(self) -> str:
        return self._said(self.web_fix or self.fix)

    def _said(self, fix: str) -> str:
        parts = [p for p in (self.where, self.platform) if p]
        head = ": ".join(parts)
        msg = self.rule + (f" {fix}" if fix else "")
        return f"{head}: {msg}" if head else msg


@dataclass
class Target:
    """Where a post goes: a channel's platform, name and settings."""

    platform: str
    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    # what the account itself says about posting, read just now (TikTok's creator_info), when the
    # caller could read it: the rules then hold the post to this account's own options and limits
    facts: dict[str, Any] | None = None


@dataclass
class Draft:
    """A post as the officer wrote it, before it is stored."""

    text: str = ""
    title: str = ""
    link: str = ""
    cover_url: str = ""
    media: MediaFacts | None = None
    variants: dict[str, dict[str, str]] = field(default_factory=dict)
    add_hashtags: bool = True
    due_at: datetime | None = None
    facebook_handoff: bool = False


def platform_text(draft: Draft, platform: str, hashtags: list[str]) -> str:
    """The text that goes to ``platform``: its variant or the main text, NFC, with hashtags."""
    text = nfc(draft.variants.get(platform, {}).get("text") or draft.text)
    return with_hashtags(text, hashtags) if draft.add_hashtags else text


def variant_title(draft: Draft, platform: str) -> str:
    return title_of(draft, platform)[0]


def variant_description(draft: Draft, platform: str) -> str:
    return description_of(draft, platform)[0]


def title_of(draft: Draft, platform: str) -> tuple[str, bool]:
    """The title ``platform`` gets and whether the officer gave it (else taken from the text)."""
    given = nfc(draft.variants.get(platform, {}).get("title") or draft.title).strip()
    if given:
        return given, True
    return first_line(draft.variants.get(platform, {}).get("text") or draft.text), False


def description_of(draft: Draft, platform: str) -> tuple[str, bool]:
    given = nfc(draft.variants.get(platform, {}).get("description", "")).strip()
    if given:
        return given, True
    text = draft.variants.get(platform, {}).get("text") or draft.text
    para = first_paragraph(text)
    if len(para) > L.ZALO_DESCRIPTION_MAX_CHARS:
        cut = para[: L.ZALO_DESCRIPTION_MAX_CHARS - 1]
        para = (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
    return para, False


def zalo_title(draft: Draft) -> tuple[str, bool]:
    return title_of(draft, L.ZALO)


def zalo_description(draft: Draft) -> tuple[str, bool]:
    return description_of(draft, L.ZALO)


def is_reel(media: MediaFacts | None) -> bool:
    """Does this video go to Facebook as a Reel (vertical 9:16, 3-90 s, 24-60 fps, >= 540x960)?"""
    if media is None or media.kind != "video" or not media.width or not media.height:
        return False
    r = L.FACEBOOK_REEL
    aspect = media.width / media.height
    return (
        abs(aspect - L.FACEBOOK_REEL_ASPECT) <= L.FACEBOOK_REEL_ASPECT_TOLERANCE
        and media.width >= L.FACEBOOK_REEL_MIN_WIDTH
        and media.height >= L.FACEBOOK_REEL_MIN_HEIGHT
        and media.duration is not None
        and r.min_seconds <= media.duration <= (r.max_seconds or 0)
        and media.fps is not None
        and (r.min_fps or 0) <= media.fps <= (r.max_fps or 1000)
        and media.suffix in r.containers
    )


def _is_public_url(url: str) -> bool:
    u = urlparse(url)
    return u.scheme in ("http", "https") and bool(u.netloc)


def _mb(n: int) -> str:
    return f"{n / L.MB:.1f} MB"


def _video_rules(media: MediaFacts, rules: L.VideoRules, platform: str) -> list[Problem]:
    out: list[Problem] = []
    if media.suffix not in rules.containers:
        out.append(Problem(
            _("{suffix} files are not accepted (accepted: {accepted}).", suffix=media.suffix or "?",
              accepted=", ".join(rules.containers)),
            _("Export the video as MP4 (H.264, AAC)."), platform))
    if media.size > rules.max_bytes:
        out.append(Problem(
            _("the video is {size}, over the {limit} limit.", size=_mb(media.size), limit=_mb(rules.max_bytes)),
            _("Compress it (e.g. 720p, H.264) or use a shorter cut."), platform))
    d = media.duration
    if d is not None and d < rules.min_seconds:
        out.append(Problem(_("the video lasts {seconds:.1f} s, under the {minimum:g} s minimum.",
                             seconds=d, minimum=rules.min_seconds),
                           _("Use a longer video."), platform))
    if d is not None and rules.max_seconds is not None and d > rules.max_seconds:
        out.append(Problem(_("the video lasts {seconds:.0f} s, over the {maximum:g} s maximum.",
                             seconds=d, maximum=rules.max_seconds),
                           _("Cut it shorter."), platform))
    if media.fps is not None and rules.min_fps is not None and media.fps < rules.min_fps:
        out.append(Problem(_("the video has {fps:g} frames per second, under {minimum:g}.",
                             fps=media.fps, minimum=rules.min_fps),
                           _("Export it at 30 fps."), platform))
    if media.fps is not None and rules.max_fps is not None and media.fps > rules.max_fps:
        out.append(Problem(_("the video has {fps:g} frames per second, over {maximum:g}.",
                             fps=media.fps, maximum=rules.max_fps),
                           _("Export it at 30 fps."), platform))
    if media.width and media.height:
        small, big = min(media.width, media.height), max(media.width, media.height)
        if rules.min_side and small < rules.min_side:
            out.append(Problem(_("the picture is {width}x{height}; each side must be at least {side} px.",
                                 width=media.width, height=media.height, side=rules.min_side),
                               _("Export it at 720p or more."), platform))
        if rules.max_side and big > rules.max_side:
            out.append(Problem(_("the picture is {width}x{height}; each side must be at most {side} px.",
                                 width=media.width, height=media.height, side=rules.max_side),
                               _("Export it at 1080p."), platform))
    return out


def check_facebook(draft: Draft, target: Target, hashtags: list[str], now: datetime) -> tuple[list[Problem], list[str]]:
    problems: list[Problem] = []
    warnings: list[str] = []
    text = platform_text(draft, L.FACEBOOK, hashtags)
    if len(text) > L.FACEBOOK_MESSAGE_MAX_CHARS:
        problems.append(Problem(_("the text has {count} characters, over Facebook's {limit}.", count=len(text),
                                  limit=L.FACEBOOK_MESSAGE_MAX_CHARS), _("Shorten it."), L.FACEBOOK))
    m = draft.media
    if m is not None and m.kind == "image":
        if m.size > L.FACEBOOK_PHOTO_MAX_BYTES:
            problems.append(Problem(_("the photo is {size}; Facebook takes photos up to {limit}.", size=_mb(m.size),
                                      limit=_mb(L.FACEBOOK_PHOTO_MAX_BYTES)),
                                    _("Save it as a JPEG under 4 MB (e.g. 2048 px wide, quality 85)."), L.FACEBOOK))
        if m.suffix not in L.FACEBOOK_PHOTO_SUFFIXES:
            problems.append(Problem(_("{suffix} pictures are not accepted.", suffix=m.suffix),
                                    _("Save it as JPEG or PNG."), L.FACEBOOK))
    elif m is not None and m.kind == "video" and not is_reel(m):
        problems.extend(_video_rules(m, L.FACEBOOK_VIDEO, L.FACEBOOK))
        if m.width and m.height and m.height > m.width:
            warnings.append("facebook: " + _("this vertical video does not meet the Reels rules (9:16, at least "
                                             "540x960, 3-90 s, 24-60 fps), so it goes out as a Page video, not "
                                             "a Reel."))
    if draft.facebook_handoff and draft.due_at is not None:
        ahead = (draft.due_at - now).total_seconds()
        top = L.FACEBOOK_REEL_SCHEDULE_MAX_SECONDS if is_reel(m) else L.FACEBOOK_SCHEDULE_MAX_SECONDS
        if not L.FACEBOOK_SCHEDULE_MIN_SECONDS <= ahead <= top:
            warnings.append("facebook: " + _("Facebook holds scheduled posts only 10 minutes to 30 days ahead "
                                             "(29 days for Reels); loa run will publish this one itself at "
                                             "its time."))
    return problems, warnings


def check_zalo(draft: Draft, target: Target, hashtags: list[str], now: datetime) -> tuple[list[Problem], list[str]]:
    problems: list[Problem] = []
    warnings: list[str] = []
    title, given = zalo_title(draft)
    if not title:
        problems.append(Problem(_("a Zalo article needs a title."),
                                _("Give --title (at most {limit} characters).", limit=L.ZALO_TITLE_MAX_CHARS),
                                L.ZALO, web_fix=_("Fill in the title (at most {limit} characters).",
                                                  limit=L.ZALO_TITLE_MAX_CHARS)))
    elif len(title) > L.ZALO_TITLE_MAX_CHARS:
        rule = (_("the title has {count} characters, over Zalo's {limit}.", count=len(title),
                  limit=L.ZALO_TITLE_MAX_CHARS) if given else
                _("the title (taken from the first line of the text) has {count} characters, over Zalo's {limit}.",
                  count=len(title), limit=L.ZALO_TITLE_MAX_CHARS))
        problems.append(Problem(rule, _("Give a shorter --title."), L.ZALO, web_fix=_("Shorten the title.")))
    desc, given_desc = zalo_description(draft)
    if given_desc and len(desc) > L.ZALO_DESCRIPTION_MAX_CHARS:
        problems.append(Problem(_("the description has {count} characters, over Zalo's {limit}.", count=len(desc),
                                  limit=L.ZALO_DESCRIPTION_MAX_CHARS), _("Shorten it."), L.ZALO))
    cover = draft.cover_url or target.settings.get("cover_url", "")
    if not cover:
        problems.append(Problem(
            _("a Zalo article needs a cover photo given as a public web address (Zalo fetches it itself)."),
            _("Upload the picture where anyone can open it (e.g. the Facebook Page's photo, the school "
              "website) and give its address with --cover-url, or set one for the channel: "
              "loa channel set {channel} --cover-url URL.", channel=target.name), L.ZALO,
            web_fix=_("Upload the picture where anyone can open it (e.g. the Facebook Page's photo, the school "
                      "website) and paste its address in the Zalo cover field.")))
    elif not _is_public_url(cover):
        problems.append(Problem(_("the cover {cover!r} is not a web address.", cover=cover),
                                _("Give an http(s):// address that opens the picture."), L.ZALO))
    m = draft.media
    if m is not None and m.kind == "video":
        problems.extend(_video_rules(m, L.ZALO_VIDEO, L.ZALO))
    elif m is not None and m.kind == "image":
        warnings.append("zalo: " + _("Zalo articles show pictures only from public web addresses, so the "
                                     "attached picture is not sent to Zalo; the article shows its cover photo."))
    return problems, warnings


def check_tiktok(draft: Draft, target: Target, hashtags: list[str], now: datetime) -> tuple[list[Problem], list[str]]:
    problems: list[Problem] = []
    text = platform_text(draft, L.TIKTOK, hashtags)
    units = L.utf16_units(text)
    if units > L.TIKTOK_CAPTION_MAX_UTF16:
        problems.append(Problem(
            _("the caption is {units} UTF-16 units long (with hashtags), over TikTok's {limit}.", units=units,
              limit=L.TIKTOK_CAPTION_MAX_UTF16),
            _("Shorten it, or give a shorter TikTok text (--tiktok-text / column text_tiktok)."), L.TIKTOK,
            web_fix=_("Shorten it, or write a shorter text for TikTok under “Per-platform text”.")))
    m = draft.media
    if m is None or m.kind != "video":
        problems.append(Problem(_("TikTok publishes videos only."),
                                _("Attach a video with --media, or leave tiktok out of --to."), L.TIKTOK,
                                web_fix=_("Attach a video, or untick the TikTok channel.")))
    else:
        problems.extend(_video_rules(m, L.TIKTOK_VIDEO, L.TIKTOK))
    warnings: list[str] = []
    if target.settings.get("mode") == "inbox":
        if draft.variants.get(L.TIKTOK, {}).get("privacy"):
            warnings.append("tiktok: " + _("{channel} sends drafts to the TikTok inbox: who may see the video is "
                                           "chosen in the TikTok app when it is posted there.", channel=target.name))
    else:
        problems.extend(tiktok_choice_problems(draft, target))
    return problems, warnings


def tiktok_choice_problems(draft: Draft, target: Target) -> list[Problem]:
    """What the person must still choose, or chose against the account's own options, before a
    direct post (TikTok's posting rules; the one rule is connectors.tiktok.choice_problems)."""
    from connectors.tiktok import DISCLOSURES, INTERACTIONS, MUSIC_CONFIRMATION, Choice, choice_problems

    facts = target.facts if target.facts and not target.facts.get("unreadable") else None
    offered = ", ".join((facts or {}).get("privacy_level_options") or L.TIKTOK_PRIVACY_LEVELS)
    choose = (_("Add --tiktok-privacy with one of {levels} (column privacy_tiktok in a spreadsheet).", levels=offered),
              _("Choose who may see it under TikTok."))
    fixes = {
        "privacy_missing": choose, "privacy_unknown": choose, "privacy_level_option_mismatch": choose,
        "unaudited_client_can_only_post_to_private_accounts": (
            _("Until TikTok audits the app, choose SELF_ONLY (--tiktok-privacy SELF_ONLY), or send drafts to the "
              "TikTok inbox (`loa channel set {channel} --mode inbox`).", channel=target.name),
            _("Until TikTok audits the app, choose “Only me”, or set the channel to send drafts to the TikTok "
              "inbox on the Channels page.")),
        "interaction_unknown": (_("--tiktok-allow takes {names}.", names=", ".join(INTERACTIONS)), ""),
        "interaction_off": (_("Leave it out of --tiktok-allow, or turn it on in the TikTok app first."),
                            _("Leave it unticked, or turn it on in the TikTok app first.")),
        "disclose_unknown": (_("--tiktok-disclose takes {names}.", names=", ".join(DISCLOSURES)), ""),
        "branded_private": (_("Choose another privacy, or leave partner out of --tiktok-disclose."),
                            _("Choose another privacy, or untick “Paid partnership”.")),
        "music_missing": (_("Add --tiktok-music-ok (column music_tiktok: yes) to agree: “{sentence}”",
                            sentence=say(MUSIC_CONFIRMATION)),
                          _("Tick “{sentence}” under TikTok.", sentence=say(MUSIC_CONFIRMATION))),
        "duration_check_failed": (_("Cut it shorter."), ""),
    }
    duration = draft.media.duration if draft.media is not None else None
    out = []
    for code, said in choice_problems(Choice.of(draft.variants.get(L.TIKTOK)), facts, duration):
        fix, web_fix = fixes.get(code, ("", ""))
        out.append(Problem(say(said), fix, L.TIKTOK, code=f"tiktok_{code}", web_fix=web_fix))
    return out


CHECKS = {L.FACEBOOK: check_facebook, L.ZALO: check_zalo, L.TIKTOK: check_tiktok}


def check(draft: Draft, targets: list[Target], hashtags: list[str], now: datetime, *,
          allow_past: bool = False) -> tuple[list[Problem], list[str]]:
    """Check ``draft`` for every target; return all problems and warnings."""
    problems: list[Problem] = []
    warnings: list[str] = []
    if not targets:
        problems.append(Problem(_("the post goes nowhere."), _("Name channels or platforms with --to."), code=NOWHERE,
                                web_fix=_("Tick at least one channel.")))
    if not nfc(draft.text).strip() and draft.media is None and not any(
        v.get("text") for v in draft.variants.values()
    ):
        problems.append(Problem(_("the post has no text and no media."), _("Give --text, --text-file or --media."),
                                web_fix=_("Write a text or attach a picture or video.")))
    if draft.link and not _is_public_url(draft.link):
        problems.append(Problem(_("the link {link!r} is not a web address.", link=draft.link),
                                _("Give an http(s):// address.")))
    if draft.due_at is None:
        problems.append(Problem(_("the post has no time."), _("Give --at TIME, or --now."),
                                web_fix=_("Choose the day and time, or tick “Publish as soon as possible”.")))
    elif not allow_past and draft.due_at < now - PAST_TOLERANCE:
        problems.append(Problem(_("the time is in the past."),
                                _("Give a later --at, or --now to publish as soon as possible."), code=PAST,
                                web_fix=_("Choose a later time, or tick “Publish as soon as possible”.")))
    for target in targets:
        p, w = CHECKS[target.platform](draft, target, hashtags, now)
        problems.extend(x for x in p if str(x) not in {str(y) for y in problems})
        warnings.extend(x for x in w if x not in warnings)
    return problems, warnings


def preview(draft: Draft, targets: list[Target], hashtags: list[str]) -> list[dict[str, Any]]:
    """Exactly what each target receives, as the workspace's composer shows it: the text with its
    hashtags, TikTok's caption counted in UTF-16 units as TikTok counts, Zalo's title and
    description with their limits, and how Facebook takes the media (Reel, Page video, photo)."""
    out = []
    for t in targets:
        text = platform_text(draft, t.platform, hashtags)
        item: dict[str, Any] = {"channel": t.name, "platform": t.platform, "text": text}
        if t.platform == L.TIKTOK:
            item["count"] = {"value": L.utf16_units(text), "limit": L.TIKTOK_CAPTION_MAX_UTF16, "unit": "utf16"}
        elif t.platform == L.FACEBOOK:
            item["count"] = {"value": len(text), "limit": L.FACEBOOK_MESSAGE_MAX_CHARS, "unit": "chars"}
            m = draft.media
            item["as"] = (None if m is None else "photo" if m.kind == "image" else "reel" if is_reel(m)
                          else "page_video")
        elif t.platform == L.ZALO:
            title, _given = zalo_title(draft)
            desc, _given = zalo_description(draft)
            item["title"] = {"value": title, "count": len(title), "limit": L.ZALO_TITLE_MAX_CHARS}
            item["description"] = {"value": desc, "count": len(desc), "limit": L.ZALO_DESCRIPTION_MAX_CHARS}
        out.append(item)
    return out
