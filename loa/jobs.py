"""Jobs: long work done off the request, so that a page never waits for it and the server stays
responsive: a recap's render, a folder of clips imported.

A page submits a job (a row in ``jobs``); the :class:`JobRunner` thread of `loa serve` runs each in
a process of its own (``python -m loa.jobs ID``: a render's decoding never holds the server's
interpreter, and a crash there cannot take the server down). That process writes its progress and
a heartbeat to the row, notices a cancel asked for from the page, and ends the row done (with its
result), failed (with its reason) or cancelled. A job whose process died without saying so is
marked failed with that reason, by the runner or when a page reads it: never running forever.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from content_queue.errors import UserError
from content_queue.i18n import N_, _

log = logging.getLogger("loa.jobs")
STALE_SECONDS = 60  # a running job silent this long has died
BEAT_SECONDS = 0.5  # progress is written at most this often
STATE_LABELS = {"queued": N_("waiting to start"), "running": N_("running"), "done": N_("done"),
                "failed": N_("failed"), "cancelled": N_("cancelled")}
KIND_LABELS = {"recap": N_("recap render"), "clips_import": N_("clips import")}
FINISHED = ("done", "failed", "cancelled")


def now() -> datetime:
    return datetime.now(timezone.utc)


def state_label(code: str) -> str:
    return _(STATE_LABELS.get(code, code))


def kind_label(code: str) -> str:
    return _(KIND_LABELS.get(code, code))


def submit(s, campaign, kind: str, params: dict[str, Any], *, by: str):
    from content_queue.models import Job

    if kind not in HANDLERS:
        raise ValueError(kind)
    job = Job(campaign_id=campaign.id, kind=kind, params=params, created_by=by, result={}, status="queued")
    s.add(job)
    s.flush()
    return job


def reap(s, *, at: datetime | None = None) -> int:
    """Mark failed every running job whose process stopped saying it is alive."""
    from sqlalchemy import select

    from content_queue.models import Job

    at = at or now()
    n = 0
    for job in s.scalars(select(Job).where(Job.status == "running")):
        beat = job.heartbeat_at or job.started_at
        if beat is None or at - beat > timedelta(seconds=STALE_SECONDS):
            job.status, job.finished_at = "failed", at
            job.error = job.error or _("The work stopped without finishing (the server or its process was stopped); "
                                       "start it again.")
            n += 1
    return n


def cancel(s, campaign, job_id: int):
    from content_queue.models import Job

    job = s.get(Job, job_id)
    if job is None or job.campaign_id != campaign.id:
        raise UserError(_("No job {id}.", id=job_id))
    if job.status in FINISHED:
        raise UserError(_("Job {id} has already ended ({state}).", id=job_id, state=state_label(job.status)))
    if job.status == "queued":
        job.status, job.finished_at, job.error = "cancelled", now(), _("cancelled before it started")
    else:
        job.cancel_requested = True
    return job


def describe(job, show) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "kind_label": kind_label(job.kind), "state": job.status,
            "state_label": state_label(job.status), "progress": round(job.progress or 0.0, 3),
            "percent": int(round((job.progress or 0.0) * 100)), "error": job.error or None,
            "result": job.result or {}, "created_by": job.created_by, "created": show(job.created_at),
            "finished": show(job.finished_at) if job.finished_at else None,
            "cancelling": bool(job.cancel_requested) and job.status == "running"}


# --- the job's own process -------------------------------------------------------------------

class Reporter:
    """What a running job's handler calls: ``progress(fraction)`` (written at most twice a
    second, with the heartbeat), and ``cancel``, an Event set when the page asks to stop."""

    def __init__(self, sessions, job_id: int) -> None:
        self.sessions, self.job_id = sessions, job_id
        self.cancel = threading.Event()
        self._last = 0.0
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._beating, daemon=True)
        self._beat.start()

    def _write(self, fraction: float | None) -> None:
        from content_queue.models import Job

        with self.sessions.begin() as s:
            job = s.get(Job, self.job_id)
            if fraction is not None:
                job.progress = max(0.0, min(1.0, fraction))
            job.heartbeat_at = now()
            if job.cancel_requested:
                self.cancel.set()

    def _beating(self) -> None:  # alive even while the handler sits in one long step
        while not self._stop.wait(5.0):
            try:
                self._write(None)
            except Exception:  # noqa: BLE001 - a missed beat is not the job's failure
                log.exception("job %s: heartbeat not written", self.job_id)

    def progress(self, fraction: float) -> None:
        if time.monotonic() - self._last >= BEAT_SECONDS or fraction >= 1.0:
            self._last = time.monotonic()
            self._write(fraction)

    def close(self) -> None:
        self._stop.set()


def run(folder, job_id: int) -> str:
    """Run job ``job_id`` here and now (in the job's own process); returns its final state."""
    from content_queue import i18n
    from content_queue.models import Campaign, Job

    with folder.sessions.begin() as s:
        job = s.get(Job, job_id)
        if job is None or job.status not in ("queued", "running"):
            return job.status if job is not None else "missing"
        job.status, job.started_at, job.heartbeat_at, job.pid = "running", now(), now(), os.getpid()
        kind, params = job.kind, dict(job.params or {})
        campaign_id = job.campaign_id
        from .settings import Settings

        i18n.set_language(i18n.choose(Settings.read().lang, s.get(Campaign, campaign_id).language))
    reporter = Reporter(folder.sessions, job_id)
    state, result, error = "done", {}, ""
    try:
        result = HANDLERS[kind](folder, campaign_id, params, reporter) or {}
        if reporter.cancel.is_set():
            state = "cancelled"
    except Cancelled:
        state, error = "cancelled", _("cancelled; nothing was kept")
    except UserError as exc:
        state, error = ("cancelled" if reporter.cancel.is_set() else "failed"), exc.on_the_web()
    except Exception as exc:  # noqa: BLE001 - the page says it failed and why, the log has the rest
        log.exception("job %s (%s) failed", job_id, kind)
        reason = f"{type(exc).__name__}: {exc}"
        state, error = "failed", _("It failed: {reason}", reason=reason)
    finally:
        reporter.close()
    with folder.sessions.begin() as s:
        job = s.get(Job, job_id)
        job.status, job.result, job.error, job.finished_at = state, result, error, now()
        if state == "done":
            job.progress = 1.0
    return state


class Cancelled(Exception):
    pass


# --- the handlers ----------------------------------------------------------------------------

def _recap(folder, campaign_id: int, p: dict[str, Any], r: Reporter) -> dict[str, Any]:
    from recap.service import RecapSettings, make_recap

    out = folder.root / "recaps" / f"recap-{datetime.now():%Y%m%d-%H%M%S}-{p.get('fmt', 'vertical')}.mp4"
    upload = folder.root / "uploads" / "workspace"
    settings = RecapSettings(
        fmt=p.get("fmt", "vertical"), seconds=float(p.get("seconds", 60)), per_clip=float(p.get("per_clip", 3)),
        clip_ids=p.get("clip_ids") or None, order=p.get("order", "given" if p.get("clip_ids") else "school"),
        clip_seconds={int(k): float(v) for k, v in (p.get("clip_seconds") or {}).items()} or None,
        music=upload / p["music"] if p.get("music") else None, logo=upload / p["logo"] if p.get("logo") else None,
        fill=p.get("fill", "color"), outro_line=p.get("outro_line", ""), intro_title=p.get("intro_title", ""),
        intro_text=p.get("intro_text", ""), preset=p.get("preset", "veryfast"))
    recap_id = make_recap(folder.sessions, campaign_id, folder.media_dir, out, settings, progress=r.progress,
                          cancel=r.cancel)
    return {"recap": recap_id, "file": str(out)}


def _clips_import(folder, campaign_id: int, p: dict[str, Any], r: Reporter) -> dict[str, Any]:
    from content_queue import clips as C
    from content_queue.models import Campaign

    source = Path(p["folder"])
    with folder.sessions() as s:
        guardian_age = s.get(Campaign, campaign_id).guardian_age
    files = C.read_manifest(source / p.get("manifest", "manifest.csv"), source, guardian_age,
                            shown=p.get("name") or "manifest.csv", folder_shown=_("the videos sent with it"))
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        r.progress(done[0] / max(1, len(files)))
        if r.cancel.is_set():
            raise Cancelled()

    try:
        with folder.sessions.begin() as s:
            made = C.add_clips(s, s.get(Campaign, campaign_id), files, media_dir=folder.media_dir, progress=step)
            return {"clips": [c.id for c in made], "rejected": sum(1 for c in made if c.status.value == "rejected")}
    finally:  # the files the workspace received for this import are in the store now (or refused)
        uploads = (folder.root / "uploads" / "workspace").resolve()
        if uploads in source.resolve().parents:
            import shutil

            shutil.rmtree(source, ignore_errors=True)


HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {"recap": _recap, "clips_import": _clips_import}


# --- the runner thread of `loa serve` ---------------------------------------------------------

class JobRunner:
    """Runs the queued jobs one at a time, each in its own process, until stopped."""

    def __init__(self, folder, *, poll: float = 1.0, env: dict[str, str] | None = None) -> None:
        self.folder, self.poll = folder, poll
        self.env = env
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.current: subprocess.Popen | None = None

    def start(self) -> "JobRunner":
        self._thread = threading.Thread(target=self._loop, name="loa-jobs", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        proc = self.current
        if proc is not None and proc.poll() is None:
            proc.terminate()
        if self._thread is not None:
            self._thread.join(timeout)

    def next_job(self) -> int | None:
        from sqlalchemy import select

        from content_queue.models import Job

        with self.folder.sessions.begin() as s:
            reap(s)
            return s.scalar(select(Job.id).where(Job.status == "queued").order_by(Job.id).limit(1))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job_id = self.next_job()
            except Exception:  # noqa: BLE001 - the database is away for a moment: try again
                log.exception("jobs: cannot read the queue")
                job_id = None
            if job_id is None:
                self._stop.wait(self.poll)
                continue
            self.run_in_process(job_id)

    def run_in_process(self, job_id: int) -> None:
        from .settings import child_environment

        env = child_environment(self.folder.root, self.env)
        cmd = [sys.executable, "-m", "loa.jobs", str(job_id)]
        self.current = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        cwd=str(self.folder.root))
        _out, err = self.current.communicate()
        code, self.current = self.current.returncode, None
        from content_queue import i18n
        from content_queue.models import Campaign, Job

        from .settings import Settings

        with self.folder.sessions.begin() as s:  # a process that died without a word: say so
            job = s.get(Job, job_id)
            if job is not None and job.status in ("queued", "running"):
                tail = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {code}"]
                job.status, job.finished_at = "failed", now()
                with i18n.use(i18n.choose(Settings.read().lang, s.get(Campaign, job.campaign_id).language)):
                    job.error = _("The work stopped without finishing: {reason}", reason=tail[0][:300])


def main(argv: list[str] | None = None) -> int:
    from content_queue.private import owner_only

    from . import settings

    owner_only()  # a render's files are the officer's alone, as the rest of the folder
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING)
    folder = settings.find(None)
    state = run(folder, int(args[0]))
    return 0 if state in FINISHED else 1


if __name__ == "__main__":
    sys.exit(main())
