"""What went wrong, grouped by what the caller should do next.

::

    ConnectorError
    ├── RetryLater        nothing was published: try again later (5xx, 429, throttling, network
    │                     failure before the request was sent). ``retry_after`` in seconds when
    │                     the platform said.
    ├── Rejected          the platform refused the content or the request; retrying will not
    │                     help.
    ├── CredentialsDead   the account must be connected again (token revoked, password changed,
    │                     permission removed, refresh token expired or already used).
    ├── OutcomeUnknown    a request that can publish was sent and no answer came: ask the
    │                     platform (``Connector.find``) before doing anything else.
    └── NotPublished      the platform reports that what it received did not go out (TikTok's
                          FAILED status, a Facebook video whose processing failed): ``final``
                          when the content itself was refused (do not send it again).

The message is loa's explanation (what happened, what to do; translated where a person reads it,
see :mod:`connectors.text`); ``platform_message`` keeps the platform's own words, shown beside it
for support. Every message passes through :func:`connectors.credentials.scrub`: no token ever
appears in one.
"""
from __future__ import annotations

from .credentials import scrub


class ConnectorError(Exception):
    """Base of all connector errors. ``code`` is the platform's own error code, if any; ``text`` the
    message as written (translated where a person reads it, see :mod:`connectors.text`)."""

    kind = "error"

    def __init__(self, message: str, *, platform: str = "", code: str | int | None = None,
                 status: int | None = None, platform_message: str = "") -> None:
        self.platform = platform
        self.code = code
        self.status = status
        self.text = message
        self.platform_message = scrub(platform_message)
        super().__init__(scrub(message))

    def __str__(self) -> str:
        """loa's words (English), then the platform's own, as logs and attempts keep them."""
        said = super().__str__()
        if self.platform_message and self.platform_message not in said:
            said += f" [{self.platform or 'platform'} said: {self.platform_message}" + \
                (f" (code {self.code})" if self.code not in (None, "") else "") + "]"
        return said

    @property
    def message(self) -> str:
        return str(self)


class RetryLater(ConnectorError):
    kind = "retry"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)

    @property
    def limited(self) -> bool:
        """The platform asked to slow down (HTTP 429, or an answer saying how long to wait), as
        opposed to a passing failure: a reader stops calling it for that long."""
        return self.status == 429 or self.retry_after is not None


class Rejected(ConnectorError):
    kind = "rejected"


class CredentialsDead(ConnectorError):
    kind = "credentials"


class OutcomeUnknown(ConnectorError):
    kind = "unknown"


class NotPublished(ConnectorError):
    kind = "not_published"

    def __init__(self, message: str, *, final: bool = False, **kw) -> None:
        self.final = final
        super().__init__(message, **kw)
