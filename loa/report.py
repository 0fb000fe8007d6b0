"""`loa report`: what went out, in text, CSV, JSON or one self-contained HTML file (in the campaign's
language, no network needed: styles, charts and thumbnails are inside the file)."""
from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path
from typing import Any

from connectors import CONNECTORS
from content_queue.i18n import N_, _
from content_queue.report import REACH_METRICS, metric_label

STATE_COLOR = {"published": "#2e7d32", "failed": "#c62828", "missed": "#ef6c00", "needs_attention": "#ad1457",
               "unknown": "#ad1457", "scheduled": "#1565c0", "retry_wait": "#6a1b9a", "processing": "#00838f",
               "publishing": "#00838f", "cancelled": "#757575", "in_inbox": "#9e6a00"}
PLATFORM_LABEL = {p: c.label for p, c in CONNECTORS.items()}  # the names the officer reads
FORMAT_LABEL = {"vertical": N_("vertical 9:16"), "feed": N_("4:5 for the Facebook feed"), "square": N_("square"),
                "landscape": N_("landscape")}


def state_label(code: str) -> str:
    from content_queue.lifecycle import LABELS

    known = {s.value: text for s, text in LABELS.items()}
    return _(known[code]) if code in known else code


def _by_consent(table: dict[str, Any]) -> dict[str, Any]:
    """The clip figures by consent, keyed in the officer's words instead of the data's codes."""
    from content_queue.consent import consent_label

    return {consent_label(k): v for k, v in table.items()}


def _format(rc: dict[str, Any]) -> str:
    code = rc.get("format") or ""
    return _(FORMAT_LABEL[code]) if code in FORMAT_LABEL else (code or "?")


def _figure(value) -> str:
    return _("unavailable") if value is None else f"{value:.0f}"


def _numbers_line(numbers: dict[str, Any]) -> str:
    parts = []
    for m in REACH_METRICS:
        n = numbers["metrics"].get(m)
        if n is None:
            continue
        parts.append(f"{metric_label(m)} {_figure(n['value'])}" + (f" ({n['why']})" if n["value"] is None and n["why"]
                                                                     else ""))
    return "; ".join(parts) + " – " + _("read {time}", time=numbers["read"])


def purged_line(purged: dict[str, Any]) -> str:
    """What the keeping period erased, and when: the figures above were taken just before."""
    e = purged.get("erased") or {}
    return _("On {at}, as the privacy notice promises, loa erased what people sent: {clips} clips with their videos "
             "and pictures, {signatures} signatures and {uploads} unfinished uploads. These figures were counted "
             "just before.", at=purged["at"], clips=e.get("clips", 0), signatures=e.get("signatures", 0),
             uploads=e.get("uploads", 0))


def as_text(r: dict[str, Any]) -> str:
    t = r["totals"]
    c = r["clips"]
    lines = [_("CAMPAIGN REPORT: {name}", name=r["campaign"]["name"]), " ".join(r["campaign"]["hashtags"]),
             _("Made at {time} ({zone})", time=r["generated"], zone=r["campaign"]["timezone"]), "",
             _("Posts: {posts} posts, {deliveries} deliveries; published {published}, failed {failed}, waiting "
               "{waiting}, needs checking {needs_attention}.", posts=t["posts"], deliveries=t["deliveries"],
               published=t["published"], failed=t["failed"], waiting=t["waiting"],
               needs_attention=t["needs_attention"]),
             *([_("TikTok drafts in the inbox, not published until posted in the app: {count}.", count=t["in_inbox"])]
               if t.get("in_inbox") else []),
             _("Reach: {figures}.", figures="; ".join(f"{metric_label(m)} {_figure(r['reach']['total'][m])}"
                                                       for m in REACH_METRICS))]
    grown = r["reach"].get("over_time") or []
    if grown:
        lines.append(_("Views over time: {figures}.", figures="; ".join(f"{p['at']} {p['views']:.0f}"
                                                                         for p in grown[-10:])))
    for p in r["reach"]["top_posts"]:
        lines.append("  " + _("Most viewed: {title} ({views:.0f} views)", title=p["title"][:60], views=p["views"]))
    lines.append("")
    for ch in r["channels"]:
        lines.append(f"== {PLATFORM_LABEL[ch['platform']]}: {ch['name']} ({ch['account']})")
        for d in ch["deliveries"]:
            when = d["published"] if d["published"] != "-" else d["due"]
            lines.append(f"  [{state_label(d['state'])}] {when}  {d['title'][:60]}")
            if d["url"]:
                lines.append(f"      {d['url']}")
            if d.get("numbers"):
                lines.append("      " + _numbers_line(d["numbers"]))
            if d["reason"] and d["state"] != "published":
                lines.append("      " + _("why: {reason}", reason=d["reason"][:200]))
                if d["platform_message"]:
                    lines.append("      " + _("{platform} said: “{message}”", platform=PLATFORM_LABEL[ch["platform"]],
                                                message=d["platform_message"][:200]))
        lines.append("")
    lines.append(_("Challenge clips: received {received}, accepted {accepted}, rejected {rejected}, withdrawn "
                   "{withdrawn}; in a public recap: {in_public_recap}.",
                   received=c["received"], accepted=c["accepted"], rejected=c["rejected"], withdrawn=c["withdrawn"],
                   in_public_recap=c["in_public_recap"]))
    if r.get("purged"):
        lines.append("  " + purged_line(r["purged"]))
    for title, table in ((_("By school"), c["by_school"]), (_("By age"), c["by_age"]),
                         (_("By consent"), _by_consent(c["by_consent"]))):
        lines.append(f"  {title}: " + "; ".join(
            _("{name} {received} ({accepted} accepted)", name=k, received=v.get("received", 0),
              accepted=v.get("accepted", 0)) for k, v in table.items()))
    for q in r["quizzes"]:
        lines.append(_("Quiz #{quiz} and its answer #{answer}: {title}", quiz=q["quiz"], answer=q["answer"],
                       title=q["title"][:60]))
        for c in q["channels"]:
            lines.append("  " + _("{channel}: quiz {quiz}, answer {answer}", channel=c["channel"], quiz=c["quiz"] or "-",
                                  answer=c["answer"] or "-"))
    pl = r["pledges"]
    lines.append(_("The digital safety wall: {signed} signed, {approved} on the wall, {pending} awaiting approval. "
                   "Framed pictures downloaded: {frames}.", signed=pl["signed"], approved=pl["approved"],
                   pending=pl["pending"], frames=r["frame_downloads"]))
    if pl["by_school"]:
        lines.append("  " + _("By school") + ": " + "; ".join(f"{k} {v}" for k, v in pl["by_school"].items()))
    for rc in r["recaps"]:
        lines.append(_("Recap #{id} ({format}, {made}, {count} clips):",
                       id=rc["id"], format=_format(rc), made=rc["made"], count=len(rc["clips"])))
        for p in rc["published"]:
            lines.append(f"  {PLATFORM_LABEL[p['platform']]} {p['channel']}: {state_label(p['state'])} {p['url'] or ''}")
            if p.get("numbers"):
                lines.append("      " + _numbers_line(p["numbers"]))
        if any(v is not None for v in rc["reach"].values()):
            lines.append("  " + _("The recap's reach: {figures}.", figures="; ".join(
                f"{metric_label(m)} {_figure(rc['reach'][m])}" for m in REACH_METRICS)))
    if r["attention"]:
        lines += ["", _("TO DEAL WITH:")] + [f"  #{a['id']} {a['channel']} ({state_label(a['state'])}): {a['reason']}"
                                            for a in r["attention"]]
    return "\n".join(lines) + "\n"


def as_csv(r: dict[str, Any]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["channel", "platform", "delivery", "post", "title", "state", "due", "published", "url", "reason",
                *REACH_METRICS, "numbers_read"])
    for ch in r["channels"]:
        for d in ch["deliveries"]:
            metrics = (d.get("numbers") or {}).get("metrics") or {}
            # an unavailable number is an empty cell, never 0 (`--insights` gives each one's reason)
            figures = ["" if (metrics.get(m) or {}).get("value") is None else f"{metrics[m]['value']:g}"
                       for m in REACH_METRICS]
            w.writerow([ch["name"], ch["platform"], d["id"], d["post"], d["title"], d["state"], d["due"],
                        d["published"], d["url"] or "", d["reason"] or "", *figures,
                        (d.get("numbers") or {}).get("read", "")])
    return "\ufeff" + out.getvalue()  # BOM: Excel opens the Vietnamese text correctly


def readings_csv(rows: list[dict[str, Any]]) -> str:
    """Every reading of every published delivery (`loa report --format csv --insights`)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["read_at", "delivery", "post", "channel", "platform", "metric", "value", "unavailable_reason",
                "platform_metric"])
    for x in rows:
        w.writerow([x["read_at"], x["delivery"], x["post"], x["channel"], x["platform"], x["metric"],
                    "" if x["value"] is None else f"{x['value']:g}", x["reason"], x["source"]])
    return "\ufeff" + out.getvalue()


def _bars(title: str, data: dict[str, dict[str, int]], keys: list[tuple[str, str, str]]) -> dict[str, Any] | None:
    """A horizontal stacked bar chart's geometry (drawn as inline SVG by the template)."""
    rows = list(data.items())
    if not rows:
        return None
    width, bar_h, label_w = 640, 26, 200
    top = max((sum(v.get(k, 0) for k, *_rest in keys) for _label, v in rows), default=1) or 1
    out = []
    y = 10
    for label, v in rows:
        x, rects = label_w, []
        for key, _name, color in keys:
            n = v.get(key, 0)
            w = (width - label_w - 40) * n / top
            if n:
                rects.append({"x": round(x, 1), "w": round(w, 1), "color": color, "n": n})
            x += w
        out.append({"label": label, "y": y, "rects": rects, "total": sum(v.get(k, 0) for k, *_rest in keys),
                    "total_x": round(x + 4, 1)})
        y += bar_h + 8
    return {"title": title, "width": width, "height": 20 + len(rows) * (bar_h + 8), "bar_h": bar_h, "rows": out,
            "legend": [(name, color) for _key, name, color in keys]}


def _timeline(r: dict[str, Any]) -> dict[str, Any] | None:
    """Each channel's posts on one time axis: dots where they went out, coloured by outcome."""
    from datetime import datetime

    points = []
    for i, ch in enumerate(r["channels"]):
        for d in ch["deliveries"]:
            when = d["published"] if d["published"] != "-" else d["due"]
            try:
                points.append((i, datetime.strptime(when, "%Y-%m-%d %H:%M"), d))
            except ValueError:
                continue
    if not points:
        return None
    t0 = min(p[1] for p in points)
    t1 = max(p[1] for p in points)
    span = max((t1 - t0).total_seconds(), 60)
    width, label_w, row_h = 640, 150, 34
    return {
        "width": width, "label_w": label_w, "height": len(r["channels"]) * row_h + 40,
        "rows": [{"name": ch["name"], "y": 20 + i * row_h} for i, ch in enumerate(r["channels"])],
        "points": [{"x": round(label_w + (width - label_w - 20) * (t - t0).total_seconds() / span, 1),
                    "y": 20 + i * row_h, "color": STATE_COLOR.get(d["state"], "#999"),
                    "title": f"{d['title']} — {state_label(d['state'])} {t:%d/%m %H:%M}"}
                   for i, t, d in points],
        "start": f"{t0:%d/%m/%Y %H:%M}", "end": f"{t1:%d/%m/%Y %H:%M}"}


LINE_COLORS = ("#1565c0", "#ad1457", "#00838f", "#ef6c00")  # the platforms' lines, in their order


def _growth(r: dict[str, Any]) -> dict[str, Any] | None:
    """The views-over-time chart's geometry: the total and each platform as lines over the
    readings' days (or hours), drawn as inline SVG by the template."""
    series = r["reach"].get("over_time") or []
    if not series:
        return None
    width, height, left, bottom, top = 640, 220, 56, 30, 16
    from datetime import datetime

    peak = max(p["views"] for p in series) or 1
    times = [datetime.fromisoformat(p["at"]) for p in series]
    span = (times[-1] - times[0]).total_seconds()

    def x(i: int) -> float:  # in proportion to time, so that uneven readings are not evened out
        return round(left + (width - left - 16) * ((times[i] - times[0]).total_seconds() / span if span else 0.5), 1)

    def y(v: float) -> float:
        return round(top + (height - top - bottom) * (1 - v / peak), 1)

    platforms = sorted({k for p in series for k in p["by_platform"]})
    lines = [{"name": _("All"), "color": "#222", "width": 3,
              "points": " ".join(f"{x(i)},{y(p['views'])}" for i, p in enumerate(series))}]
    if len(platforms) > 1:
        lines += [{"name": PLATFORM_LABEL.get(pl, pl), "color": LINE_COLORS[k % len(LINE_COLORS)], "width": 2,
                   "points": " ".join(f"{x(i)},{y(p['by_platform'].get(pl, 0))}" for i, p in enumerate(series))}
                  for k, pl in enumerate(platforms)]
    return {"title": _("Views over time"), "width": width, "height": height, "left": left, "base": height - bottom,
            "lines": lines, "dots": [{"x": x(i), "y": y(p["views"]), "label": f"{p['at']}: {p['views']:.0f}"}
                                     for i, p in enumerate(series)],
            "ticks": [{"y": y(v), "label": f"{v:,.0f}".replace(",", ".")} for v in (0, peak / 2, peak)],
            "start": series[0]["at"], "end": series[-1]["at"]}


def _thumb(media_dir: Path, rel: str | None) -> str | None:
    """A clip's poster as a data: address, so that the report is one self-contained file."""
    if not rel or not (media_dir / rel).is_file():
        return None
    return "data:image/jpeg;base64," + base64.b64encode((media_dir / rel).read_bytes()).decode()


def as_html(r: dict[str, Any], media_dir: Path) -> str:
    from .templating import render

    return render("report.html", **html_context(r, media_dir))


def html_context(r: dict[str, Any], media_dir: Path) -> dict[str, Any]:
    """What the report's sections show (its charts, thumbnails, labels): for the self-contained
    file and for the workspace's page alike."""
    t, c = r["totals"], r["clips"]
    kpis = [(_("Posts"), t["posts"]), (_("Deliveries published"), t["published"]), (_("Failed"), t["failed"]),
            (_("Needs checking"), t["needs_attention"]),
            *([(_("TikTok drafts in the inbox (not published)"), t["in_inbox"])] if t.get("in_inbox") else []),
            (_("Clips received"), c["received"]),
            (_("Clips accepted"), c["accepted"])]
    state_keys = [(k, state_label(k), STATE_COLOR[k]) for k in ("published", "failed", "missed", "needs_attention",
                                                               "scheduled", "retry_wait", "processing", "in_inbox",
                                                               "cancelled")]
    clip_keys = [("accepted", _("Accepted"), "#2e7d32"), ("rejected", _("Rejected"), "#c62828"),
                 ("withdrawn", _("Withdrawn"), "#757575")]
    clip_charts = [_bars(_("By school"), c["by_school"], clip_keys), _bars(_("By age"), c["by_age"], clip_keys),
                   _bars(_("By consent"), _by_consent(c["by_consent"]), clip_keys)]
    return dict(r=r, kpis=kpis, timeline=_timeline(r), growth=_growth(r),
                by_channel=_bars(_("Deliveries by channel"), {ch["name"]: ch["counts"] for ch in r["channels"]},
                                 state_keys),
                clip_charts=[chart for chart in clip_charts if chart],
                thumbs={clip["id"]: _thumb(media_dir, clip["poster"]) for clip in c["list"]},
                purged=purged_line(r["purged"]) if r.get("purged") else "",
                platform=PLATFORM_LABEL, state=state_label, color=STATE_COLOR, recap_format=_format,
                reach_metrics=REACH_METRICS, metric_label=metric_label)


def render_report(data: dict[str, Any], fmt: str, media_dir: Path) -> str:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2)
    if fmt == "csv":
        return as_csv(data)
    if fmt == "html":
        return as_html(data, media_dir)
    return as_text(data)
