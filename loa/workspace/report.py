"""Báo cáo: the campaign's report in the workspace (the same data and charts as `loa report`),
and its downloads as HTML (one self-contained file), CSV or JSON."""
from __future__ import annotations

from flask import Response, abort, render_template

from .common import context

TYPES = {"html": "text/html", "csv": "text/csv", "json": "application/json"}



def register(app) -> None:
    app.add_url_rule("/report", "report", report_page)
    app.add_url_rule("/report.<fmt>", "report_file", report_file)


def _data(*, for_the_page: bool = False):
    """The report's data; times as `loa report` writes them in the files, in Vietnamese order
    (20/10/2025 19:00) on the page."""
    from content_queue.report import collect
    from content_queue.timeutil import local, show

    ctx = context()
    with ctx["sessions"]() as s:
        campaign = ctx["campaign"](s)
        tz = campaign.timezone
        when = (lambda dt: local(dt, tz) if dt else "-") if for_the_page else (lambda dt: show(dt, tz))
        return collect(s, campaign, ctx["now"](), when)


def report_page():
    from ..report import html_context

    return render_template("workspace/report.html", nav="report",
                           **html_context(_data(for_the_page=True), context()["folder"].media_dir))


def report_file(fmt: str):
    from ..report import render_report

    if fmt not in TYPES:
        abort(404)
    text = render_report(_data(), fmt, context()["folder"].media_dir)
    return Response(text, mimetype=TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="bao-cao.{fmt}"', "Content-Type": f"{TYPES[fmt]}; charset=utf-8"})
