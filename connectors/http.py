"""The one HTTP helper every platform call goes through.

It sets timeouts and the user agent, redirects platform hosts to a base address (``LOA_API_BASE``,
the local sandbox, handed in by loa's settings), reads Facebook's usage headers, turns transport failures into the error taxonomy
(a failure before the request was sent is :class:`RetryLater`; after a call that can publish was
sent it is :class:`OutcomeUnknown`), logs every call with its secrets scrubbed, and streams
request bodies from disk so memory does not grow with the file.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator
from urllib.parse import urlsplit

from .credentials import scrub
from .errors import OutcomeUnknown, RetryLater
from .text import _

if TYPE_CHECKING:  # requests is imported when the first call is made, so that `loa --help` starts fast
    import requests

log = logging.getLogger("loa.http")

PLATFORM_HOSTS = frozenset({
    "graph.facebook.com", "graph-video.facebook.com", "rupload.facebook.com", "www.facebook.com",
    "openapi.zalo.me", "oauth.zaloapp.com",
    "open.tiktokapis.com", "open-upload.tiktokapis.com", "www.tiktok.com",
})
USER_AGENT = "loa/0.1 (+campaign publisher; python-requests)"
READ_BLOCK = 1024 * 1024
DEFAULT_TIMEOUT = (10.0, 120.0)  # connect, read (seconds): a slow rural line gets two minutes


def redirect(url: str, base: str | None) -> str:
    """``https://graph.facebook.com/v26.0/1/feed`` → ``{base}/graph.facebook.com/v26.0/1/feed``."""
    if not base:
        return url
    parts = urlsplit(url)
    if parts.hostname not in PLATFORM_HOSTS:
        return url  # an upload URL a platform (or the sandbox) handed back: used as given
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{base}/{parts.hostname}{rest}"


@dataclass
class Usage:
    """Facebook's usage headers, as percentages of the allowance (0-100)."""

    app: dict[str, float] = field(default_factory=dict)
    business: dict[str, Any] = field(default_factory=dict)

    @property
    def highest(self) -> float:
        values = [v for v in self.app.values() if isinstance(v, (int, float))]
        for entries in self.business.values():
            for entry in entries if isinstance(entries, list) else [entries]:
                values += [v for k, v in entry.items() if k in ("call_count", "total_cputime", "total_time")
                           and isinstance(v, (int, float))]
        return max(values, default=0.0)

    @property
    def regain_seconds(self) -> float | None:
        minutes = [entry.get("estimated_time_to_regain_access", 0)
                   for entries in self.business.values()
                   for entry in (entries if isinstance(entries, list) else [entries]) if isinstance(entry, dict)]
        m = max(minutes, default=0)
        return m * 60.0 if m else None


def parse_usage(headers) -> Usage | None:
    app, biz = headers.get("X-App-Usage"), headers.get("X-Business-Use-Case-Usage")
    if not app and not biz:
        return None
    usage = Usage()
    try:
        usage.app = json.loads(app) if app else {}
        usage.business = json.loads(biz) if biz else {}
    except (ValueError, TypeError):
        log.warning("unreadable Facebook usage header")
    return usage


class FileSlice:
    """A read-only window ``[start, start+length)`` of a file, read block by block.

    Given to requests as a body it is streamed, never loaded whole; ``progress`` is called with
    the number of bytes of the slice read so far (from 0 again if the request is re-sent).
    """

    def __init__(self, path: str, start: int, length: int, progress: Callable[[int], None] | None = None):
        self.path, self.start, self.length, self.progress = path, start, length, progress
        self._f: IO[bytes] | None = None
        self._left = length
        self._done = 0

    def __len__(self) -> int:
        return self.length

    def rewind(self) -> None:
        """Start again from the beginning (a request sent a second time)."""
        if self._f is not None:
            self._f.close()
        self._f, self._left, self._done = None, self.length, 0

    def read(self, size: int = -1) -> bytes:
        if self._f is None:
            self._f = open(self.path, "rb")
            self._f.seek(self.start)
        if self._left <= 0:
            self._f.close()
            return b""
        n = self._left if size is None or size < 0 else min(size, self._left, READ_BLOCK)
        data = self._f.read(n)
        self._left -= len(data)
        self._done += len(data)
        if self.progress and data:
            self.progress(self._done)
        if not data or self._left <= 0:
            self._f.close()
        return data

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(READ_BLOCK):
            yield chunk


class MultipartStream:
    """A multipart/form-data body with one file part streamed from disk, plus plain fields.

    requests' ``files=`` builds the whole body in memory; this yields it block by block with a
    known Content-Length.
    """

    def __init__(self, fields: dict[str, str], file_field: str, file_name: str, body: FileSlice,
                 content_type: str = "application/octet-stream") -> None:
        self.boundary = "loa" + uuid.uuid4().hex
        head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items())
        head += (f'--{self.boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
                 f'filename="{file_name}"\r\nContent-Type: {content_type}\r\n\r\n').encode()
        self.head, self.tail, self.body = head, f"\r\n--{self.boundary}--\r\n".encode(), body

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self.head) + len(self.body) + len(self.tail)

    def rewind(self) -> None:
        self.body.rewind()

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        yield from self.body
        yield self.tail


def _sent(exc: "requests.RequestException") -> bool:
    """Was the request (possibly) received by the server before this failure?"""
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc)
        not_sent = ("NewConnectionError", "ConnectTimeoutError", "NameResolutionError", "Failed to resolve",
                    "Connection refused")
        return not any(marker in text for marker in not_sent)
    return True  # read timeouts, broken chunked answers, protocol errors: it went out


class Http:
    """One requests session, with the rules above. Platform connectors call :meth:`request`."""

    def __init__(self, *, base: str | None = None, timeout: tuple[float, float] | None = None,
                 session: "requests.Session | None" = None, on_usage: Callable[[Usage], None] | None = None) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        self.base = (base or "").rstrip("/") or None  # LOA_API_BASE, handed in by loa's Settings
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.session = session or requests.Session()
        # No automatic retries: a retried POST could publish twice. Retrying is the scheduler's call.
        self.session.mount("https://", HTTPAdapter(max_retries=0))
        self.session.mount("http://", HTTPAdapter(max_retries=0))
        self.session.headers["User-Agent"] = USER_AGENT
        self.on_usage = on_usage
        self.last_usage: Usage | None = None

    def url(self, url: str) -> str:
        return redirect(url, self.base)

    def request(self, method: str, url: str, *, platform: str, can_publish: bool = False,
                timeout: tuple[float, float] | None = None, **kwargs) -> requests.Response:
        """Send one request. Transport failures become RetryLater or, if ``can_publish`` and
        the request went out, OutcomeUnknown. HTTP errors are left to the platform's classifier."""
        target = self.url(url)
        body = kwargs.get("data")
        if hasattr(body, "rewind"):
            body.rewind()
        started = time.monotonic()
        import requests

        try:
            response = self.session.request(method, target, timeout=timeout or self.timeout, **kwargs)
        except requests.RequestException as exc:
            elapsed = time.monotonic() - started
            log.warning("%s %s %s failed after %.1fs: %s", platform, method, scrub(target), elapsed,
                        type(exc).__name__)
            if can_publish and _sent(exc):
                raise OutcomeUnknown(
                    _("{platform}: the request was sent but no answer came ({name}); it may have been published.",
                      platform=platform, name=type(exc).__name__), platform=platform) from None
            raise RetryLater(_("{platform}: network problem ({name}); nothing was published.", platform=platform, name=type(exc).__name__),
                             platform=platform) from None
        log.info("%s %s %s -> %s (%.2fs)", platform, method, scrub(target), response.status_code,
                 time.monotonic() - started)
        usage = parse_usage(response.headers)
        if usage is not None:
            self.last_usage = usage
            if self.on_usage:
                self.on_usage(usage)
        return response


def json_body(response: requests.Response) -> dict[str, Any]:
    """The JSON object of a response, or ``{}`` when it has none (e.g. TikTok's 206/201)."""
    if not response.content:
        return {}
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {"data": data}


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
