"""Helpers for connector tests: a `responses` mock that refuses unregistered URLs, and logs."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import responses

from connectors.credentials import ScrubFilter
from connectors.http import Http


def body_of(call) -> dict:
    """The form or JSON body a mocked call received, as a dict."""
    raw = call.request.body
    if raw is None:
        return {}
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str):
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(raw))


def http() -> Http:
    return Http(base=None, timeout=(1, 1))


def write_file(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        block = bytes(range(256)) * 4096
        left = size
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    return path


def assert_no_secret(texts: list[str], *secrets: str) -> None:
    for text in texts:
        for s in secrets:
            assert s not in text, f"secret leaked: {text!r}"


class LogCapture(logging.Handler):
    """Captures loa's log lines after the scrubbing filter, as a file handler would write them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.addFilter(ScrubFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


RSPS = responses
