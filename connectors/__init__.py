"""Platform connectors: Facebook Pages, Zalo Official Accounts and TikTok.

This package imports nothing else of loa's: connectors take plain values (what to publish,
the channel's credentials) and return what happened.
"""

from .base import Answer, Connector, Finding, Item, Media, Result  # noqa: E402
from .errors import ConnectorError, CredentialsDead, NotPublished, OutcomeUnknown, Rejected, RetryLater  # noqa: E402
from .facebook import FacebookConnector  # noqa: E402
from .tiktok import TikTokConnector  # noqa: E402
from .zalo import ZaloConnector  # noqa: E402

CONNECTORS: dict[str, type[Connector]] = {c.platform: c for c in (FacebookConnector, ZaloConnector, TikTokConnector)}
PLATFORMS: tuple[str, ...] = tuple(CONNECTORS)  # every list of platforms in loa is this one

__all__ = ["CONNECTORS", "PLATFORMS", "Answer", "Connector", "Finding", "NotPublished", "ConnectorError", "CredentialsDead", "FacebookConnector", "Item", "Media",
           "OutcomeUnknown", "Rejected", "Result", "RetryLater", "TikTokConnector", "ZaloConnector"]
