"""On a server: behind Debian's Caddy on loopback the upload limit counts per phone, not per proxy
(and forwarded headers from anyone else change nothing); the disk never fills (a quota of a few
MB reached during an upload is a 507, the file given back, and publishing carries on); abandoned
half-uploads are removed; /healthz answers a monitor."""
from __future__ import annotations

import base64
import http.client
import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest

from tests.scheduler_helpers import make_world
from tests.serving import served
from tests.test_scheduler_engine import clock, server  # noqa: F401 (fixtures)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_wsgi(app, trusted_proxy: str = ""):
    """As `loa serve` serves it: waitress, with loa's settings for a proxy in front (or none)."""
    from loa.proxy import waitress_options

    return served(app, **waitress_options(trusted_proxy))


def meta(**form) -> str:
    base = {"name": "Nguyễn Thị Hoa", "school": "THCS Kon Chiêng", "age": "17", "display": "first",
            "selfConfirmed": "yes", "filename": "clip.mp4"}
    base.update(form)
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in base.items())


def create_from(phone: str, port: int, token: str, length: int = 1000, extra: dict | None = None) -> int:
    """A tus creation sent from the loopback address ``phone`` (each phone its own address)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(phone, 0))
    conn.request("POST", f"/c/{token}/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(length),
                                                         "Upload-Metadata": meta(), **(extra or {})})
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.fixture
def world(db_url, tmp_path, server, clock):  # noqa: F811
    w = make_world(db_url, tmp_path, server, clock)
    yield w
    w.engine_db.dispose()


def portal_for(w, tmp_path, **kw):
    from loa.portal.app import Portal, ensure_token

    p = Portal(w.sessions, campaign_id=w.campaign_id, media_dir=w.media_dir, upload_dir=tmp_path / "uploads",
               clock=w.clock, **kw)
    p.token = ensure_token(w.sessions, w.campaign_id)
    return p


def test_behind_caddy_the_upload_limit_counts_per_phone_not_per_proxy(world, tmp_path):
    caddy = shutil.which("caddy")
    if not caddy:
        pytest.skip("Debian's caddy is not installed (`apt-get install caddy`)")
    portal = portal_for(world, tmp_path, per_address=2)
    with serve_wsgi(portal, trusted_proxy="127.0.0.1") as (srv, _base):
        app_port = srv.effective_port
        proxy_port = free_port()
        conf = tmp_path / "Caddyfile"
        conf.write_text("{\n  admin off\n  auto_https off\n}\n"
                        f"http://127.0.0.1:{proxy_port} {{\n  request_body {{\n    max_size 600MB\n  }}\n"
                        f"  reverse_proxy 127.0.0.1:{app_port} {{\n    flush_interval -1\n  }}\n}}\n", encoding="utf-8")
        proc = subprocess.Popen([caddy, "run", "--config", str(conf), "--adapter", "caddyfile"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", proxy_port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            # two phones, each allowed two uploads an hour, both through the same proxy
            assert [create_from("127.0.0.2", proxy_port, portal.token) for _ in range(3)] == [201, 201, 429]
            assert [create_from("127.0.0.3", proxy_port, portal.token) for _ in range(2)] == [201, 201]
            # a phone that writes its own X-Forwarded-For to the proxy does not become someone else
            assert create_from("127.0.0.2", proxy_port, portal.token, extra={"X-Forwarded-For": "10.9.9.9"}) == 429
            # and straight to loa (not from the proxy), forwarded headers are not believed either
            assert create_from("127.0.0.4", app_port, portal.token, extra={"X-Forwarded-For": "10.8.8.8"}) == 201
            assert create_from("127.0.0.4", app_port, portal.token, extra={"X-Forwarded-For": "10.7.7.7"}) == 201
            assert create_from("127.0.0.4", app_port, portal.token, extra={"X-Forwarded-For": "10.6.6.6"}) == 429
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_without_a_trusted_proxy_every_phone_behind_it_would_share_one_limit(world, tmp_path):
    """The problem the setting solves, shown: behind a proxy loa is not told about, the proxy's
    address is everyone's."""
    portal = portal_for(world, tmp_path, per_address=2)
    with serve_wsgi(portal) as (srv, _base):
        got = [create_from("127.0.0.1", srv.effective_port, portal.token, extra={"X-Forwarded-For": f"10.0.0.{i}"})
               for i in range(3)]
    assert got == [201, 201, 429]


def test_a_quota_reached_during_an_upload_is_a_507_and_publishing_carries_on(world, tmp_path, clock):  # noqa: F811
    from werkzeug.test import Client

    mb = 1024 * 1024
    portal = portal_for(world, tmp_path, quota=5 * mb, disk_margin=0)
    c = Client(portal)

    def create(length):
        r = c.post(f"/c/{portal.token}/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(length),
                                                          "Upload-Metadata": meta()})
        return r

    a, b = create(3 * mb), create(3 * mb)  # each fits on its own: both are taken at creation
    assert a.status_code == b.status_code == 201
    assert c.patch(a.headers["Location"], data=b"a" * (5 * mb // 2), headers={  # the first phone, half-way
        "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
        ).status_code in (204, 200)
    r = c.patch(b.headers["Location"], data=b"b" * (3 * mb), headers={
        "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert r.status_code == 507 and ("đầy" in r.json["error"] or "full" in r.json["error"])
    parts = sorted(p.stat().st_size for p in (tmp_path / "uploads").glob("*.part"))
    assert parts == [0, 5 * mb // 2]  # the refused bytes were given back; the first upload keeps its part
    assert c.head(b.headers["Location"], headers={"Tus-Resumable": "1.0.0"}).headers["Upload-Offset"] == "0"
    assert create(3 * mb).status_code == 507  # no new upload while the store is full
    world.add_channel("facebook", "fanpage")  # and publishing carries on
    [d] = world.post("Vẫn đăng bình thường", "facebook", at=clock())
    world.engine().run_pass()
    assert world.delivery(d).state.value == "published"


def test_half_uploads_left_for_48_hours_are_removed(world, tmp_path, clock):  # noqa: F811
    from werkzeug.test import Client

    from content_queue.models import Upload

    portal = portal_for(world, tmp_path)
    c = Client(portal)
    r = c.post(f"/c/{portal.token}/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "5000",
                                                      "Upload-Metadata": meta()})
    old_id = r.headers["Location"].rsplit("/", 1)[1]
    assert (tmp_path / "uploads" / f"{old_id}.part").exists()
    clock.advance(hours=49)
    portal._swept = 0.0
    c.post(f"/c/{portal.token}/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "5000",
                                                  "Upload-Metadata": meta()})
    with world.sessions() as s:
        assert s.get(Upload, old_id) is None and s.query(Upload).count() == 1
    assert not (tmp_path / "uploads" / f"{old_id}.part").exists()


def test_healthz_answers_a_monitor(loa):
    from loa import settings
    from loa.workspace import create_app
    from scheduler.engine import Engine

    folder = settings.find(loa.folder)
    app = create_app(folder)
    client = app.test_client()
    r = client.get("/healthz")  # no sign-in needed, nothing of the campaign's in it
    assert r.status_code == 503 and r.json["scheduler"]["running"] is False and r.json["database"] == "ok"
    assert r.json["disk"]["free_bytes"] > 0
    Engine(folder.sessions, media_dir=folder.media_dir).heartbeat()
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json["status"] == "ok" and r.json["scheduler"]["last_heartbeat"]
