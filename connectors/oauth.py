"""Connecting an account: the consent URL to open, and the exchange of what comes back.

Facebook: https://developers.facebook.com/docs/facebook-login/guides/access-long-lived/ ,
https://developers.facebook.com/docs/pages-api/getting-started .
Zalo OA (OAuth v4 with PKCE): https://developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new .
TikTok (Login Kit, PKCE for desktop): https://developers.tiktok.com/doc/oauth-user-access-token-management .
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from . import limits as L
from .errors import CredentialsDead, Rejected
from .http import Http, json_body
from .text import _

# Publishing (pages_manage_posts, publish_video), finding the Page (pages_show_list), reading its
# posts and their numbers (pages_read_engagement, and read_insights for /insights: Meta's Page
# Insights docs; without it every post's views and reach are refused).
FACEBOOK_SCOPES = "pages_manage_posts,pages_read_engagement,pages_show_list,publish_video,read_insights"
TIKTOK_SCOPES = ",".join(("user.info.basic", *L.TIKTOK_SCOPES_NEEDED))  # user.info.basic: the nickname


def pkce(encoding: str = "base64url") -> tuple[str, str]:
    """(code_verifier, code_challenge) with S256: the digest base64url-encoded (RFC 7636), or
    hex-encoded where the platform asks for it (TikTok's desktop Login Kit)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode())
    challenge = digest.hexdigest() if encoding == "hex" else base64.urlsafe_b64encode(digest.digest()).rstrip(
        b"=").decode()
    return verifier, challenge


LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEFAULT_REDIRECT = "https://localhost/loa-callback"  # Facebook and Zalo: the address the app registers


def app_kind(redirect_uri: str) -> str:
    """``desktop`` when the redirect is this computer (a loopback address), else ``web``."""
    from urllib.parse import urlsplit

    return "desktop" if (urlsplit(redirect_uri).hostname or "") in LOOPBACK else "web"


class _Auth:
    """What every platform's connection flow shares, and its defaults."""

    default_redirect = DEFAULT_REDIRECT

    @staticmethod
    def challenge_encoding(redirect_uri: str) -> str:
        return "base64url"

    @staticmethod
    def redirect_problem(redirect_uri: str) -> tuple[str, str] | None:
        """What is wrong with ``redirect_uri`` for this platform, and what to give instead."""
        return None


def code_from(pasted: str) -> dict[str, str]:
    """The parameters of a pasted redirect URL (or a bare code)."""
    pasted = pasted.strip()
    if "?" in pasted or pasted.startswith("http"):
        query = parse_qs(urlsplit(pasted).query)
        return {k: v[0] for k, v in query.items()}
    return {"code": pasted}


def _expires(seconds: Any) -> str | None:
    try:
        return (datetime.now(timezone.utc) + timedelta(seconds=int(seconds))).isoformat()
    except (TypeError, ValueError):
        return None


@dataclass
class FacebookAuth(_Auth):
    app_id: str
    app_secret: str
    redirect_uri: str
    http: Http
    pkce = False  # the Login dialog takes the app's secret at the exchange, no PKCE pair
    picks_a_page = True  # the user's token, then one of the Pages they manage

    def consent_url(self, state: str, challenge: str = "") -> str:
        return "https://www.facebook.com/{}/dialog/oauth?{}".format(L.FACEBOOK_GRAPH_VERSION, urlencode({
            "client_id": self.app_id, "redirect_uri": self.redirect_uri, "state": state,
            "scope": FACEBOOK_SCOPES, "response_type": "code"}))

    def _get(self, path: str, params: dict) -> dict:
        resp = self.http.request("GET", f"https://graph.facebook.com/{L.FACEBOOK_GRAPH_VERSION}/{path}",
                                 platform="facebook", params=params)
        body = json_body(resp)
        if "error" in body or resp.status_code >= 400:
            msg = (body.get("error") or {}).get("message", f"HTTP {resp.status_code}")
            raise CredentialsDead(f"facebook: {msg}", platform="facebook")
        return body

    def exchange(self, code: str) -> str:
        """Code → short-lived user token → long-lived user token (about 60 days)."""
        short = self._get("oauth/access_token", {"client_id": self.app_id, "redirect_uri": self.redirect_uri,
                                                 "client_secret": self.app_secret, "code": code})["access_token"]
        return self._get("oauth/access_token", {"grant_type": "fb_exchange_token", "client_id": self.app_id,
                                                "client_secret": self.app_secret,
                                                "fb_exchange_token": short})["access_token"]

    def pages(self, user_token: str) -> list[dict[str, str]]:
        return self._get("me/accounts", {"fields": "id,name,access_token", "access_token": user_token,
                                         "limit": 100}).get("data", [])

    def credentials(self, user_token: str, page: dict[str, str]) -> dict[str, str]:
        return {"page_id": str(page["id"]), "access_token": page["access_token"], "user_token": user_token,
                "app_id": self.app_id, "app_secret": self.app_secret}


@dataclass
class ZaloAuth(_Auth):
    app_id: str
    app_secret: str
    redirect_uri: str
    http: Http
    pkce = True
    picks_a_page = False

    def consent_url(self, state: str, challenge: str) -> str:
        return "https://oauth.zaloapp.com/v4/oa/permission?" + urlencode({
            "app_id": self.app_id, "redirect_uri": self.redirect_uri, "code_challenge": challenge, "state": state})

    def exchange(self, params: dict[str, str], verifier: str) -> dict[str, str]:
        resp = self.http.request("POST", "https://oauth.zaloapp.com/v4/oa/access_token", platform="zalo",
                                 headers={"secret_key": self.app_secret},
                                 data={"code": params.get("code", ""), "app_id": self.app_id,
                                       "grant_type": "authorization_code", "code_verifier": verifier})
        body = json_body(resp)
        if not body.get("access_token"):
            raise Rejected(_("zalo: the code was refused ({value}).", value=body.get('error_description') or body.get('error')),
                           platform="zalo")
        oa_id = params.get("oa_id", "")
        if not oa_id:
            raise Rejected(_("zalo: the pasted address has no oa_id; paste the whole address Zalo sent you to."),
                           platform="zalo")
        return {"oa_id": oa_id, "app_id": self.app_id, "app_secret": self.app_secret,
                "access_token": body["access_token"], "refresh_token": body["refresh_token"],
                "expires_at": _expires(body.get("expires_in"))}


@dataclass
class TikTokAuth(_Auth):
    """TikTok's Login Kit, by the kind of app registered in TikTok's developer portal: a desktop
    app redirects to this computer (a loopback address with a port) and its PKCE challenge is the
    hex SHA-256 of the verifier ("You must use hex encoding of SHA256", Login Kit for Desktop; TikTok's
    Android SDK, PKCEUtils.kt); a web app redirects to the server's https address and its challenge
    is RFC 7636's base64url (UNVERIFIED: TikTok's web page does not say)."""

    client_key: str
    client_secret: str
    redirect_uri: str
    http: Http
    pkce = True
    picks_a_page = False
    default_redirect = "http://127.0.0.1:8765/loa-callback"  # a desktop app: loopback, with a port

    @staticmethod
    def challenge_encoding(redirect_uri: str) -> str:
        return "hex" if app_kind(redirect_uri) == "desktop" else "base64url"

    @staticmethod
    def redirect_problem(redirect_uri: str) -> tuple[str, str] | None:
        from urllib.parse import urlsplit

        parts = urlsplit(redirect_uri)
        if app_kind(redirect_uri) == "desktop" and parts.port is None:
            return (_("tiktok: a desktop app's redirect address is this computer with a port, e.g. "
                      "http://127.0.0.1:8765/loa-callback."),
                    _("Register that address for the app in TikTok's developer portal and give it with "
                      "--redirect-uri."))
        if app_kind(redirect_uri) == "web" and parts.scheme != "https":
            return (_("tiktok: a web app's redirect address must be https."),
                    _("Serve the workspace at an https address (see \"On a server, behind HTTPS\") and register "
                      "its address for the app."))
        return None

    def consent_url(self, state: str, challenge: str) -> str:
        return "https://www.tiktok.com/v2/auth/authorize/?" + urlencode({
            "client_key": self.client_key, "scope": TIKTOK_SCOPES, "response_type": "code",
            "redirect_uri": self.redirect_uri, "state": state, "code_challenge": challenge,
            "code_challenge_method": "S256"})

    def exchange(self, params: dict[str, str], verifier: str) -> dict[str, str]:
        resp = self.http.request("POST", "https://open.tiktokapis.com/v2/oauth/token/", platform="tiktok",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                                 data={"client_key": self.client_key, "client_secret": self.client_secret,
                                       "code": params.get("code", ""), "grant_type": "authorization_code",
                                       "redirect_uri": self.redirect_uri, "code_verifier": verifier})
        body = json_body(resp)
        if not body.get("access_token"):
            raise Rejected(_("tiktok: the code was refused ({value}).", value=body.get('error_description') or body.get('error')),
                           platform="tiktok")
        missing = {"video.publish", "video.upload"} - set((body.get("scope") or "").split(","))
        if missing == {"video.publish", "video.upload"}:
            raise Rejected(_("tiktok: the account did not allow posting videos (video.publish / video.upload); "
                             "connect again and tick every permission."), platform="tiktok")
        return {"client_key": self.client_key, "client_secret": self.client_secret, "open_id": body["open_id"],
                "access_token": body["access_token"], "refresh_token": body["refresh_token"],
                "expires_at": _expires(body.get("expires_in")),
                "refresh_expires_at": _expires(body.get("refresh_expires_in")), "scope": body.get("scope") or ""}


AUTH = {L.FACEBOOK: FacebookAuth, L.ZALO: ZaloAuth, L.TIKTOK: TikTokAuth}  # by platform


def new_state() -> str:
    return secrets.token_urlsafe(16)
