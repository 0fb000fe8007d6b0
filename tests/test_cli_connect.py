"""`loa channel connect` end to end against the sandbox's consent pages and token endpoints."""
from __future__ import annotations

import json

import pytest
import requests

from connectors import oauth
from connectors.http import Http
from sandbox import Sandbox, SandboxServer


@pytest.fixture(scope="module")
def server():
    with SandboxServer(Sandbox(processing_seconds=0.1)) as s:
        yield s


@pytest.fixture
def fixed(monkeypatch):
    """A known state and PKCE pair, so the test can play the browser's part."""
    monkeypatch.setattr(oauth, "new_state", lambda: "st8")
    pairs = {"base64url": oauth.pkce("base64url"), "hex": oauth.pkce("hex")}
    monkeypatch.setattr(oauth, "pkce", lambda encoding="base64url": pairs[encoding])

    class Pair(tuple):
        hex = pairs["hex"]  # TikTok's desktop app: the hex challenge

    return Pair(pairs["base64url"])


def landing(server, url: str) -> str:
    """What the officer's browser does: open the consent address, approve, land on the redirect."""
    screen = requests.get(Http(base=server.base).url(url), allow_redirects=False, timeout=5)
    assert screen.status_code == 200 and 'value="allow"' in screen.text  # the consent screen, then Allow
    r = requests.get(Http(base=server.base).url(url), params={"decision": "allow"}, allow_redirects=False,
                     timeout=5)
    assert r.status_code == 302
    return r.headers["Location"]


def test_connect_zalo(loa, server, fixed, monkeypatch):
    monkeypatch.setenv("LOA_API_BASE", server.base)
    creds = server.sandbox.new_account("zalo")
    auth = oauth.ZaloAuth(creds["app_id"], creds["app_secret"], "https://localhost/loa-callback", Http())
    back = landing(server, auth.consent_url("st8", fixed[1]))
    r = loa("channel", "connect", "zalo", "--name", "zalo-oa", "--app-id", creds["app_id"],
            input=f"{creds['app_secret']}\n{back}\n")
    assert r.exit_code == 0, r.output
    assert "oauth.zaloapp.com/v4/oa/permission" in r.output
    assert creds["app_secret"] not in r.output
    listed = json.loads(loa("channel", "list", "--json").output)[0]
    assert listed["account_id"] == creds["oa_id"] and listed["access_expires_at"]


def test_connect_tiktok(loa, server, fixed, monkeypatch):
    monkeypatch.setenv("LOA_API_BASE", server.base)
    creds = server.sandbox.new_account("tiktok")
    # the default: a desktop app, redirected to this computer with a port, its challenge in hex
    auth = oauth.TikTokAuth(creds["client_key"], creds["client_secret"], oauth.TikTokAuth.default_redirect, Http())
    back = landing(server, auth.consent_url("st8", fixed.hex[1]))
    r = loa("channel", "connect", "tiktok", "--name", "tt", "--client-key", creds["client_key"],
            "--client-secret", creds["client_secret"], input=f"{back}\n")
    assert r.exit_code == 0, r.output
    assert json.loads(loa("channel", "list", "--json").output)[0]["account_id"] == creds["open_id"]


def test_a_tiktok_redirect_that_fits_no_kind_of_app_is_refused_before_the_consent(loa):
    """A loopback address without a port fits no desktop app; an http address fits no web app."""
    for uri in ("https://localhost/loa-callback", "http://loa.example/cb"):
        r = loa("channel", "connect", "tiktok", "--name", "tt", "--client-key", "ck", "--client-secret", "cs",
                "--redirect-uri", uri)
        assert r.exit_code == 1 and "Traceback" not in r.output
        assert ("with a port" in r.output) if "localhost" in uri else ("must be https" in r.output)


def test_connect_facebook_picks_the_page(loa, server, fixed, monkeypatch):
    monkeypatch.setenv("LOA_API_BASE", server.base)
    auth = oauth.FacebookAuth("app1", "appsecret-1", "https://localhost/loa-callback", Http())
    back = landing(server, auth.consent_url("st8"))
    r = loa("channel", "connect", "facebook", "--name", "fanpage", "--app-id", "app1", input=f"appsecret-1\n{back}\n")
    assert r.exit_code == 0, r.output
    assert "Page: Công an xã (sandbox)" in r.output
    row = json.loads(loa("channel", "list", "--json").output)[0]
    assert set(row["credentials"]) == {"page_id", "access_token", "user_token", "app_id", "app_secret"}


def test_wrong_state_is_refused(loa, server, fixed, monkeypatch):
    monkeypatch.setenv("LOA_API_BASE", server.base)
    creds = server.sandbox.new_account("tiktok")
    r = loa("channel", "connect", "tiktok", "--name", "tt", "--client-key", creds["client_key"],
            "--client-secret", creds["client_secret"], input="http://127.0.0.1:8765/loa-callback?code=x&state=other\n")
    assert r.exit_code == 1 and "another connection attempt" in r.output


def test_refused_code_is_a_clear_error(loa, server, fixed, monkeypatch):
    monkeypatch.setenv("LOA_API_BASE", server.base)
    creds = server.sandbox.new_account("zalo")
    r = loa("channel", "connect", "zalo", "--name", "z", "--app-id", creds["app_id"], "--app-secret",
            creds["app_secret"], input="https://localhost/loa-callback?code=bogus&oa_id=1&state=st8\n")
    assert r.exit_code == 1 and "the code was refused" in r.output


def test_a_refusal_on_the_consent_screen_is_a_clear_error(loa, server, fixed, monkeypatch):
    monkeypatch.setenv("LOA_API_BASE", server.base)
    creds = server.sandbox.new_account("tiktok")
    auth = oauth.TikTokAuth(creds["client_key"], creds["client_secret"], oauth.TikTokAuth.default_redirect, Http())
    denied = requests.get(Http(base=server.base).url(auth.consent_url("st8", fixed.hex[1])),
                          params={"decision": "deny"}, allow_redirects=False, timeout=5).headers["Location"]
    assert "error=access_denied" in denied
    r = loa("channel", "connect", "tiktok", "--name", "tt", "--client-key", creds["client_key"],
            "--client-secret", creds["client_secret"], input=f"{denied}\n")
    assert r.exit_code == 1 and "did not give access" in r.output and "allow every permission" in r.output
    assert json.loads(loa("channel", "list", "--json").output) == []


def test_an_attempt_never_shows_its_secret():
    from connectors.credentials import Secret
    from content_queue.connecting import Attempt

    a = Attempt("zalo", "oa", "app-1", Secret("the-app-secret-value"), "https://localhost/cb")
    assert "the-app-secret-value" not in repr(a) and "the-app-secret-value" not in str(a)
    assert a.verifier and a.challenge and a.verifier != a.challenge


def test_sandbox_commands_against_a_served_sandbox(tmp_path):
    import os
    import re
    import signal
    import subprocess
    import sys
    import time

    loa = [sys.executable, "-m", "loa"]
    # --port 0: the system gives a free port and the first line says which (no race between a port
    # picked here and another test's server taking it before the sandbox binds it)
    # Ctrl-C as a terminal delivers it: a suite started in the background inherits SIGINT ignored,
    # and a Python started with SIGINT ignored keeps ignoring it, so give the child the default back
    # -X faulthandler: should Ctrl-C ever not stop it, SIGABRT makes it print where each thread is
    proc = subprocess.Popen([sys.executable, "-X", "faulthandler", *loa[1:], "sandbox", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = proc.stdout.readline()
        assert "Sandbox platforms on" in first, first
        env = {**os.environ, "LOA_API_BASE": re.search(r"http://127\.0\.0\.1:\d+", first).group(0)}
        for _ in range(50):
            out = subprocess.run(loa + ["sandbox", "account", "tiktok"], env=env, capture_output=True, text=True)
            if out.returncode == 0:
                break
            time.sleep(0.1)
        creds = json.loads(out.stdout)
        assert set(creds) == {"client_key", "client_secret", "open_id", "access_token", "refresh_token", "scope"}
        ledger = subprocess.run(loa + ["sandbox", "ledger"], env=env, capture_output=True, text=True)
        assert "0 published, 0 published more than once." in ledger.stdout
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C stops it and says so
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            _, stacks = proc.communicate(timeout=10)
            pytest.fail("loa sandbox serve did not stop on Ctrl-C; its threads:\n" + stacks[-6000:])
    rest = proc.stdout.read()
    assert proc.returncode == 0 and "Sandbox stopped" in rest, rest


def test_sandbox_commands_say_when_no_sandbox_runs(runner, monkeypatch):
    from loa.cli import cli

    monkeypatch.setenv("LOA_API_BASE", "http://127.0.0.1:9")
    r = runner.invoke(cli, ["sandbox", "ledger"])
    assert r.exit_code == 1 and "No sandbox answers" in r.output
