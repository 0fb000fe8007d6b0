"""`loa recap`: cut the approved clips into a recap video, and queue it."""
from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime
from pathlib import Path

import click

from .app import App, emit_json, pass_app
from .post import tiktok_options, with_tiktok
from .language import LoaGroup
from content_queue.i18n import _

X264_PRESETS = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]


@click.group(cls=LoaGroup)
def recap() -> None:
    """The recap: a minute of everyone's best moments, captioned in Vietnamese."""


@recap.command("render")
@click.option("--format", "fmt", type=click.Choice(["vertical", "feed", "square", "landscape"]), default="vertical",
              show_default=True, help="vertical 1080x1920 (TikTok, Reels, Zalo); feed 1080x1350 (4:5, a video on the "
                                      "Facebook Page's feed, see `loa recap publish --feed`); square 1080x1080; "
                                      "landscape 1920x1080.")
@click.option("--seconds", type=float, default=60, show_default=True, help="Length of the recap.")
@click.option("--per-clip", type=float, default=3, show_default=True, help="Seconds taken from each clip.")
@click.option("--clips", "clip_ids", help="Only these clips, comma separated, e.g. 3,5,8.")
@click.option("--order", type=click.Choice(["school", "time", "given"]), default="school", show_default=True,
              help="school: a fair spread across schools; time: as received; given: as listed in --clips.")
@click.option("--music", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Background music, ducked under speech.")
@click.option("--logo", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="A logo (PNG) in a corner.")
@click.option("--fill", type=click.Choice(["color", "blur"]), default="color", show_default=True,
              help="Around a clip of another shape (landscape in a vertical recap): the campaign's colour, or a "
                   "blurred copy of the clip.")
@click.option("--outro", "outro_line", default="",
              help="The outro's line under the hashtags (default: \"Need help? Call the commune police or the 111 "
                   "hotline now.\", in the campaign's language).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the MP4.")
@click.option("--preset", type=click.Choice(X264_PRESETS), default="veryfast", show_default=True,
              help="x264 preset (slower = smaller file, longer render).")
@click.option("--crf", type=click.IntRange(15, 35), default=23, show_default=True, help="x264 quality (lower = better).")
@click.option("--json", "as_json", is_flag=True, help="Print the recap (id, file, length, clips) as JSON.")
@pass_app
def render_(app: App, fmt, seconds, per_clip, clip_ids, order, music, logo, fill, outro_line, out, preset, crf,
            as_json) -> None:
    """Render the recap from approved, consented clips, with a progress bar. Ctrl-C cancels
    cleanly: temporary files and ffmpeg processes are removed.

    \b
    Examples:
      loa recap render
      loa recap render --format feed --out recaps/recap-feed.mp4
      loa recap render --format square --seconds 45 --clips 3,5,8,13 --order given
      loa recap render --fill blur --logo logo-cong-an-xa.png --music nhac-nen.mp3
    """
    from recap.service import RecapSettings, make_recap

    ids = [int(x) for x in clip_ids.split(",") if x.strip()] if clip_ids else None
    with app.session() as s:
        campaign_id = app.campaign(s).id
    out = out or app.folder.root / "recaps" / f"recap-{datetime.now():%Y%m%d-%H%M%S}-{fmt}.mp4"
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *a: cancel.set())
    try:
        with click.progressbar(length=1000, label=_("Rendering the recap"), file=sys.stderr) as bar:
            state = {"done": 0}

            def progress(fraction: float) -> None:
                step = int(fraction * 1000) - state["done"]
                if step > 0:
                    bar.update(step)
                    state["done"] += step

            recap_id = make_recap(app.folder.sessions, campaign_id, app.folder.media_dir, out,
                                  RecapSettings(fmt=fmt, seconds=seconds, per_clip=per_clip, clip_ids=ids, order=order,
                                                music=music, preset=preset, crf=crf, outro_line=outro_line, logo=logo,
                                                fill=fill),
                                  progress=progress, cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
    if as_json:
        from content_queue.models import Recap

        with app.session() as s:
            r = s.get(Recap, recap_id)
            emit_json({"id": r.id, "file": str(out), "format": fmt, "duration": (r.settings or {}).get("duration"),
                       "clips": (r.clip_ids or {}).get("ids", [])})
        return
    click.echo(_("Recap {recap_id} written to {out}", recap_id=recap_id, out=out))
    click.echo(_("Queue it with: loa recap publish {out} --at \"YYYY-MM-DD HH:MM\" --to all", out=out))


@recap.command("publish")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--at", "at", help='When, in the campaign\'s time zone, e.g. "2025-11-30 19:00".')
@click.option("--now", is_flag=True, help="As soon as `loa run` sees it.")
@click.option("--to", required=True, help="Platforms and/or channel names: facebook,zalo,tiktok or all.")
@click.option("--text", help="The caption (default: the campaign's name and message, with its hashtags).")
@click.option("--json", "as_json", is_flag=True, help="Print the queued post ids as JSON.")
@click.option("--feed", "feed", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Also post this cut (`loa recap render --format feed`) as a video on the Facebook Page's feed, "
                   "besides the vertical Reel.")
@tiktok_options
@pass_app
def publish(app: App, file: Path, at, now, to, text, as_json, feed, **tiktok) -> None:
    """Queue a recap like any post: the vertical cut goes to TikTok, to Facebook as a Reel and to
    Zalo (as a copy under its 50 MB limit when needed); with --feed, Facebook also gets the 4:5
    cut as a video on the Page's feed.

    \b
    Examples:
      loa recap publish recaps/recap-20251130-vertical.mp4 --at "2025-11-30 19:00" --to all
      loa recap publish recaps/recap.mp4 --feed recaps/recap-feed.mp4 --now --to all \\
          --tiktok-privacy PUBLIC_TO_EVERYONE --tiktok-allow comment --tiktok-music-ok
    """
    from recap.service import publish_recap

    with app.session() as s:
        ids = publish_recap(s, app.campaign(s), file, at=at, now_flag=now, to=to, text=text,
                            media_dir=app.folder.media_dir, now=app.now(), feed=feed,
                            variants=with_tiktok({}, tiktok))
    if as_json:
        emit_json({"posts": ids})
        return
    click.echo(_("Queued as post(s) {names}; `loa post show ID` shows each.", names=', '.join(map(str, ids))))
