"""The officer hears about trouble by e-mail, through a real SMTP server on loopback (aiosmtpd,
STARTTLS with a certificate made here, AUTH only over TLS): a failed post, a channel to
reconnect, a stopped scheduler; each kind at most once an hour and only what is new; in
Vietnamese, with the workspace's link; the password never printed."""
from __future__ import annotations

import json
import socket
import subprocess
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest

from tests.test_workspace import a_failed_delivery, ws  # noqa: F401 (fixture and helper)

PASSWORD = "mat-khau-ung-dung-rat-bi-mat"


@pytest.fixture
def smtp(tmp_path):
    pytest.importorskip("aiosmtpd")
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    class Box:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(message_from_bytes(envelope.original_content))
            return "250 OK"

    def auth(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.login == b"canbo" and data.password == PASSWORD.encode()
        return AuthResult(success=ok)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Box()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=auth, auth_require_tls=True, auth_exclude_mechanism=["CRAM-MD5"])
    controller.start()
    box.port, box.cert = port, cert
    yield box
    controller.stop()


def subject(msg) -> str:
    return str(make_header(decode_header(msg["Subject"])))


def test_failures_and_a_stopped_scheduler_are_e_mailed_once_an_hour_at_most(ws, smtp):
    from content_queue.models import Campaign, Worker
    from content_queue.store import transaction
    from loa import notify as N

    loa = ws.loa
    r = loa("notify", "set", "--smtp", f"127.0.0.1:{smtp.port}", "--user", "canbo", "--password-stdin",
            "--from", "loa@congan-xa.example", "--to", "canbo@congan-xa.example", "--cafile", str(smtp.cert),
            input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert PASSWORD not in loa("notify", "show").output and "********" in loa("notify", "show").output
    assert loa("campaign", "set", "--public-url", "https://loa.congan-xa.example").exit_code == 0
    assert loa("notify", "test").exit_code == 0 and len(smtp.messages) == 1
    d = a_failed_delivery(ws, "Chào các em")
    with transaction(ws.folder.sessions) as s:
        cid = s.query(Campaign).one().id
        s.add(Worker(id="w1", host="h", pid=1, started_at=datetime.now(timezone.utc) - timedelta(hours=2),
                     heartbeat_at=datetime.now(timezone.utc) - timedelta(minutes=30)))
    now = datetime.now(timezone.utc)
    sent = N.check(ws.folder.sessions, cid, now, link="https://loa.congan-xa.example")
    assert sorted(sent) == ["failed", "scheduler"]
    mails = {subject(m): m for m in smtp.messages[1:]}
    failed = next(m for s_, m in mails.items() if "thất bại" in s_.lower())
    body = failed.get_payload(decode=True).decode("utf-8")
    assert f"#{d}" in body and "Chào các em" in body and "https://loa.congan-xa.example" in body
    assert any("bộ hẹn giờ" in s_.lower() for s_ in mails)
    assert N.check(ws.folder.sessions, cid, now + timedelta(minutes=10)) == []  # nothing new: nothing sent
    d2 = a_failed_delivery(ws, "Bài thứ hai")
    assert N.check(ws.folder.sessions, cid, now + timedelta(minutes=20)) == []  # new, but within the hour
    assert N.check(ws.folder.sessions, cid, now + timedelta(minutes=61)) == ["failed"]  # the new one, once
    last = smtp.messages[-1].get_payload(decode=True).decode("utf-8")
    assert f"#{d2}" in last and f"#{d} " not in last
    assert all(PASSWORD not in m.as_string() for m in smtp.messages)
    data = json.loads(loa("notify", "show", "--json").output)
    assert data["settings"]["password"] == "********" and data["last_sent"]["failed"]


def test_a_server_that_does_not_answer_is_a_clear_error_not_a_traceback(ws):
    loa = ws.loa
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once this socket is closed
    assert loa("notify", "set", "--smtp", f"127.0.0.1:{port}", "--user", "canbo", "--password-stdin",
               "--from", "loa@congan-xa.example", "--to", "canbo@congan-xa.example",
               input="sai-mat-khau\n").exit_code == 0
    r = loa("notify", "test")
    assert r.exit_code == 1 and "Traceback" not in r.output and "sai-mat-khau" not in r.output
    assert "Không gửi được thư" in r.output or "could not be sent" in r.output
    assert loa("notify", "set", "--smtp", "", "--from", "x", "--to", "y").exit_code == 1
