"""`loa post`: queue, import, list, show, edit, reschedule and cancel posts."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from connectors import CONNECTORS

from content_queue.errors import UserError

from .app import App, emit_json, lazy, pass_app, preview, table, warn
from .language import Deferred, LoaGroup
from content_queue.i18n import N_, _, say

P = lazy("content_queue.posts")
A = lazy("content_queue.approvals")
lifecycle = lazy("content_queue.lifecycle")
V = lazy("content_queue.validation")
U = lazy("content_queue.users")


@click.group(cls=LoaGroup)
def post() -> None:
    """Posts: what to say, with what picture or video, when, and where."""


FIELD_LABELS = {"text": N_("text"), "title": N_("title"), "description": N_("description")}


def _variant_options(f):
    """--facebook-text, --zalo-title, --zalo-description, ...: one per variant field of each platform."""
    for c in reversed(list(CONNECTORS.values())):
        for field in reversed(c.variant_fields):
            f = click.option(f"--{c.platform}-{field}", f"variant_{c.platform}_{field}",
                             help=Deferred(lambda c=c, field=field: _("{platform}: its own {field} for this post.",
                                                                      platform=c.label, field=_(FIELD_LABELS.get(field, field)))))(f)
    return f


def tiktok_options(f):
    """What the person chooses for a TikTok post (TikTok lets no app choose it): --tiktok-privacy,
    --tiktok-allow, --tiktok-disclose, --tiktok-music-ok. Shared by `loa post add` and `loa recap publish`."""
    from connectors.tiktok import DISCLOSURES, INTERACTIONS, MUSIC_CONFIRMATION

    f = click.option("--tiktok-music-ok", "tiktok_music", is_flag=True, default=None,
                     help=Deferred(lambda: _("TikTok: agree to TikTok's Music Usage Confirmation (“{sentence}”); "
                                             "needed for a direct post.", sentence=say(MUSIC_CONFIRMATION))))(f)
    f = click.option("--tiktok-disclose", "tiktok_disclose", metavar=",".join(DISCLOSURES),
                     help=Deferred(lambda: _("TikTok: the video is commercial content: own (it promotes your own "
                                             "organisation) and/or partner (a paid partnership).")))(f)
    f = click.option("--tiktok-allow", "tiktok_allow", metavar=",".join(INTERACTIONS),
                     help=Deferred(lambda: _("TikTok: what viewers may do (all off unless named here).")))(f)
    f = click.option("--tiktok-privacy", "tiktok_privacy", metavar="LEVEL",
                     help=Deferred(lambda: _("TikTok: who may see the video, one of the levels the account offers "
                                             "(`loa channel check NAME` lists them); no default.")))(f)
    return f


def tiktok_choices(options: dict) -> dict[str, str]:
    """The --tiktok-* options given, as the post's TikTok choices (removed from ``options``)."""
    got = {"privacy": options.pop("tiktok_privacy", None), "allow": options.pop("tiktok_allow", None),
           "disclose": options.pop("tiktok_disclose", None),
           "music": "yes" if options.pop("tiktok_music", None) else None}
    return {k: v for k, v in got.items() if v}


def with_tiktok(variants: dict, options: dict) -> dict:
    chosen = tiktok_choices(options)
    if chosen:
        from connectors.tiktok import TikTokConnector

        variants.setdefault(TikTokConnector.platform, {}).update(chosen)
    return variants


def _variants(options: dict) -> dict:
    """The ``variant_*`` options given, as ``{platform: {field: value}}`` (removed from ``options``)."""
    v: dict[str, dict[str, str]] = {}
    for key in [k for k in options if k.startswith("variant_")]:
        value = options.pop(key)
        _prefix, platform, field = key.split("_", 2)
        if value:
            v.setdefault(platform, {})[field] = value
    return v


def _read_text_file(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(_("{path} is not UTF-8 text.", path=path), fix=_("Save it as UTF-8.")) from None
    except OSError as exc:
        raise UserError(_("Cannot read {path}: {strerror}.", path=path, strerror=exc.strerror)) from None


def _post_dict(post, show_time, iso_time, campaign) -> dict:
    return {
        "id": post.id,
        "due_at": iso_time(post.due_at),
        "due": show_time(post.due_at),
        "title": post.title,
        "text": post.text,
        "link": post.link or None,
        "cover_url": post.cover_url or None,
        "media": ({"file": post.media.original_name, "sha256": post.media.sha256, "kind": post.media.kind,
                   "width": post.media.width, "height": post.media.height, "duration": post.media.duration}
                  if post.media else None),
        "variants": post.variants,
        "add_hashtags": post.add_hashtags,
        "source": post.source,
        "status": P.summary(post),
        "states_said": P.states_said(post),
        "approval": A.state(post, campaign), "approved_by": post.approved_by or None,
        "approval_comment": post.approval_comment or None,
        "queued": post.queued, "series": post.series_id, "series_number": post.series_number,
        "answer_of": post.answer_of_id,
        "deliveries": [
            {"id": d.id, "channel": d.channel.name, "platform": d.channel.platform.value, "state": d.state.value,
             "due_at": iso_time(d.due_at), "attempts": d.attempt_count, "remote_id": d.remote_id,
             "url": d.remote_url, "published_at": iso_time(d.published_at), "last_error": d.last_error or None,
             "platform_message": d.platform_message or None}
            for d in post.deliveries
        ],
    }


@post.command("add")
@click.option("--text", help="What the post says.")
@click.option("--text-file", type=click.Path(dir_okay=False, path_type=Path), help="Read the text from a UTF-8 file.")
@click.option("--title", default="", help="Title (Zalo articles need one; taken from the first line if absent).")
@click.option("--media", type=click.Path(dir_okay=False, path_type=Path), help="A picture or video to attach.")
@click.option("--at", "at", help='When, in the campaign\'s time zone: "2025-10-20 08:00" or "20/10/2025 08:00".')
@click.option("--now", is_flag=True, help="Publish as soon as `loa run` sees it.")
@click.option("--next-slot", is_flag=True, help="In the first free posting slot of each channel (`loa channel slots`).")
@click.option("--to", required=True, help="Platforms and/or channel names, comma separated: facebook,zalo,tiktok.")
@click.option("--quiz", "quiz_text", help="A quiz's question (instead of --text): its answer goes out after it.")
@click.option("--answer-text", help="With --quiz: the answer, a post of its own to the same channels.")
@click.option("--answer-after", help="With --quiz: how long after the quiz the answer goes out, e.g. 3d, 12h, 90m.")
@click.option("--answer-at", help="With --quiz: when the answer goes out (never before the quiz).")
@click.option("--link", default="", help="A link to share with the post.")
@click.option("--cover-url", default="", help="Zalo: the article's cover photo (a public web address).")
@click.option("--hashtags/--no-hashtags", "add_hashtags", default=None,
              help="Add the campaign's hashtags where missing (default: the campaign's setting).")
@click.option("--facebook-handoff/--no-facebook-handoff", default=None,
              help="Hand this post to Facebook's own scheduler ahead of time.")
@_variant_options
@tiktok_options
@click.option("--json", "as_json", is_flag=True, help="Print the new post as JSON.")
@pass_app
def add(app: App, text, text_file, title, media, at, now, next_slot, to, quiz_text, answer_text, answer_after,
        answer_at, link, cover_url, add_hashtags, facebook_handoff, as_json, **variant_options) -> None:
    """Queue a post. It is checked now against every platform it goes to.

    \b
    Examples:
      loa post add --text "Chiến dịch Không một mình chính thức bắt đầu!" \\
          --at "2025-10-20 08:00" --to facebook,zalo --cover-url https://example.org/bia.jpg
      loa post add --text "Mẹo: đừng gửi ảnh riêng tư cho người lạ." --next-slot --to facebook,zalo
      loa post add --quiz "Minigame: kẻ lạ xin mã OTP, em làm gì?" --at "2025-10-24 19:00" --to all \\
          --answer-text "Đáp án: không bao giờ đưa mã OTP cho ai!" --answer-after 3d
      loa post add --text-file trailer.txt --media trailer.mp4 --at "20/10/2025 19:00" --to tiktok \\
          --tiktok-privacy PUBLIC_TO_EVERYONE --tiktok-allow comment,duet --tiktok-music-ok

    A TikTok post needs the person's own choices (TikTok lets no app choose them): who may see it
    (--tiktok-privacy, one of the levels the account offers), what viewers may do (--tiktok-allow),
    whether it is commercial content (--tiktok-disclose) and the Music Usage Confirmation
    (--tiktok-music-ok). A channel that sends drafts to the TikTok inbox needs none of them.
    """
    if sum(x is not None for x in (text, text_file, quiz_text)) > 1:
        raise UserError(_("Give --text, --text-file or --quiz, one of them."))
    if quiz_text is None and (answer_text or answer_after or answer_at):
        raise UserError(_("--answer-text, --answer-after and --answer-at go with --quiz."))
    body = quiz_text if quiz_text is not None else _read_text_file(text_file) if text_file else (text or "")
    inp = P.PostInput(text=body, title=title, link=link, cover_url=cover_url, media=str(media) if media else "",
                      at=at, now=now, next_slot=next_slot, to=to, variants=with_tiktok(_variants(variant_options),
                                                                                      variant_options),
                      add_hashtags=add_hashtags, facebook_handoff=facebook_handoff)
    answer = None
    with app.session() as s:
        campaign = app.campaign(s)
        if quiz_text is not None:
            from content_queue import quiz as Q
            from content_queue.answers import parse_after

            new, answer, warnings = Q.add_quiz(s, campaign, inp, answer_text or "",
                                               after=parse_after(answer_after) if answer_after else None,
                                               answer_at=answer_at, media_dir=app.folder.media_dir, now=app.now())
        else:
            new, warnings = P.add_post(s, campaign, inp, media_dir=app.folder.media_dir, now=app.now())
        for written in (new, answer):  # on record: whoever wrote a post may not approve it
            if written is not None:
                U.record(s, _computer_user(), "created", post_id=written.id)
        new = P.get_post(s, campaign, new.id)
        data = _post_dict(new, app.show_time(campaign), app.iso_time(campaign), campaign)
        accounts = P.posting_as(new)
        if answer is not None:
            data["answer"] = _post_dict(P.get_post(s, campaign, answer.id), app.show_time(campaign),
                                        app.iso_time(campaign), campaign)
    for w in warnings:
        warn(w)
    if as_json:
        emit_json(data)
        return
    targets = ", ".join(f"{d['channel']} {d['due']}" if next_slot else d["channel"] for d in data["deliveries"])
    click.echo(_("Queued post {id} for {due} ({timezone}) to {targets}.",
                 id=data['id'], due=data['due'], timezone=campaign.timezone, targets=targets))
    for line in accounts:
        click.echo("  " + line)
    if answer is not None:
        click.echo(_("Its answer is post {id}, due {due}; it never goes out before the quiz, and moves with it.",
                     id=data["answer"]["id"], due=data["answer"]["due"]))


@post.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the imported posts' ids as JSON.")
@pass_app
def import_(app: App, csv_file: Path, as_json: bool) -> None:
    """Queue every post in a CSV file, or none: the whole file is checked first and every
    bad row is listed with its line number and reason.

    \b
    Columns (header line required; at and to required, then text and/or media):
      at, to, text, title, link, media, cover_url,
      text_facebook, text_zalo, text_tiktok, title_zalo, description_zalo,
      privacy_tiktok, allow_tiktok, disclose_tiktok, music_tiktok (as --tiktok-*; music_tiktok: yes)
    at is a time in the campaign's zone ("2025-10-20 08:00") or "now"; to is like --to;
    media paths are relative to the CSV file. UTF-8 (Excel: "CSV UTF-8"), comma or semicolon.

    \b
    Example:
      loa post import bai-dang.csv
    """
    with app.session() as s:
        campaign = app.campaign(s)
        rows = P.read_csv(csv_file)
        with click.progressbar(length=len(rows), label=_("Checking posts"), file=sys.stderr) as bar:
            posts, warnings = P.import_csv(s, campaign, csv_file, media_dir=app.folder.media_dir, now=app.now(),
                                           progress=bar.update)
        ids = [p.id for p in posts]
    for w in warnings:
        warn(w)
    if as_json:
        emit_json({"imported": ids})
    else:
        click.echo(_("Imported {count} posts from {name} (ids {value}-{value2}).",
                     count=len(ids), name=csv_file.name, value=ids[0], value2=ids[-1]))


@post.command("list")
@click.option("--status", help="Only posts with a delivery in this state (scheduled, published, failed, ...), "
                                "or awaiting-approval.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_(app: App, status: str | None, as_json: bool) -> None:
    """List posts in time order, with times in the campaign's time zone.

    \b
    Examples:
      loa post list
      loa post list --status failed --json
    """
    with app.session() as s:
        campaign = app.campaign(s)
        show_time, iso_time = app.show_time(campaign), app.iso_time(campaign)
        posts = P.list_posts(s, campaign, status=status)
        data = [_post_dict(p, show_time, iso_time, campaign) for p in posts]
        tz = campaign.timezone
    if as_json:
        emit_json(data)
        return
    if not data:
        click.echo(_("No posts.") if status else _("No posts yet. Add one with `loa post add --help`."))
        return
    click.echo(table([[str(d["id"]), d["due"], ",".join(x["channel"] for x in d["deliveries"]), d["states_said"],
                       preview(d["title"] or d["text"])] for d in data],
                     [_("ID"), _("DUE ({tz})", tz=tz), _("TO"), _("STATUS"), _("TEXT")]))


@post.command("show")
@click.argument("post_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def show(app: App, post_id: int, as_json: bool) -> None:
    """Show one post, the exact text each platform gets, and its deliveries.

    \b
    Example:
      loa post show 12
    """
    with app.session() as s:
        campaign = app.campaign(s)
        p = P.get_post(s, campaign, post_id)
        data = _post_dict(p, app.show_time(campaign), app.iso_time(campaign), campaign)
        draft = P.draft_of(p)
        texts = {d.channel.platform.value: V.platform_text(draft, d.channel.platform.value, campaign.hashtag_list)
                 for d in p.deliveries}
        data["text_per_platform"] = texts
        tz, states = campaign.timezone, P.states_said(p)
    if as_json:
        emit_json(data)
        return
    click.echo(_("Post {id}  due {due} ({tz})  {status}", id=data['id'], due=data['due'], tz=tz, status=states))
    if data["approval"] != "not_needed":
        click.echo(_("Approval: {state}", state=A.state_label(data["approval"]))
                   + (f" ({data['approved_by']})" if data["approved_by"] else "")
                   + (f": {data['approval_comment']}" if data["approval_comment"] else ""))
    if data["title"]:
        click.echo(_("Title: {title}", title=data["title"]))
    if data["media"]:
        m = data["media"]
        click.echo(_("Media: {file} ({kind}, {width}x{height}", file=m['file'], kind=m['kind'], width=m['width'], height=m['height'])
                   + (f", {m['duration']:.1f} s" if m["duration"] else "") + ")")
    if data["link"]:
        click.echo(_("Link: {link}", link=data["link"]))
    for platform, t in texts.items():
        click.echo(f"\n--- {platform} ---\n{t}")
    click.echo("")
    click.echo(table([[str(d["id"]), d["channel"], lifecycle.label(d["state"]), str(d["attempts"]), d["url"] or "",
                       d["last_error"] or ""] for d in data["deliveries"]],
                     [_("DELIVERY"), _("CHANNEL"), _("STATE"), _("ATTEMPTS"), _("LINK"), _("LAST ERROR")]))
    for d in data["deliveries"]:
        if d["platform_message"]:  # the platform's own words, for support (often English)
            click.echo(_("Delivery {id}: {platform} said: “{message}”", id=d["id"], platform=CONNECTORS[d["platform"]].label,
                         message=d["platform_message"]))


@post.command("edit")
@click.argument("post_id", type=int)
@click.option("--text")
@click.option("--text-file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title")
@click.option("--media", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--link")
@click.option("--cover-url")
@click.option("--hashtags/--no-hashtags", "add_hashtags", default=None)
@_variant_options
@pass_app
def edit(app: App, post_id: int, text, text_file, title, media, link, cover_url, add_hashtags,
         **variant_options) -> None:
    """Change what a post says or shows, while it is still waiting. Checked again at once.

    \b
    Example:
      loa post edit 12 --text "Nội dung mới" --tiktok-text "Chú thích ngắn cho TikTok"
    """
    if text is not None and text_file is not None:
        raise UserError(_("Give --text or --text-file, not both."))
    changes = {k: v for k, v in {"text": _read_text_file(text_file) if text_file else text, "title": title,
                                 "media": media, "link": link, "cover_url": cover_url,
                                 "add_hashtags": add_hashtags}.items() if v is not None}
    variants = _variants(variant_options)
    if variants:
        changes["variants"] = variants
    if not changes:
        raise UserError(_("Nothing to change."), fix=_("Give at least one option; see `loa post edit --help`."))
    with app.session() as s:
        p, warnings = P.edit_post(s, app.campaign(s), post_id, changes, media_dir=app.folder.media_dir,
                                  base_dir=Path.cwd(), now=app.now())
        U.record(s, _computer_user(), "edited", post_id=p.id)
        status = P.states_said(p)
    for w in warnings:
        warn(w)
    click.echo(_("Post {post_id} changed ({status}).", post_id=post_id, status=status))


@post.command("reschedule")
@click.argument("post_id", type=int)
@click.option("--at", "at", required=True, help='New time, e.g. "2025-10-21 19:30".')
@pass_app
def reschedule(app: App, post_id: int, at: str) -> None:
    """Move a post to another time (its waiting and missed deliveries).

    \b
    Example:
      loa post reschedule 12 --at "2025-10-21 19:30"
    """
    with app.session() as s:
        campaign = app.campaign(s)
        p, n = P.reschedule_post(s, campaign, post_id, at, now=app.now())
        when = app.show_time(campaign)(p.due_at)
    click.echo(_("Post {post_id}: {n_} delivery(ies) now due {when} ({timezone}).",
                 post_id=post_id, n_=n, when=when, timezone=campaign.timezone))


@post.command("cancel")
@click.argument("post_id", type=int)
@pass_app
def cancel(app: App, post_id: int) -> None:
    """Cancel a post's deliveries that have not gone out yet.

    \b
    Example:
      loa post cancel 12
    """
    with app.session() as s:
        p, n = P.cancel_post(s, app.campaign(s), post_id)
        status = P.states_said(p)
    click.echo(_("Post {post_id}: {n_} delivery(ies) cancelled ({status}).", post_id=post_id, n_=n, status=status))


@post.command("approve")
@click.argument("post_ids", type=int, nargs=-1, required=True)
@click.option("--by", default="", help="Who approves, for the record (default: the computer's user).")
@pass_app
def approve(app: App, post_ids: tuple[int, ...], by: str) -> None:
    """Approve posts, when the campaign asks for approvals (`loa campaign set --approval required`):
    only an approved post is published. Editing it later asks for approval again.

    \b
    Example:
      loa post approve 12 13
    """
    who = by or _computer_user()
    with app.session() as s:
        campaign = app.campaign(s)
        for post_id in post_ids:
            A.approve(s, campaign, post_id, by=who, now=app.now())
    for post_id in post_ids:
        click.echo(_("Post {id} approved.", id=post_id))


@post.command("send-back")
@click.argument("post_id", type=int)
@click.option("--comment", required=True, help="What to change, for the officer.")
@click.option("--by", default="", help="Who sends it back, for the record (default: the computer's user).")
@pass_app
def send_back(app: App, post_id: int, comment: str, by: str) -> None:
    """Send a post back to the officer with what to change; it is not published meanwhile.

    \b
    Example:
      loa post send-back 12 --comment "Thêm số điện thoại đường dây nóng"
    """
    with app.session() as s:
        A.send_back(s, app.campaign(s), post_id, by=by or _computer_user(), comment=comment)
    click.echo(_("Post {id} sent back.", id=post_id))


def _computer_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 (no user name in this environment)
        return "cli"
