"""Local stand-ins for the Facebook Graph, Zalo OA and TikTok APIs, on loopback.

They serve the ``LOA_API_BASE`` scheme (``{base}/graph.facebook.com/v26.0/...``), answer with the
shapes, error codes and limits the platforms document (``shared/design/platform-apis.md``),
process uploads asynchronously, keep a ledger of what was published, and can inject faults:
5xx, 429 with Retry-After, a timeout after the post was made, a connection dropped after the
post was made, and an expired access token.
"""
from .app import Sandbox  # noqa: F401
from .server import SandboxServer  # noqa: F401
