"""Tokens never appear in reprs, logs or error messages."""
from __future__ import annotations

import logging

import pytest

from connectors.credentials import MASK, ScrubFilter, Secret, scrub


def test_secret_hides_its_value_everywhere():
    s = Secret("EAAB-very-secret-token")
    assert str(s) == MASK and repr(s) == "Secret('***')" and f"{s}" == MASK
    assert "very-secret" not in f"{[s]} {dict(t=s)} {s!r}"
    assert s.reveal() == "EAAB-very-secret-token"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(s)


def test_scrub_masks_known_secrets_and_token_parameters():
    Secret("zalo-refresh-9999")
    text = ("GET https://graph.facebook.com/v26.0/1/feed?access_token=EAABunknown123&fields=id "
            "refresh zalo-refresh-9999 Authorization: Bearer act.abc.def {\"client_secret\": \"xyz123\"}")
    out = scrub(text)
    for leaked in ("EAABunknown123", "zalo-refresh-9999", "act.abc.def", "xyz123"):
        assert leaked not in out
    assert "fields=id" in out


def test_log_filter_scrubs_messages_arguments_and_tracebacks(caplog):
    token = Secret("tiktok-access-7777")
    logger = logging.getLogger("loa.test.secrets")
    handler_filter = ScrubFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        logger.warning("calling with %s and %s", token.reveal(), "access_token=abcdef123")
        try:
            raise RuntimeError(f"failed for {token.reveal()}")
        except RuntimeError:
            logger.exception("boom")
    finally:
        caplog.handler.removeFilter(handler_filter)
    text = caplog.text
    assert "tiktok-access-7777" not in text
    assert "abcdef123" not in text
    assert "failed for ***" in text


def test_cli_log_file_never_holds_tokens(loa, channels):
    from loa import settings

    # Force an unexpected path to be logged with a token in it.
    logging.getLogger("loa").error("token was %s", channels["zalo"]["refresh_token"])
    log = (settings.find().log_dir / "loa.log").read_text(encoding="utf-8")
    for creds in channels.values():
        for key, value in creds.items():
            if "token" in key or "secret" in key:
                assert value not in log
    assert "token was ***" in log


def test_no_token_in_a_fresh_loa_run_log(loa, tmp_path):
    """In a fresh process (nothing registered in this one's memory), `loa -v run` publishes to
    the three sandbox platforms from expired tokens, so every token is refreshed and new ones
    arrive: none of the old or new tokens, nor any app secret, is in its log file or output."""
    import json
    import os
    import subprocess
    import sys

    from sandbox import Sandbox, SandboxServer

    with SandboxServer(Sandbox(processing_seconds=0.1)) as server:
        sb = server.sandbox
        env = {**os.environ, "LOA_API_BASE": server.base, "LOA_HOME": str(loa.folder), "LOA_FOLLOW_EVERY": "0.2"}
        given = []
        for platform in ("facebook", "zalo", "tiktok"):
            creds = sb.new_account(platform, expired=True)
            given.append(creds)
            (tmp_path / f"{platform}.json").write_text(json.dumps(creds))
            extra = ["--cover-url", "https://example.org/bia.jpg"] if platform == "zalo" else []
            subprocess.run([sys.executable, "-m", "loa", "channel", "add", platform, "--name", platform,
                            "--credentials", str(tmp_path / f"{platform}.json"), *extra],
                           env=env, check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "loa", "post", "add", "--text", "Bí mật an toàn", "--now",
                        "--to", "facebook,zalo"], env=env, check=True, capture_output=True)
        out = subprocess.run([sys.executable, "-m", "loa", "-v", "run", "--until-idle", "--timeout", "60"],
                             env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        with sb.lock:
            issued = [t.value for t in sb.tokens.values()]
    secrets = issued + [v for c in given for k, v in c.items() if "token" in k or "secret" in k]
    log = (loa.folder / "logs" / "loa.log").read_text(encoding="utf-8")
    assert "graph.facebook.com" in log and "openapi.zalo.me" in log  # the calls were logged
    assert "credentials refreshed and stored" in log  # new tokens came in during the run
    for text in (log, out.stdout, out.stderr):
        leaked = [s for s in secrets if s in text]
        assert leaked == []


def test_tokens_and_the_smtp_password_are_sealed_at_rest_with_a_key_outside_the_database(loa, channels):
    """Issue 28: a copy of loa.db alone holds no usable token; the key is the folder's .secret-key
    (owner only), and the channels still work through it."""
    import json
    import sqlite3

    folder = loa.folder
    r = loa("notify", "set", "--smtp", "smtp.example.org:587", "--user", "canbo", "--password-stdin",
            "--from", "loa@example.org", "--to", "canbo@example.org", input="smtp-mat-khau-99\n")
    assert r.exit_code == 0, r.output
    key = folder / ".secret-key"
    assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600
    raw = b"".join(p.read_bytes() for p in folder.glob("loa.db*"))
    secrets = [v for creds in channels.values() for k, v in creds.items() if "secret" in k or "token" in k]
    assert secrets and all(s.encode() not in raw for s in secrets + ["smtp-mat-khau-99"])
    con = sqlite3.connect(folder / "loa.db")
    stored = [row[0] for row in con.execute("SELECT credentials_json FROM channels")]
    con.close()
    assert all(v.startswith("loa-fernet:") for v in stored)
    listed = json.loads(loa("channel", "list", "--json").output)  # read back through the key
    assert {c["name"] for c in listed} == {"fanpage", "zalo-oa", "tiktok"}


def test_plain_tokens_an_older_loa_left_are_sealed_when_the_folder_is_opened(loa, channels):
    import sqlite3

    from content_queue.models import Channel
    from content_queue.vault import is_sealed
    from loa import settings

    plain = '{"access_token": "EAAB-cu-chua-khoa-1", "page_id": "1001"}'
    con = sqlite3.connect(loa.folder / "loa.db")
    con.execute("UPDATE channels SET credentials_json = ? WHERE name = 'fanpage'", (plain,))
    con.commit()
    con.close()
    assert loa("channel", "list").exit_code == 0  # any command opens the folder
    with settings.find(loa.folder).sessions() as s:
        ch = s.query(Channel).filter_by(name="fanpage").one()
        assert is_sealed(ch.credentials_json) and ch.credentials["access_token"].reveal() == "EAAB-cu-chua-khoa-1"
    raw = b"".join(p.read_bytes() for p in loa.folder.glob("loa.db*"))
    assert b"EAAB-cu-chua-khoa-1" not in raw  # nor its old bytes in the file


def test_without_its_key_a_copy_of_the_database_opens_no_token(loa, channels, tmp_path):
    import subprocess
    import sys

    copy = tmp_path / "stick"
    copy.mkdir()
    for p in loa.folder.glob("loa.*"):
        (copy / p.name).write_bytes(p.read_bytes())  # the database and its settings, not the key
    code = ("import sys; from pathlib import Path; from loa import settings; from content_queue.models import Channel\n"
            "from content_queue.errors import UserError\n"
            "f = settings.find(Path(sys.argv[1]))\n"
            "s = f.sessions()\n"
            "try:\n    s.query(Channel).first().credentials; print('OPENED')\n"
            "except UserError as e:\n    print('REFUSED', e)\n")
    done = subprocess.run([sys.executable, "-c", code, str(copy)], capture_output=True, text=True, timeout=60)
    assert "REFUSED" in done.stdout and "OPENED" not in done.stdout, done.stdout + done.stderr
