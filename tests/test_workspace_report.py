"""Báo cáo in the workspace: the same data and charts as `loa report`, and its downloads (HTML in
one file, CSV that Excel opens with every diacritic, JSON equal to `loa report --format json`)."""
from __future__ import annotations

import json

from tests.test_workspace import MARKUP, a_failed_delivery, sign_in, ws  # noqa: F401 (fixture)


def test_the_report_page_and_its_downloads(ws):  # noqa: F811
    from content_queue.models import Delivery, DeliveryState
    from content_queue.store import transaction

    a_failed_delivery(ws, f"Bài thất bại {MARKUP}")
    ok = a_failed_delivery(ws, "Bài đã đăng lên Trang")
    with transaction(ws.folder.sessions) as s:
        d = s.get(Delivery, ok)
        d.state, d.remote_url = DeliveryState.published, "https://www.facebook.com/1001/posts/42"
    client = ws.test_client()
    sign_in(client, "xem")  # a viewer reads the report
    page = client.get("/report").get_data(as_text=True)
    assert "Báo cáo" in page and "<svg" in page and "https://www.facebook.com/1001/posts/42" in page
    assert MARKUP not in page and "&lt;img" in page
    assert 'id="video-huong-ung"' in page and 'aria-current="page"' in page
    html = client.get("/report.html")
    assert html.mimetype == "text/html" and "attachment" in html.headers["Content-Disposition"]
    assert "<!DOCTYPE html>" in html.get_data(as_text=True) and "facebook.com/1001/posts/42" in html.get_data(as_text=True)
    csv = client.get("/report.csv")
    assert csv.data.startswith("\ufeff".encode()) and "Bài đã đăng lên Trang" in csv.get_data(as_text=True)
    data = json.loads(client.get("/report.json").get_data(as_text=True))
    cli = json.loads(ws.loa("report", "--format", "json").output)
    assert data["totals"] == cli["totals"] and data["channels"] == cli["channels"]
    assert client.get("/report.pdf").status_code == 404
