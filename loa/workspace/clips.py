"""Video hưởng ứng: the participants' clips as a gallery (poster, the name as the participant chose
to be shown, school, age band, consent, source, review state; filters), one clip playing in the
page (served with HTTP range requests, so seeking works), and its review: approve, reject with a
reason, record a guardian's consent, withdraw (the video leaves the store). The rules are
content_queue.clips', as `loa clips ...` uses them; a clip added on a participant's behalf goes
through the same checks as `loa clips add`."""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import abort, g, redirect, render_template, request, send_file, url_for

from content_queue.errors import UserError
from content_queue.i18n import _
from content_queue.users import may, record

from .common import apply_change, context, file_name, file_suffix, requires, say_done, say_refused, upload_dir

PAGE_SIZE = 48
VIDEO_TYPES = {"mp4": "video/mp4", "m4v": "video/mp4", "mov": "video/quicktime", "webm": "video/webm",
               "mkv": "video/x-matroska", "3gp": "video/3gpp", "avi": "video/x-msvideo"}



def register(app) -> None:
    app.add_url_rule("/clips", "clips", gallery)
    app.add_url_rule("/clips/new", "clip_add", add, methods=["GET", "POST"])
    app.add_url_rule("/clips/import", "clips_import", import_page, methods=["GET", "POST"])
    app.add_url_rule("/clips/<int:clip_id>", "clip_page", clip_page)
    app.add_url_rule("/clips/<int:clip_id>/video", "clip_video", video)
    app.add_url_rule("/clips/<int:clip_id>/poster.jpg", "clip_poster", poster)
    app.add_url_rule("/clips/<int:clip_id>/approve", "clip_approve", approve, methods=["POST"])
    app.add_url_rule("/clips/<int:clip_id>/reject", "clip_reject", reject, methods=["POST"])
    app.add_url_rule("/clips/<int:clip_id>/consent", "clip_consent", consent, methods=["POST"])
    app.add_url_rule("/clips/<int:clip_id>/withdraw", "clip_withdraw", withdraw, methods=["POST"])


def _card(c, campaign, show) -> dict:
    from content_queue.clips import describe
    from content_queue.consent import consent_label, status_label
    from content_queue.report import age_band

    d = describe(c, show, campaign.guardian_age)
    d.update(status_label=status_label(d["status"]), consent_label=consent_label(d["consent"]),
             age_band=age_band(c.age), has_video=c.media_id is not None, has_poster=bool(c.poster_relpath))
    return d


def gallery():
    from sqlalchemy import func, select

    from content_queue.models import Clip, ClipStatus, Consent
    from content_queue.timeutil import local

    ctx = context()
    status = request.args.get("status", "")
    consent_wanted = request.args.get("consent", "")
    school = request.args.get("school", "")
    page = max(1, request.args.get("page", 1, type=int))
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        q = select(Clip).where(Clip.campaign_id == campaign.id)
        if status in {c.value for c in ClipStatus}:
            q = q.where(Clip.status == ClipStatus(status))
        if consent_wanted in {c.value for c in Consent}:
            q = q.where(Clip.consent == Consent(consent_wanted))
        if school:
            q = q.where(Clip.school == school)
        total = s.scalar(select(func.count()).select_from(q.subquery()))
        rows = [_card(c, campaign, lambda dt: local(dt, campaign.timezone))
                for c in s.scalars(q.order_by(Clip.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))]
        schools = [x for x in s.scalars(select(Clip.school).where(Clip.campaign_id == campaign.id)
                                        .distinct().order_by(Clip.school)) if x]
        counts = dict(s.execute(select(Clip.status, func.count()).where(Clip.campaign_id == campaign.id)
                                .group_by(Clip.status)).all())
        from content_queue.models import Job

        from ..jobs import describe as job_row
        from ..jobs import reap

        reap(s)
        jobs = [job_row(j, lambda dt: local(dt, campaign.timezone))
                for j in s.scalars(select(Job).where(Job.campaign_id == campaign.id, Job.kind == "clips_import")
                                   .order_by(Job.id.desc()).limit(3))]
    from content_queue.consent import CONSENT_LABELS, STATUS_LABELS

    return render_template("workspace/clips.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), status=status, consent=consent_wanted,
                           school=school, schools=schools, nav="clips", jobs=jobs,
                           statuses=[(k, _(v), counts.get(ClipStatus(k), 0)) for k, v in STATUS_LABELS.items()],
                           consents=[(k, _(v)) for k, v in CONSENT_LABELS.items()])


def _clip(s, campaign, clip_id: int):
    from content_queue.clips import get_clip

    try:
        return get_clip(s, campaign, clip_id)
    except UserError:
        abort(404)


def clip_page(clip_id: int):
    from content_queue.timeutil import local

    ctx = context()
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        c = _card(_clip(s, campaign, clip_id), campaign, lambda dt: local(dt, campaign.timezone))
        guardian_age = campaign.guardian_age
    return render_template("workspace/clip.html", c=c, guardian_age=guardian_age, nav="clips")


def _file(clip_id: int, poster: bool = False) -> tuple[Path, str]:
    ctx = context()
    with ctx["sessions"]() as s:
        c = _clip(s, ctx["campaign"](s), clip_id)
        rel = c.poster_relpath if poster else (c.media.relpath if c.media is not None else None)
    if not rel:
        abort(404)
    path = (ctx["folder"].media_dir / rel).resolve()
    if not path.is_file() or ctx["folder"].media_dir.resolve() not in path.parents:
        abort(404)
    return path, "image/jpeg" if poster else VIDEO_TYPES.get(path.suffix.lower().lstrip("."), "video/mp4")


def video(clip_id: int):
    """The clip's file, with HTTP range requests (the video element seeks by asking for parts)."""
    path, mimetype = _file(clip_id)
    resp = send_file(path, mimetype=mimetype, conditional=True, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def poster(clip_id: int):
    path, mimetype = _file(clip_id, poster=True)
    resp = send_file(path, mimetype=mimetype, conditional=True, max_age=0)
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@requires("change")
def approve(clip_id: int):
    from content_queue import clips as C

    def act(s, campaign):
        _c, warning = C.approve(s, campaign, clip_id, context()["now"]())
        record(s, g.user.name, "clip_approved", detail=str(clip_id))
        return _("Clip {id} approved.", id=clip_id) + (f" {warning}" if warning else "")

    return apply_change(act, "clip_page", clip_id=clip_id)


@requires("change")
def reject(clip_id: int):
    from content_queue import clips as C

    reason = request.form.get("reason", "").strip()

    def act(s, campaign):
        if not reason:
            raise UserError(_("Say why the clip is rejected."),
                            web_fix=_("Write the reason in the box beside “Reject”: the participant may ask."))
        C.reject(s, campaign, clip_id, reason, context()["now"]())
        record(s, g.user.name, "clip_rejected", detail=f"{clip_id}: {reason}")
        return _("Clip {id} rejected.", id=clip_id)

    return apply_change(act, "clip_page", clip_id=clip_id)


@requires("change")
def consent(clip_id: int):
    from content_queue import clips as C

    def act(s, campaign):
        C.record_consent(s, campaign, clip_id, request.form.get("consent", ""), request.form.get("guardian", ""))
        record(s, g.user.name, "clip_consent", detail=f"{clip_id}: {request.form.get('consent', '')}")
        return _("Consent recorded for clip {id}.", id=clip_id)

    return apply_change(act, "clip_page", clip_id=clip_id)


@requires("change")
def withdraw(clip_id: int):
    from content_queue import clips as C

    def act(s, campaign):
        w = C.withdraw(s, campaign, clip_id, delete_media=request.form.get("delete_media") == "1",
                       media_dir=context()["folder"].media_dir)
        record(s, g.user.name, "clip_withdrawn", detail=str(clip_id))
        said = [_("Clip {id} withdrawn: it will be in no later recap.", id=clip_id)]
        if w.deleted:
            said.append(_("Its video was erased from the store."))
        elif w.kept_because:
            said.append(_("The video was kept: {why}.", why=w.kept_because))
        for r in w.recaps:
            said.append(_("Recap {recap} contains it and is public: take it down on the platform ({links}).",
                          recap=r["recap"], links=", ".join(r["links"])))
        return " ".join(said)

    return apply_change(act, "clip_page", clip_id=clip_id)


def add():
    """A clip added on a participant's behalf (a teacher hands in a phone's video): the same checks
    and consent rules as `loa clips add`."""
    from content_queue import clips as C
    from content_queue.clips import Sender


    ctx = context()
    form = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "GET":
        return render_template("workspace/clip_add.html", form=form, problems=[], nav="clips")
    if not may(g.user, "change"):
        abort(403)
    f = request.files.get("video")
    problems: list[str] = []
    try:
        age = int(form["age"]) if form.get("age", "").strip() else None
    except ValueError:
        age, problems = None, [_("the age {value!r} is not a number", value=form.get("age"))]
    sender = Sender(participant=form.get("participant", ""), school=form.get("school", ""),
                    class_name=form.get("class_name", ""), age=age, consent=form.get("consent", "none"),
                    guardian=form.get("guardian", ""), display=form.get("display", "first"), source="workspace")
    with ctx["sessions"]() as s:
        problems += C.check_sender(sender, ctx["campaign"](s).guardian_age)
    if f is None or not f.filename:
        problems.append(_("choose the video file"))
    if problems:
        return render_template("workspace/clip_add.html", form=form, problems=problems, nav="clips"), 400
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(16)}.{file_suffix(f.filename)}"
    f.save(path)
    try:
        with ctx["sessions"]() as s:
            clip = C.add_clip(s, ctx["campaign"](s), path, sender, media_dir=ctx["folder"].media_dir,
                              original_name=file_name(f.filename))
            record(s, g.user.name, "clip_added", detail=str(clip.id))
            clip_id, status, reason = clip.id, clip.status.value, clip.reason
    except UserError as exc:
        return render_template("workspace/clip_add.html", form=form, problems=[exc.on_the_web()], nav="clips"), 400
    finally:
        path.unlink(missing_ok=True)
    if status == "rejected":
        say_refused(_("Clip {id} was received but cannot be used: {reason}", id=clip_id, reason=reason))
    else:
        say_done(_("Clip {id} added; it awaits review.", id=clip_id))
    return redirect(url_for("clip_page", clip_id=clip_id))


def import_page():
    """A folder of clips with its manifest (the CSV of `loa clips import`): the manifest is checked
    whole at once (every bad row with its reason, nothing started); then the import runs as a job,
    its progress on the clips page."""
    from content_queue import clips as C
    from content_queue.errors import ValidationFailed

    from ..jobs import submit

    ctx = context()
    if request.method == "GET":
        return render_template("workspace/clips_import.html", problems=[], nav="clips",
                               columns=C.MANIFEST_COLUMNS)
    if not may(g.user, "change"):
        abort(403)
    import shutil

    manifest = request.files.get("manifest")
    videos = [f for f in request.files.getlist("videos") if f.filename]
    if manifest is None or not manifest.filename or not videos:
        return render_template("workspace/clips_import.html", nav="clips", columns=C.MANIFEST_COLUMNS,
                               problems=[_("Choose the manifest (CSV) and the videos it lists.")]), 400
    folder = upload_dir() / f"clips-{secrets.token_hex(12)}"
    folder.mkdir(parents=True)
    manifest.save(folder / ".manifest.csv")
    for f in videos:
        own = file_name(f.filename)
        if own and not own.startswith("."):
            f.save(folder / own)
    try:
        with ctx["sessions"]() as s:
            campaign = ctx["campaign"](s)
            rows = C.read_manifest(folder / ".manifest.csv", folder, campaign.guardian_age,
                                   shown=file_name(manifest.filename) or "manifest.csv",
                                   folder_shown=_("the videos sent with it"))
            job = submit(s, campaign, "clips_import", {"folder": str(folder), "manifest": ".manifest.csv",
                                                       "name": file_name(manifest.filename)}, by=g.user.name)
            job_id = job.id
    except ValidationFailed as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return render_template("workspace/clips_import.html", nav="clips", columns=C.MANIFEST_COLUMNS,
                               problems=[p.on_the_web() for p in exc.problems]), 400
    except UserError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return render_template("workspace/clips_import.html", nav="clips", columns=C.MANIFEST_COLUMNS,
                               problems=[exc.on_the_web()]), 400
    say_done(_("{count} clip(s) are being imported (job {id}); their progress is shown here.", count=len(rows),
               id=job_id))
    return redirect(url_for("clips"))
