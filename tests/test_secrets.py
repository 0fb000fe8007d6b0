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
    text = ("GET https://graph.facebook.com/v21.0/1/feed?access_token=EAABunknown123&fields=id "
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
