"""Behind a reverse proxy (Caddy, nginx) every request comes from the proxy's address: the client's
own address (for the upload and sign-in limits, and the logs) and scheme are in the forwarded
headers, which anyone can also send. waitress, which serves loa, believes them only from the proxy
the officer named (`loa serve --trusted-proxy 127.0.0.1`), takes the address the proxy itself
added (the last hop of X-Forwarded-For), and removes them from every other request."""
from __future__ import annotations

import ipaddress


def waitress_options(trusted_proxy: str | None) -> dict:
    """waitress's settings for a campaign served directly (no proxy) or behind ``trusted_proxy``."""
    if not trusted_proxy:
        return {"clear_untrusted_proxy_headers": True}
    try:
        ipaddress.ip_address(trusted_proxy.strip())
    except ValueError:
        raise ValueError(f"not an address: {trusted_proxy!r}") from None
    return {"trusted_proxy": trusted_proxy.strip(), "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            "clear_untrusted_proxy_headers": True}
