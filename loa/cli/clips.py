"""`loa clips`: challenge clips in, reviewed, withdrawn."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .app import App, emit_json, pass_app, table, warn
from .language import LoaGroup
from content_queue.i18n import N_, _

CONSENT = click.Choice(["self", "guardian", "none"])
DISPLAY = click.Choice(["full", "first", "anonymous"])


@click.group(cls=LoaGroup)
def clips() -> None:
    """Participants' challenge clips: add, import, review, withdraw."""


# What the officer reads for each field of `loa clips show` (the keys stay for --json).
FIELD_LABELS = {
    "id": N_("number"), "status": N_("review"), "reason": N_("reason"), "file": N_("file"),
    "participant": N_("participant"), "shown_as": N_("shown as"), "display": N_("name shown"),
    "school": N_("school"), "class": N_("class"), "age": N_("age"), "consent": N_("consent"),
    "guardian": N_("guardian"), "consent_ok": N_("consent in order"), "in_public_recap": N_("may be in a public recap"),
    "duplicate_of": N_("same file as clip"), "received": N_("received"), "source": N_("sent through"),
    "sha256": "sha256", "poster": N_("poster"), "video": N_("video"), "corrections": N_("the recap will correct"),
}


def _shown(key: str, value) -> str:
    from content_queue.consent import consent_label, status_label

    if value is True or value is False:
        return _("yes") if value else _("no")
    if key == "status":
        return status_label(value)
    if key == "consent":
        return consent_label(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, False, 0))
    return str(value)


def describe(c, show, guardian_age: int) -> dict:
    from content_queue.clips import describe as of  # imported when used: `loa --help` stays quick

    return of(c, show, guardian_age)


@clips.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--participant", required=True, help="The participant's name (as they write it).")
@click.option("--school", default="", help="Their school.")
@click.option("--class", "class_name", default="", help="Their class.")
@click.option("--age", type=int, help="Their age in years.")
@click.option("--consent", type=CONSENT, required=True,
              help="Who agreed to publication: self (at or above the campaign's guardian age, `loa campaign show`), "
                   "guardian, or none.")
@click.option("--guardian", default="", help="The guardian's name (needed with --consent guardian).")
@click.option("--display", type=DISPLAY, default="first", show_default=True,
              help="How the name is shown in the recap: full name, given name only, or no name.")
@click.option("--json", "as_json", is_flag=True, help="Print the clips as JSON.")
@pass_app
def add(app: App, files, participant, school, class_name, age, consent, guardian, display, as_json) -> None:
    """Add clips sent by one participant. Each file is probed (every frame decoded): a file that
    is not a usable video is kept on record as rejected, with the reason.

    \b
    Example:
      loa clips add clip.mp4 --participant "Nguyễn Thị Hoa" --school "THCS Kon Chiêng" \\
          --class 8A --age 14 --consent guardian --guardian "Nguyễn Văn Nam"
    """
    from content_queue.clips import Sender, add_clips

    sender = Sender(participant=participant, school=school, class_name=class_name, age=age, consent=consent,
                    guardian=guardian, display=display)
    with app.session() as s:
        campaign = app.campaign(s)
        got = add_clips(s, campaign, [(Path(f), sender) for f in files], media_dir=app.folder.media_dir,
                        now=app.now())
        out = [describe(c, app.show_time(campaign), campaign.guardian_age) for c in got]
    if as_json:
        emit_json(out)
        return
    for c in out:
        _say(c)


def _say(c: dict) -> None:
    if c["status"] == "rejected":
        click.secho(_("clip {id} ({file}): rejected: {reason}", id=c['id'], file=c['file'], reason=c['reason']), fg="red")
    else:
        extra = _("; the recap will correct: {corrections}", corrections=", ".join(c["corrections"])) \
            if c["corrections"] else ""
        click.echo(_("clip {id} ({file}): awaiting review{extra}", id=c['id'], file=c['file'], extra=extra))
        if not c["consent_ok"]:
            warn(_("clip {id}: without the right consent it will stay out of public recaps", id=c['id']))


@clips.command("import")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--manifest", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="CSV with columns file, participant, school, class, age, consent, guardian, display.")
@click.option("--json", "as_json", is_flag=True, help="Print the clips as JSON.")
@pass_app
def import_(app: App, directory: Path, manifest: Path, as_json: bool) -> None:
    """Import a folder of clips described by a manifest. The whole manifest is checked first; if
    any row is bad, nothing is imported and every bad row is listed.

    \b
    Manifest columns (header line; file and participant required):
      file, participant, school, class, age, consent (self|guardian|none), guardian,
      display (full|first|anonymous)

    \b
    Example:
      loa clips import clip-gui-ve/ --manifest clip-gui-ve/danh-sach.csv
    """
    from content_queue.clips import import_folder, read_manifest

    with app.session() as s:
        campaign = app.campaign(s)
        rows = read_manifest(manifest, directory, campaign.guardian_age)
        with click.progressbar(length=len(rows), label=_("Checking clips"), file=sys.stderr) as bar:
            got = import_folder(s, campaign, directory, manifest, media_dir=app.folder.media_dir,
                                progress=bar.update)
        out = [describe(c, app.show_time(campaign), campaign.guardian_age) for c in got]
    if as_json:
        emit_json(out)
        return
    ok = sum(c["status"] != "rejected" for c in out)
    click.echo(_("{count} clips: {ok} awaiting review, {value} rejected.", count=len(out), ok=ok, value=len(out) - ok))
    for c in out:
        if c["status"] == "rejected":
            click.secho(_("  clip {id} ({file}): {reason}", id=c['id'], file=c['file'], reason=c['reason']), fg="red")


@clips.command("list")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "withdrawn"]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_(app: App, status: str | None, as_json: bool) -> None:
    """List clips: who sent them, consent, and what was accepted, rejected and why.

    \b
    Examples:
      loa clips list
      loa clips list --status pending --json
    """
    from content_queue.clips import list_clips

    with app.session() as s:
        campaign = app.campaign(s)
        out = [describe(c, app.show_time(campaign), campaign.guardian_age) for c in list_clips(s, campaign, status)]
    if as_json:
        emit_json(out)
        return
    if not out:
        click.echo(_("No clips yet. Add them with `loa clips add` or `loa clips import`."))
        return
    from content_queue.consent import consent_label, status_label

    click.echo(table([[str(c["id"]), status_label(c["status"]), c["participant"], c["school"], str(c["age"] or ""),
                       consent_label(c["consent"]) + ("" if c["consent_ok"] else " (!)"),
                       f"{c['video']['duration']:.1f}s" if c["video"] else "", (c["reason"] or "")[:60]]
                      for c in out], [_("ID"), _("STATUS"), _("PARTICIPANT"), _("SCHOOL"), _("AGE"), _("CONSENT"), _("LENGTH"),
                                     _("REASON")]))


@clips.command("show")
@click.argument("clip_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def show(app: App, clip_id: int, as_json: bool) -> None:
    """Show one clip: sender, consent, video facts, what the recap will correct.

    \b
    Example:
      loa clips show 3
    """
    from content_queue.clips import get_clip

    with app.session() as s:
        campaign = app.campaign(s)
        c = describe(get_clip(s, campaign, clip_id), app.show_time(campaign), campaign.guardian_age)
    if as_json:
        emit_json(c)
        return
    labels = {k: _(FIELD_LABELS.get(k, k)) for k in c}
    width = max(len(v) for v in labels.values()) + 2
    for k, v in c.items():
        if v not in (None, "", []):
            click.echo(f"{labels[k]:{width}}{_shown(k, v)}")


@clips.command("approve")
@click.argument("clip_ids", nargs=-1, required=True, type=int)
@pass_app
def approve(app: App, clip_ids) -> None:
    """Approve clips for the recap.

    \b
    Example:
      loa clips approve 3 4 7
    """
    from content_queue.clips import approve as do

    with app.session() as s:
        campaign = app.campaign(s)
        for i in clip_ids:
            _clip, warning = do(s, campaign, i, app.now())
            click.echo(_("clip {i}: approved", i=i))
            if warning:
                warn(warning)


@clips.command("reject")
@click.argument("clip_id", type=int)
@click.option("--reason", required=True, help="Why (kept on record).")
@pass_app
def reject(app: App, clip_id: int, reason: str) -> None:
    """Reject a clip, with the reason.

    \b
    Example:
      loa clips reject 5 --reason "Lộ số điện thoại trong video"
    """
    from content_queue.clips import reject as do

    with app.session() as s:
        do(s, app.campaign(s), clip_id, reason, app.now())
    click.echo(_("clip {clip_id}: rejected", clip_id=clip_id))


@clips.command("consent")
@click.argument("clip_id", type=int)
@click.option("--consent", type=CONSENT, required=True)
@click.option("--guardian", default="", help="The guardian's name.")
@pass_app
def consent(app: App, clip_id: int, consent: str, guardian: str) -> None:
    """Record consent that arrived later (for example a parent's signed form).

    \b
    Example:
      loa clips consent 7 --consent guardian --guardian "Trần Văn Bình"
    """
    from content_queue.clips import record_consent

    with app.session() as s:
        record_consent(s, app.campaign(s), clip_id, consent, guardian)
    click.echo(_("clip {clip_id}: consent recorded ({consent})", clip_id=clip_id, consent=consent))


@clips.command("withdraw")
@click.argument("clip_id", type=int)
@click.option("--delete-media", is_flag=True, help="Also erase the video and its poster from the media store.")
@pass_app
def withdraw(app: App, clip_id: int, delete_media: bool) -> None:
    """Withdraw a clip: it never appears in a later recap. Recaps already published are not
    changed on the platforms; `loa report` lists them so they can be taken down by hand.

    \b
    Example:
      loa clips withdraw 5 --delete-media
    """
    from content_queue.clips import withdraw as do

    with app.session() as s:
        w = do(s, app.campaign(s), clip_id, delete_media=delete_media, media_dir=app.folder.media_dir)
        also, deleted, kept, recaps = w.also, w.deleted, w.kept_because, w.recaps
    click.echo(_("clip {clip_id}: withdrawn", clip_id=clip_id) + (_("; its video was erased from the media store") if deleted else ""))
    if also:
        click.echo(_("  the same file was also sent as clip(s) {names}: withdrawn too", names=', '.join(map(str, also))))
    if delete_media and not deleted:
        warn(_("the video was kept in the store: {value}", value=kept or 'it is not in the store'))
    for r in recaps:
        warn(_("recap {recap} contains it and is public: take it down on the platform: ", recap=r['recap']) + ", ".join(r["links"]))
