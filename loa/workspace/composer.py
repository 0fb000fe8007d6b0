"""The composer: write a post, edit one still waiting, or start from a copy of another; the same
checks as `loa post add` and `loa post edit` (every problem with its fix, before saving, nothing
saved meanwhile) and exactly what each platform receives. Pages that work without scripts;
compose.js adds a live preview while typing and an upload with a progress bar.

A picture or video is uploaded once, streamed to ``uploads/workspace/<random>.<ext>`` (a name of
ours, never the sender's), and referred to by that name until the post is saved."""
from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path

from flask import abort, g, jsonify, redirect, render_template, request, url_for

from content_queue.errors import UserError, ValidationFailed
from content_queue.i18n import N_, _
from content_queue.users import may, record

from .common import context, file_name, file_suffix, form_choices, requires, say_done, tiktok_panel, upload_dir

log = logging.getLogger("loa.workspace")
UPLOAD_NAME = re.compile(r"[0-9a-f]{32}\.[a-z0-9]{1,5}")
CHUNK = 1024 * 1024



KEEP_HOURS = 48  # an upload or an import checked and never saved is removed after this


def sweep(folder: Path, *, hours: float = KEEP_HOURS) -> int:
    """Remove what was uploaded here and never saved (a composer left, an import not finished)
    once it is ``hours`` old; the rest stays. Returns how many were removed."""
    import shutil
    import time

    removed = 0
    if not folder.is_dir():
        return 0
    for entry in folder.iterdir():
        try:
            if time.time() - entry.stat().st_mtime < hours * 3600:
                continue
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            removed += 1
        except OSError:
            continue
    return removed


def register(app) -> None:
    app.add_url_rule("/posts/new", "compose", compose, methods=["GET", "POST"])
    app.add_url_rule("/posts/<int:post_id>/edit", "post_edit", edit, methods=["GET", "POST"])
    app.add_url_rule("/posts/check", "post_check", check, methods=["POST"])
    app.add_url_rule("/uploads", "upload", upload, methods=["POST"])
    app.add_url_rule("/posts/import", "post_import", import_page, methods=["GET", "POST"])


@requires("change")
def upload():
    """The file as the request's body (compose.js sends it with a progress bar), streamed to
    disk in 1 MB pieces; answers the name to refer to it by. A full disk removes the piece
    written and says so."""
    name = f"{secrets.token_hex(16)}.{file_suffix(request.args.get('name', ''))}"
    folder = upload_dir()
    sweep(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    size = 0
    try:
        with open(target, "xb") as out:
            while True:
                piece = request.stream.read(CHUNK)
                if not piece:
                    break
                out.write(piece)
                size += len(piece)
    except OSError as exc:
        target.unlink(missing_ok=True)
        log.error("upload failed after %d bytes: %s", size, exc)
        return jsonify(error=_("The file could not be kept: {reason}. Free some disk space, then try again.",
                               reason=exc.strerror or exc)), 507
    if size == 0:
        target.unlink(missing_ok=True)
        return jsonify(error=_("The file is empty.")), 400
    return jsonify(upload=name, size=size)


def _form_input(form, files):
    """The composer's fields as the core's PostInput (the same as `loa post add`), and the file
    kept for the next step under a name of ours (sent with the form, or uploaded before)."""
    from content_queue.posts import PostInput

    folder = upload_dir()
    upload = form.get("upload", "")
    if not UPLOAD_NAME.fullmatch(upload or "") or not (folder / upload).is_file():
        upload = ""
    f = files.get("media")
    if f is not None and f.filename:
        folder.mkdir(parents=True, exist_ok=True)
        upload = f"{secrets.token_hex(16)}.{file_suffix(f.filename)}"
        f.save(folder / upload)  # streamed to disk by Werkzeug, then moved here
    from content_queue.posts import TEXT_FIELDS

    variants: dict[str, dict[str, str]] = form_choices(form)
    for platform, fields in TEXT_FIELDS.items():
        for f in fields:
            value = form.get(f"variant_{platform}_{f}", "")
            if value.strip():
                variants.setdefault(platform, {})[f] = value
    at = form.get("at", "").replace("T", " ")
    inp = PostInput(text=form.get("text", ""), title=form.get("title", ""), link=form.get("link", ""),
                    cover_url=form.get("cover_url", ""), media=str(folder / upload) if upload else "",
                    at=at or None, now=form.get("now") == "1", next_slot=form.get("next_slot") == "1",
                    to=",".join(form.getlist("to")), variants=variants,
                    source="workspace")
    return inp, upload


def _values_of(post, tz: str, *, copy: bool) -> dict:
    """A stored post as the composer's fields: to edit it, or (``copy``) to start a new one from it."""
    from content_queue.timeutil import zone

    values = {"text": post.text, "title": post.title, "link": post.link, "cover_url": post.cover_url}
    from connectors import CONNECTORS

    for platform, fields in (post.variants or {}).items():
        for field, value in fields.items():
            if copy and platform in CONNECTORS and field in CONNECTORS[platform].choice_fields:
                continue  # a copy's TikTok choices are made again by the person (TikTok: no default)
            values[f"variant_{platform}_{field}"] = value
    if copy:
        values["to"] = [str(d.channel_id) for d in post.deliveries if d.channel.active]
    else:
        values["at"] = post.due_at.astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M")
    return values


def _checked(s, campaign, inp, post=None, changes=None):
    """(prepared, problems, warnings, previews) for the composer's fields: a new post through
    posts.prepare, an edited one through posts.check_edit."""
    from content_queue import posts as P
    from content_queue import validation as V

    ctx = context()
    if post is None:
        prepared, problems = P.prepare(s, campaign, inp, base_dir=upload_dir(), now=ctx["now"]())
    else:
        prepared, problems = P.check_edit(s, campaign, post, changes, media_dir=ctx["folder"].media_dir,
                                          base_dir=upload_dir(), now=ctx["now"]())
    previews, warnings = [], []
    if prepared is not None:
        previews = V.preview(prepared.draft, P.targets_of(prepared.channels), campaign.hashtag_list)
        warnings = prepared.warnings
    return prepared, problems, warnings, previews


def _changes(inp, upload: str) -> dict:
    from content_queue.posts import VARIANT_FIELDS

    changes = {"text": inp.text, "title": inp.title, "link": inp.link, "cover_url": inp.cover_url,
               "variants": {p: {f: inp.variants.get(p, {}).get(f, "") for f in fields}
                            for p, fields in VARIANT_FIELDS.items()}}
    if upload:
        changes["media"] = inp.media
    return changes


def _channels(s, campaign):
    from content_queue.channels import list_channels

    return [{"id": c.id, "name": c.name, "platform": c.platform.value} for c in list_channels(s, campaign) if c.active]


FIELD_LABELS = {"text": N_("text"), "title": N_("title"), "description": N_("description")}


def _page(**kw):
    from connectors.tiktok import MUSIC_CONFIRMATION_URL
    from content_queue.posts import TEXT_FIELDS

    from .pages import AS_LABELS

    kw.setdefault("problems", [])
    kw.setdefault("warnings", [])
    kw.setdefault("previews", [])
    values = kw.get("values") or {}
    return render_template("workspace/compose.html", nav="posts", as_labels={k: _(v) for k, v in AS_LABELS.items()},
                           variant_fields=[(p, f, _(FIELD_LABELS.get(f, f))) for p, fields in TEXT_FIELDS.items()
                                           for f in fields], music_url=MUSIC_CONFIRMATION_URL,
                           open_variants=any(k.startswith("variant_") and v and k.rsplit("_", 1)[-1] in
                                             ("text", "title", "description") for k, v in values.items()), **kw)


def compose():
    """Write a post (``?from=ID``: starting from a copy of post ID)."""
    from content_queue import posts as P

    ctx = context()
    saved = None
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        channels = _channels(s, campaign)
        if request.method == "GET":
            values, keep = {}, ""
            source = request.args.get("from", type=int)
            if source:
                try:
                    original = P.get_post(s, campaign, source)
                except UserError:
                    abort(404)
                values = _values_of(original, campaign.timezone, copy=True)
                if original.media is not None:
                    keep = _keep_copy(ctx["folder"].media_dir / original.media.relpath)
            return _page(channels=channels, values=values, upload=keep, title=_("Write a post"),
                         action=url_for("compose"), tiktok=tiktok_panel(s, campaign))
        if not may(g.user, "change"):
            abort(403)
        inp, upload = _form_input(request.form, request.files)
        values = _values_sent(request.form, inp)
        values["to"] = request.form.getlist("to")
        prepared, problems, warnings, previews = _checked(s, campaign, inp)
        if prepared is not None and request.form.get("action") == "save":
            post = P.store(s, campaign, prepared, media_dir=ctx["folder"].media_dir)
            record(s, g.user.name, "created", post_id=post.id)
            saved = post.id
        tiktok = tiktok_panel(s, campaign)
    if saved is not None:  # committed: the upload is the post's media now
        return _saved(upload, _("Post {id} saved.", id=saved), saved)
    return _page(channels=channels, values=values, problems=problems, warnings=warnings, previews=previews,
                 upload=upload, title=_("Write a post"), action=url_for("compose"), tiktok=tiktok)


def _values_sent(form, inp) -> dict:
    """The form as sent, to show again; a choice of several boxes as the one stored value."""
    values = form.to_dict()
    for platform, fields in inp.variants.items():
        for f, v in fields.items():
            values[f"variant_{platform}_{f}"] = v
    return values


def _saved(upload: str, said: str, post_id: int):
    if upload:
        (upload_dir() / upload).unlink(missing_ok=True)
    say_done(said)
    return redirect(url_for("post_page", post_id=post_id))


def _keep_copy(path: Path) -> str:
    """A copy's media: the stored file, linked (or copied) into the uploads under a new name."""
    import os
    import shutil

    if not path.is_file():
        return ""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{file_suffix(path.name)}"
    try:
        os.link(path, folder / name)
    except OSError:
        shutil.copyfile(path, folder / name)
    return name


def edit(post_id: int):
    """Change what a waiting post says or shows (its time moves on its page, its channels stay)."""
    from content_queue import posts as P

    ctx = context()
    saved = False
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        try:
            post = P.get_post(s, campaign, post_id)
        except UserError:
            abort(404)
        fixed = [{"name": d.channel.name, "platform": d.channel.platform.value} for d in P.waiting_deliveries(post)]
        common = dict(title=_("Edit post {id}", id=post_id), action=url_for("post_edit", post_id=post_id),
                      editing=post_id, fixed_channels=fixed, channels=[],
                      tiktok=tiktok_panel(s, campaign, {d.channel_id for d in P.waiting_deliveries(post)}))
        if request.method == "GET":
            return _page(values=_values_of(post, campaign.timezone, copy=False), upload="", **common)
        if not may(g.user, "change"):
            abort(403)
        inp, upload = _form_input(request.form, request.files)
        values = _values_sent(request.form, inp)
        changes = _changes(inp, upload)
        try:
            prepared, problems, warnings, previews = _checked(s, campaign, inp, post, changes)
            if prepared is not None and request.form.get("action") == "save":
                P.edit_post(s, campaign, post_id, changes, media_dir=ctx["folder"].media_dir,
                            base_dir=upload_dir(), now=ctx["now"]())
                record(s, g.user.name, "edited", post_id=post_id)
                saved = True
        except ValidationFailed as exc:
            prepared, problems, warnings, previews = None, exc.problems, [], []
        except UserError as exc:  # nothing left to publish, or being published right now
            return _page(values=values, upload=upload, refusal=exc.on_the_web(), **common), 409
    if saved:
        return _saved(upload, _("Post {id} changed.", id=post_id), post_id)
    return _page(values=values, problems=problems, warnings=warnings, previews=previews, upload=upload, **common)


@requires("change")
def check():
    """The live preview: the composer's fields checked as "Check and preview" does, answered as
    the part of the page that shows the problems and the previews."""
    from content_queue import posts as P

    from .pages import AS_LABELS

    ctx = context()
    editing = request.form.get("editing", type=int)
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        inp, upload = _form_input(request.form, {})
        try:
            if editing:
                post = P.get_post(s, campaign, editing)
                _prepared, problems, warnings, previews = _checked(s, campaign, inp, post, _changes(inp, upload))
            else:
                _prepared, problems, warnings, previews = _checked(s, campaign, inp)
        except UserError as exc:
            problems, warnings, previews = [exc], [], []
    return render_template("workspace/_checked.html", problems=problems, warnings=warnings, previews=previews,
                           as_labels={k: _(v) for k, v in AS_LABELS.items()})


# --- Nhập từ bảng tính: a CSV checked whole, shown as a table, imported all or nothing ----------

IMPORT_ID = re.compile(r"[0-9a-f]{24}")


def _import_rows(checked) -> list[dict]:
    rows = []
    for r in checked:
        text = r.row.get("text", "") or r.row.get("title", "") or r.row.get("media", "")
        rows.append({"line": r.line, "at": r.row.get("at", ""), "to": r.row.get("to", ""),
                     "text": " ".join(text.split())[:100],
                     "channels": [c.name for c in r.prepared.channels] if r.prepared else [],
                     "problems": [p.on_the_web() for p in r.problems],
                     "warnings": r.prepared.warnings if r.prepared else []})
    return rows


def import_page():
    """Nhập từ bảng tính: choose the CSV (and the pictures and videos its media column names);
    every row is checked, the table shows each bad row with its reason; nothing is imported until
    the whole file is right and the officer presses Import."""
    import shutil

    from content_queue import posts as P

    ctx = context()
    if request.method == "GET":
        return render_template("workspace/import.html", nav="posts", rows=None, columns=P.CSV_COLUMNS)
    if not may(g.user, "change"):
        abort(403)
    import_id = request.form.get("import", "")
    if IMPORT_ID.fullmatch(import_id or "") and (upload_dir() / f"import-{import_id}").is_dir():
        folder = upload_dir() / f"import-{import_id}"
        name = (folder / ".name").read_text(encoding="utf-8")
    else:
        sheet = request.files.get("csv")
        if sheet is None or not sheet.filename:
            return render_template("workspace/import.html", nav="posts", rows=None, columns=P.CSV_COLUMNS,
                                   refusal=_("Choose the CSV file first.")), 400
        import_id = secrets.token_hex(12)
        sweep(upload_dir())
        folder = upload_dir() / f"import-{import_id}"
        folder.mkdir(parents=True)
        name = file_name(sheet.filename) or "posts.csv"
        (folder / ".name").write_text(name, encoding="utf-8")
        sheet.save(folder / ".posts.csv")
        for f in request.files.getlist("media"):
            own = file_name(f.filename)
            if own and not own.startswith("."):
                f.save(folder / own)
    sheet_path = folder / ".posts.csv"
    refusal, rows, imported = None, None, None
    try:
        with ctx["sessions"]() as s:
            campaign = ctx["campaign"](s)
            if request.form.get("action") == "import":
                try:
                    posts, _warnings = P.import_csv(s, campaign, sheet_path, media_dir=ctx["folder"].media_dir,
                                                    now=ctx["now"](), base_dir=folder, name=name, confined=True)
                    for post in posts:
                        record(s, g.user.name, "created", post_id=post.id, detail=name)
                    imported = [p.id for p in posts]
                except ValidationFailed:
                    pass  # something changed since the check (a time passed): the table says what
            if imported is None:
                rows = _import_rows(P.check_csv(s, campaign, sheet_path, now=ctx["now"](), base_dir=folder,
                                                name=name, confined=True))
    except UserError as exc:  # not UTF-8, unknown columns, no rows: the file as a whole
        refusal = exc.on_the_web()
    if imported is not None:
        shutil.rmtree(folder, ignore_errors=True)
        say_done(_("Imported {count} posts from {name}.", count=len(imported), name=name))
        return redirect(url_for("posts"))
    if refusal is not None:
        shutil.rmtree(folder, ignore_errors=True)
        return render_template("workspace/import.html", nav="posts", rows=None, columns=P.CSV_COLUMNS,
                               refusal=refusal), 400
    bad = sum(1 for r in rows if r["problems"])
    return render_template("workspace/import.html", nav="posts", rows=rows, bad=bad, name=name, import_id=import_id,
                           columns=P.CSV_COLUMNS)
