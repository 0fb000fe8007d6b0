"""`loa report`: what went out, in text, CSV, JSON or one self-contained HTML file (Vietnamese,
no network needed: styles, charts and thumbnails are inside the file)."""
from __future__ import annotations

import base64
import csv
import html
import io
import json
from pathlib import Path
from typing import Any

from connectors import CONNECTORS

STATE_VI = {"published": "Đã đăng", "failed": "Thất bại", "scheduled": "Chờ đăng", "retry_wait": "Chờ thử lại",
            "processing": "Đang xử lý", "publishing": "Đang đăng", "unknown": "Chưa rõ", "missed": "Lỡ giờ",
            "needs_attention": "Cần kiểm tra", "cancelled": "Đã huỷ"}
STATE_COLOR = {"published": "#2e7d32", "failed": "#c62828", "missed": "#ef6c00", "needs_attention": "#ad1457",
               "unknown": "#ad1457", "scheduled": "#1565c0", "retry_wait": "#6a1b9a", "processing": "#00838f",
               "publishing": "#00838f", "cancelled": "#757575"}
PLATFORM_VI = {p: c.label for p, c in CONNECTORS.items()}  # the names the officer reads


CONSENT_VI = {"self": "tự đồng ý", "guardian": "phụ huynh đồng ý", "none": "chưa có đồng ý"}


def _consent_vi(table: dict[str, Any]) -> dict[str, Any]:
    """The clip figures by consent, keyed in Vietnamese instead of the data's codes."""
    return {CONSENT_VI.get(k, k): v for k, v in table.items()}


FORMAT_VI = {"vertical": "dọc 9:16", "feed": "4:5 cho bảng tin Facebook", "square": "vuông", "landscape": "ngang"}


def _format_vi(rc: dict[str, Any]) -> str:
    return FORMAT_VI.get(rc.get("format") or "", rc.get("format") or "?")


def as_text(r: dict[str, Any]) -> str:
    t = r["totals"]
    c = r["clips"]
    lines = [f"BÁO CÁO CHIẾN DỊCH: {r['campaign']['name']}", f"{' '.join(r['campaign']['hashtags'])}",
             f"Lập lúc {r['generated']} ({r['campaign']['timezone']})", "",
             f"Bài đăng: {t['posts']} bài, {t['deliveries']} lượt đăng; đã đăng {t['published']}, thất bại {t['failed']}, "
             f"đang chờ {t['waiting']}, cần kiểm tra {t['needs_attention']}.", ""]
    for ch in r["channels"]:
        lines.append(f"== {PLATFORM_VI[ch['platform']]}: {ch['name']} ({ch['account']})")
        for d in ch["deliveries"]:
            when = d["published"] if d["published"] != "-" else d["due"]
            lines.append(f"  [{STATE_VI.get(d['state'], d['state'])}] {when}  {d['title'][:60]}")
            if d["url"]:
                lines.append(f"      {d['url']}")
            if d["reason"] and d["state"] != "published":
                lines.append(f"      lý do: {d['reason'][:200]}")
        lines.append("")
    lines.append(f"Video hưởng ứng: nhận {c['received']}, hợp lệ {c['accepted']}, bị loại {c['rejected']}, "
                 f"rút lại {c['withdrawn']}; được đưa vào video tóm tắt công khai: {c['in_public_recap']}.")
    for title, table in (("Theo trường", c["by_school"]), ("Theo độ tuổi", c["by_age"]),
                         ("Theo sự đồng ý", _consent_vi(c["by_consent"]))):
        lines.append(f"  {title}: " + "; ".join(f"{k} {v.get('received', 0)} (hợp lệ {v.get('accepted', 0)})"
                                               for k, v in table.items()))
    for rc in r["recaps"]:
        lines.append(f"Video tóm tắt #{rc['id']} ({_format_vi(rc)}, {rc['made']}, {len(rc['clips'])} clip):")
        for p in rc["published"]:
            lines.append(f"  {PLATFORM_VI[p['platform']]} {p['channel']}: {STATE_VI.get(p['state'], p['state'])} {p['url'] or ''}")
    if r["attention"]:
        lines += ["", "CẦN XỬ LÝ:"] + [f"  #{a['id']} {a['channel']} ({STATE_VI.get(a['state'])}): {a['reason']}"
                                       for a in r["attention"]]
    return "\n".join(lines) + "\n"


def as_csv(r: dict[str, Any]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["channel", "platform", "delivery", "post", "title", "state", "due", "published", "url", "reason"])
    for ch in r["channels"]:
        for d in ch["deliveries"]:
            w.writerow([ch["name"], ch["platform"], d["id"], d["post"], d["title"], d["state"], d["due"],
                        d["published"], d["url"] or "", d["reason"] or ""])
    return "\ufeff" + out.getvalue()  # BOM: Excel opens the Vietnamese text correctly


def _bars(title: str, data: dict[str, dict[str, int]], keys: list[tuple[str, str, str]]) -> str:
    """A horizontal stacked bar chart as inline SVG."""
    rows = list(data.items())
    if not rows:
        return ""
    width, bar_h, label_w = 640, 26, 200
    top = max((sum(v.get(k, 0) for k, _, _ in keys) for _, v in rows), default=1) or 1
    h = 20 + len(rows) * (bar_h + 8)
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" viewBox="0 0 {width} {h}" width="100%">']
    y = 10
    for label, v in rows:
        parts.append(f'<text x="0" y="{y + 18}" font-size="13">{html.escape(label)}</text>')
        x = label_w
        for key, _, color in keys:
            n = v.get(key, 0)
            w = (width - label_w - 40) * n / top
            if n:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"><title>'
                             f'{html.escape(label)}: {n}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 18}" font-size="12">{sum(v.get(k, 0) for k, _, _ in keys)}</text>')
        y += bar_h + 8
    parts.append("</svg>")
    legend = "".join(f'<span><i style="background:{color}"></i>{html.escape(name)}</span>' for _, name, color in keys)
    return (f"<figure><figcaption>{html.escape(title)}</figcaption>{''.join(parts)}"
            f'<div class="legend">{legend}</div></figure>')


def _timeline(r: dict[str, Any]) -> str:
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
        return "<p>Chưa có bài đăng nào.</p>"
    t0 = min(p[1] for p in points)
    t1 = max(p[1] for p in points)
    span = max((t1 - t0).total_seconds(), 60)
    width, label_w, row_h = 640, 150, 34
    h = len(r["channels"]) * row_h + 40
    parts = [f'<svg role="img" aria-label="Dòng thời gian" viewBox="0 0 {width} {h}" width="100%">']
    for i, ch in enumerate(r["channels"]):
        y = 20 + i * row_h
        parts.append(f'<text x="0" y="{y + 5}" font-size="12">{html.escape(ch["name"])}</text>'
                     f'<line x1="{label_w}" y1="{y}" x2="{width - 10}" y2="{y}" stroke="#ccc"/>')
    for i, t, d in points:
        x = label_w + (width - label_w - 20) * (t - t0).total_seconds() / span
        y = 20 + i * row_h
        parts.append(f'<circle cx="{x:.1f}" cy="{y}" r="6" fill="{STATE_COLOR.get(d["state"], "#999")}">'
                     f'<title>{html.escape(d["title"])} — {STATE_VI.get(d["state"], d["state"])} {t:%d/%m %H:%M}'
                     f'</title></circle>')
    parts.append(f'<text x="{label_w}" y="{h - 6}" font-size="11">{t0:%d/%m/%Y %H:%M}</text>'
                 f'<text x="{width - 10}" y="{h - 6}" font-size="11" text-anchor="end">{t1:%d/%m/%Y %H:%M}</text></svg>')
    return "".join(parts)


def _thumb(media_dir: Path, rel: str | None) -> str:
    if not rel:
        return '<div class="nothumb">—</div>'
    path = media_dir / rel
    if not path.is_file():
        return '<div class="nothumb">—</div>'
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="" src="data:image/jpeg;base64,{data}">'


CSS = """
body{font-family:Roboto,"Segoe UI",Arial,sans-serif;margin:0;color:#1b1b1b;background:#f5f7fa}
header{background:#123456;color:#fff;padding:24px 32px}header h1{margin:0 0 6px;font-size:26px}
header .tags{color:#ffc400}main{max-width:980px;margin:0 auto;padding:16px 24px 48px}
section{background:#fff;border-radius:10px;padding:18px 22px;margin:18px 0;box-shadow:0 1px 3px #0002}
h2{margin-top:0;color:#123456;font-size:20px}.kpis{display:flex;flex-wrap:wrap;gap:12px}
.kpi{flex:1 1 140px;background:#eef3f9;border-radius:8px;padding:10px 14px}.kpi b{display:block;font-size:28px}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e7ee;vertical-align:top}
.st{display:inline-block;border-radius:10px;padding:1px 8px;color:#fff;font-size:12px;white-space:nowrap}
.clips{display:grid;grid-template-columns:repeat(auto-fill,minmax(120px,1fr));gap:12px}
.clip{font-size:12px}.clip img,.nothumb{width:100%;aspect-ratio:9/16;object-fit:cover;border-radius:6px;background:#dde}
.nothumb{display:flex;align-items:center;justify-content:center;color:#889}
figure{margin:10px 0}figcaption{font-weight:bold;margin-bottom:4px}a{color:#1565c0;word-break:break-all}
.reason{color:#8a1c1c;font-size:12px}.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}footer{color:#667;font-size:12px;text-align:center}
"""


def as_html(r: dict[str, Any], media_dir: Path) -> str:
    e = html.escape
    t, c = r["totals"], r["clips"]
    kpis = [("Bài đăng", t["posts"]), ("Lượt đã đăng", t["published"]), ("Thất bại", t["failed"]),
            ("Cần kiểm tra", t["needs_attention"]), ("Video nhận được", c["received"]),
            ("Video hợp lệ", c["accepted"])]
    chan = {ch["name"]: ch["counts"] for ch in r["channels"]}
    state_keys = [(k, STATE_VI[k], STATE_COLOR[k]) for k in ("published", "failed", "missed", "needs_attention",
                                                             "scheduled", "retry_wait", "processing", "cancelled")]
    clip_keys = [("accepted", "Hợp lệ", "#2e7d32"), ("rejected", "Bị loại", "#c62828"), ("withdrawn", "Rút lại", "#757575")]
    out = [f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" '
           f'content="width=device-width,initial-scale=1"><title>Báo cáo: {e(r["campaign"]["name"])}</title>'
           f"<style>{CSS}</style></head><body>",
           f'<header><h1>Báo cáo chiến dịch “{e(r["campaign"]["name"])}”</h1>'
           f'<div class="tags">{e(" ".join(r["campaign"]["hashtags"]))}</div>'
           f'<div>Lập lúc {e(r["generated"])} (giờ {e(r["campaign"]["timezone"])})</div></header><main>',
           '<section id="tong-quan"><h2>Tổng quan</h2><div class="kpis">'
           + "".join(f'<div class="kpi"><b>{v}</b>{e(k)}</div>' for k, v in kpis) + "</div>",
           _bars("Lượt đăng theo kênh", chan, state_keys), "</section>",
           f'<section id="dong-thoi-gian"><h2>Dòng thời gian</h2>{_timeline(r)}</section>']
    out.append('<section id="kenh"><h2>Bài đăng theo kênh</h2>')
    for ch in r["channels"]:
        out.append(f'<h3>{e(PLATFORM_VI[ch["platform"]])}: {e(ch["name"])}</h3><table><tr><th>Bài</th><th>Hẹn giờ</th>'
                   "<th>Đăng lúc</th><th>Trạng thái</th><th>Liên kết / lý do</th></tr>")
        for d in ch["deliveries"]:
            link = f'<a href="{e(d["url"])}">{e(d["url"])}</a>' if d["url"] else ""
            reason = f'<div class="reason">{e(d["reason"])}</div>' if d["reason"] and d["state"] != "published" else ""
            out.append(f'<tr><td>{e(d["title"])}</td><td>{e(d["due"])}</td><td>{e(d["published"])}</td>'
                       f'<td><span class="st" style="background:{STATE_COLOR.get(d["state"], "#999")}">'
                       f'{e(STATE_VI.get(d["state"], d["state"]))}</span></td><td>{link}{reason}</td></tr>')
        out.append("</table>")
    out.append("</section>")
    if r["attention"]:
        out.append('<section id="can-xu-ly"><h2>Cần xử lý</h2><table><tr><th>#</th><th>Kênh</th><th>Bài</th>'
                   "<th>Lý do</th></tr>" + "".join(
                       f'<tr><td>{a["id"]}</td><td>{e(a["channel"])}</td><td>{e(a["title"])}</td>'
                       f'<td class="reason">{e(a["reason"] or "")}</td></tr>' for a in r["attention"]) + "</table></section>")
    out.append(f'<section id="video-huong-ung"><h2>Video hưởng ứng</h2><p>Nhận {c["received"]}, hợp lệ {c["accepted"]}, '
               f'bị loại {c["rejected"]}, rút lại {c["withdrawn"]}; được đưa vào video tóm tắt công khai: '
               f'{c["in_public_recap"]}.</p>'
               + _bars("Theo trường", c["by_school"], clip_keys) + _bars("Theo độ tuổi", c["by_age"], clip_keys)
               + _bars("Theo sự đồng ý", _consent_vi(c["by_consent"]), clip_keys) + '<div class="clips">')
    for clip in c["list"]:
        label = e(clip["shown_as"]) + (f' — {e(clip["school"])}' if clip["school"] else "")
        why = f'<div class="reason">{e(clip["reason"])}</div>' if clip["status"] in ("rejected", "withdrawn") else ""
        out.append(f'<div class="clip">{_thumb(media_dir, clip["poster"])}<div>#{clip["id"]} {label}</div>{why}</div>')
    out.append("</div></section>")
    out.append('<section id="video-tom-tat"><h2>Video tóm tắt</h2>')
    if not r["recaps"]:
        out.append("<p>Chưa có video tóm tắt.</p>")
    for rc in r["recaps"]:
        seconds = f'{rc["duration"]:.0f}' if rc["duration"] else "?"
        out.append(f'<p>Video #{rc["id"]} ({e(_format_vi(rc))}, {e(rc["made"])}), {len(rc["clips"])} clip, '
                   f'{seconds} giây.</p><ul>' + "".join(
                       f'<li>{e(PLATFORM_VI[p["platform"]])} {e(p["channel"])}: {e(STATE_VI.get(p["state"], p["state"]))} '
                       + (f'<a href="{e(p["url"])}">{e(p["url"])}</a>' if p["url"] else "") + "</li>"
                       for p in rc["published"]) + "</ul>")
    out.append("</section></main><footer>Lập bằng loa — Không một mình, cùng nhau an toàn trực tuyến.</footer>"
               "</body></html>")
    return "".join(out)


def render_report(data: dict[str, Any], fmt: str, media_dir: Path) -> str:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2)
    if fmt == "csv":
        return as_csv(data)
    if fmt == "html":
        return as_html(data, media_dir)
    return as_text(data)
