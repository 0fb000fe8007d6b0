"""Video tóm tắt: build the recap in the browser. The planner's choice of clips and seconds is shown
as a strip of posters in order; the officer reorders (drag, or the arrows without a script), drops
or adds clips and changes a clip's seconds; sets the intro and outro words, music, logo and fill;
renders it as a job (a live progress bar, cancellable; the server stays responsive: the render runs
in a process of its own), watches it in the page, renders the 4:5 feed cut, and publishes it to the
chosen channels through the ordinary queue (and approvals, when they are on)."""
from __future__ import annotations

import secrets

from flask import abort, g, jsonify, redirect, render_template, request, send_file, url_for

from content_queue.errors import UserError
from content_queue.i18n import N_, _
from content_queue.users import may, record

from connectors.tiktok import MUSIC_CONFIRMATION_URL as TIKTOK_MUSIC_URL

from .common import (apply_change, context, file_name, file_suffix, form_choices, requires, say_done, say_refused,
                     tiktok_panel, upload_dir)

FORMATS = ("vertical", "feed", "square", "landscape")
FORMAT_LABELS = {"vertical": N_("vertical 9:16 (TikTok, Reels, Zalo)"), "feed": N_("4:5 (the Facebook Page's feed)"),
                 "square": N_("square"), "landscape": N_("landscape 16:9")}
DEFAULT_SECONDS = 3.0



def register(app) -> None:
    app.add_url_rule("/recap", "recap", builder, methods=["GET", "POST"])
    app.add_url_rule("/recaps/<int:recap_id>/video", "recap_video", recap_video)
    app.add_url_rule("/recaps/<int:recap_id>/feed", "recap_feed", recap_feed, methods=["POST"])
    app.add_url_rule("/recaps/<int:recap_id>/publish", "recap_publish", recap_publish, methods=["POST"])
    app.add_url_rule("/jobs/<int:job_id>.json", "job_state", job_state)
    app.add_url_rule("/jobs/<int:job_id>/cancel", "job_cancel", job_cancel, methods=["POST"])


def _arrangement(form) -> tuple[list[int], dict[int, float]]:
    """The strip as the form has it: the clips in order, and each one's seconds."""
    ids: list[int] = []
    for raw in form.getlist("clip"):
        if raw.isdigit() and int(raw) not in ids:
            ids.append(int(raw))
    seconds: dict[int, float] = {}
    for i in ids:
        try:
            seconds[i] = max(0.5, min(30.0, float(form.get(f"sec_{i}", DEFAULT_SECONDS))))
        except ValueError:
            seconds[i] = DEFAULT_SECONDS
    return ids, seconds


def _apply(action: str, ids: list[int], seconds: dict[int, float]) -> None:
    """An arrow, a drop or an add pressed without the page's script."""
    verb, _sep, raw = action.partition(":")
    if not raw.isdigit():
        return
    i = int(raw)
    if verb == "add" and i not in ids:
        ids.append(i)
        seconds[i] = DEFAULT_SECONDS
    elif i in ids:
        at = ids.index(i)
        if verb == "drop":
            ids.remove(i)
        elif verb == "up" and at > 0:
            ids[at - 1], ids[at] = ids[at], ids[at - 1]
        elif verb == "down" and at < len(ids) - 1:
            ids[at + 1], ids[at] = ids[at], ids[at + 1]


def builder():
    from sqlalchemy import select

    from content_queue.consent import displayed_name, publishable
    from content_queue.models import Clip, Job, Recap
    from content_queue.timeutil import local
    from recap.plan import INTRO_SECONDS, OUTRO_SECONDS, choose_clips

    from ..jobs import describe, reap

    ctx = context()
    if request.method == "POST" and not may(g.user, "change"):  # a viewer watches; the strip is the officer's
        abort(403)
    form = request.form if request.method == "POST" else request.args
    fmt = form.get("fmt", "vertical") if form.get("fmt") in FORMATS else "vertical"
    look = {k: form.get(k, "") for k in ("intro_title", "intro_text", "outro_line")}
    look["fill"] = "blur" if form.get("fill") == "blur" else "color"
    ids, seconds = _arrangement(form)
    action = form.get("action", "")
    _apply(action, ids, seconds)
    problem, started = None, None
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        clips = {c.id: c for c in s.scalars(select(Clip).where(Clip.campaign_id == campaign.id))}
        usable = [c for c in sorted(clips.values(), key=lambda c: c.id) if publishable(c, campaign.guardian_age)]
        last = None if ("clip" in form or action) else s.scalar(
            select(Job).where(Job.campaign_id == campaign.id, Job.kind == "recap", Job.created_by == g.user.name)
            .order_by(Job.id.desc()).limit(1))
        if last is not None and (last.params or {}).get("clip_ids") and "fmt" not in form:
            p = last.params  # where the officer left it: the last render's strip and look
            ids.extend(i for i in p["clip_ids"] if isinstance(i, int))
            seconds.update({int(k): float(v) for k, v in (p.get("clip_seconds") or {}).items()})
            for i in ids:
                seconds.setdefault(i, float(p.get("per_clip") or DEFAULT_SECONDS))
            fmt = p.get("fmt") if p.get("fmt") in FORMATS else fmt
            look.update({k: p.get(k, "") for k in ("intro_title", "intro_text", "outro_line")},
                        fill=p.get("fill", "color"))
        if not ids and "clip" not in form and not action:  # the planner's own choice, to start from
            try:
                for c, length in choose_clips(s, campaign, fmt=fmt):
                    ids.append(c.id)
                    seconds[c.id] = round(length, 1)
            except UserError as exc:
                problem = exc.on_the_web()
        ids = [i for i in ids if i in clips]
        total = INTRO_SECONDS + OUTRO_SECONDS + sum(seconds[i] for i in ids)
        if action == "render" and request.method == "POST":  # nothing starts on a GET (a link elsewhere)
            try:
                started = _submit(s, campaign, fmt, ids, seconds, total, look)
            except UserError as exc:
                problem = exc.on_the_web()

        def card(c):
            p = c.probe or {}
            return {"id": c.id, "name": displayed_name(c) or _("(no name shown)"), "school": c.school,
                    "poster": bool(c.poster_relpath), "length": float(p.get("duration") or 0),
                    "seconds": seconds.get(c.id, DEFAULT_SECONDS), "usable": publishable(c, campaign.guardian_age)}

        strip = [card(clips[i]) for i in ids]
        others = [card(c) for c in usable if c.id not in ids]
        show = lambda dt: local(dt, campaign.timezone)  # noqa: E731
        reap(s)
        jobs = [describe(j, show) for j in s.scalars(select(Job).where(Job.campaign_id == campaign.id,
                                                                      Job.kind == "recap")
                                                     .order_by(Job.id.desc()).limit(5))]
        recaps = [{"id": r.id, "format": (r.settings or {}).get("format", "vertical"), "made": show(r.created_at),
                   "duration": (r.settings or {}).get("duration"), "clips": (r.clip_ids or {}).get("ids", []),
                   "has_video": r.media_id is not None}
                  for r in s.scalars(select(Recap).where(Recap.campaign_id == campaign.id)
                                     .order_by(Recap.id.desc()).limit(10))]
        from content_queue.channels import list_channels

        channels = [{"id": c.id, "name": c.name, "platform": c.platform.value} for c in list_channels(s, campaign)
                    if c.active]
        tiktok = tiktok_panel(s, campaign) if any(r["has_video"] for r in recaps) else None
    if started is not None:  # committed: the runner picks it up
        say_done(_("The recap is being rendered (job {id}); this page shows its progress.", id=started))
        return redirect(url_for("recap"))
    return render_template("workspace/recap.html", strip=strip, others=others, fmt=fmt, formats=FORMATS, look=look,
                           total=total, problem=problem, jobs=jobs, recaps=recaps, channels=channels, nav="recap",
                           tiktok=tiktok, music_url=TIKTOK_MUSIC_URL,
                           running=any(j["state"] in ("queued", "running") for j in jobs),
                           format_labels={k: _(v) for k, v in FORMAT_LABELS.items()})


def _submit(s, campaign, fmt, ids, seconds, total, look) -> int:
    from recap.plan import choose_clips

    from ..jobs import submit

    if not ids:
        raise UserError(_("The recap has no clip."), web_fix=_("Add at least one clip to the strip."))
    choose_clips(s, campaign, fmt=fmt, seconds=total + 0.01, clip_ids=ids, order="given", clip_seconds=seconds)
    params = {"fmt": fmt, "seconds": total + 0.01, "clip_ids": ids, "order": "given",
              "clip_seconds": {str(k): v for k, v in seconds.items() if k in ids}, **look}
    for key in ("music", "logo"):
        f = request.files.get(key)
        if f is not None and f.filename:
            folder = upload_dir()
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{secrets.token_hex(16)}.{file_suffix(f.filename)}"
            f.save(folder / name)
            params[key] = name
            params[f"{key}_name"] = file_name(f.filename)
    job = submit(s, campaign, "recap", params, by=g.user.name)
    record(s, g.user.name, "recap_started", detail=f"job {job.id}: {len(ids)} clips, {fmt}")
    return job.id


def _recap(s, campaign, recap_id: int):
    from content_queue.models import Recap

    r = s.get(Recap, recap_id)
    if r is None or r.campaign_id != campaign.id:
        abort(404)
    return r


def recap_video(recap_id: int):
    ctx = context()
    with ctx["sessions"]() as s:
        r = _recap(s, ctx["campaign"](s), recap_id)
        rel = r.media.relpath if r.media is not None else None
    if not rel:
        abort(404)
    path = ctx["folder"].media_dir / rel
    if not path.is_file():
        abort(404)
    resp = send_file(path, mimetype="video/mp4", conditional=True, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@requires("change")
def recap_feed(recap_id: int):
    """The same clips and seconds again, as the 4:5 cut for the Facebook Page's feed."""
    from ..jobs import submit

    ctx = context()
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        r = _recap(s, campaign, recap_id)
        st = dict(r.settings or {})
        params = {"fmt": "feed", "clip_ids": (r.clip_ids or {}).get("ids", []), "order": "given",
                  "clip_seconds": st.get("clip_seconds") or {}, "seconds": float(st.get("duration") or 60) + 0.5,
                  "fill": st.get("fill", "color"), "feed_of": recap_id}
        job = submit(s, campaign, "recap", params, by=g.user.name)
        job_id = job.id
    say_done(_("The 4:5 feed cut is being rendered (job {id}).", id=job_id))
    return redirect(url_for("recap"))


@requires("change")
def recap_publish(recap_id: int):
    """Queue the recap like any post (`loa recap publish`): approvals apply when they are on."""
    from content_queue.models import Recap
    from recap.service import publish_recap

    ctx = context()
    f = request.form
    try:
        with ctx["sessions"]() as s:
            campaign = ctx["campaign"](s)
            r = _recap(s, campaign, recap_id)
            if r.media is None:
                raise UserError(_("Recap {id}'s video is no longer in the store.", id=recap_id))
            feed = None
            if f.get("feed", "").isdigit():
                cut = s.get(Recap, int(f["feed"]))
                if cut is None or cut.campaign_id != campaign.id or cut.media is None:
                    raise UserError(_("No feed cut {id}.", id=f["feed"]))
                feed = ctx["folder"].media_dir / cut.media.relpath
            to = ",".join(x for x in f.getlist("to") if x.isdigit())
            at = f.get("at", "").replace("T", " ") or None
            ids = publish_recap(s, campaign, ctx["folder"].media_dir / r.media.relpath, at=at,
                                now_flag=f.get("now") == "1", to=to, text=f.get("text") or None,
                                media_dir=ctx["folder"].media_dir, now=ctx["now"](), feed=feed,
                                variants=form_choices(f))
            for pid in ids:
                record(s, g.user.name, "created", post_id=pid, detail=f"recap {recap_id}")
    except UserError as exc:
        say_refused(exc)
        return redirect(url_for("recap"))
    say_done(_("Recap {id} queued as post(s) {posts}.", id=recap_id, posts=", ".join(map(str, ids))))
    return redirect(url_for("post_page", post_id=ids[0]))


def job_state(job_id: int):
    from content_queue.models import Job
    from content_queue.timeutil import local

    from ..jobs import describe, reap

    ctx = context()
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        reap(s)
        job = s.get(Job, job_id)
        if job is None or job.campaign_id != campaign.id:
            abort(404)
        return jsonify(describe(job, lambda dt: local(dt, campaign.timezone)))


@requires("change")
def job_cancel(job_id: int):
    from ..jobs import cancel

    def act(s, campaign):
        cancel(s, campaign, job_id)
        record(s, g.user.name, "job_cancelled", detail=str(job_id))
        return _("Job {id} will stop.", id=job_id)

    return apply_change(act, "recap")
