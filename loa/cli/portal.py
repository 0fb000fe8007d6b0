"""`loa portal`: the campaign's upload link, its QR code, and the server behind it."""
from __future__ import annotations

from pathlib import Path

import click

from .app import App, pass_app
from .language import LoaGroup
from content_queue.i18n import _


@click.group(cls=LoaGroup)
def portal() -> None:
    """The upload portal: participants send their clip from a phone through the campaign's link."""


@portal.command("link")
@click.option("--public-url", default="",
              help="The address people reach the portal at (default: the campaign's, `loa campaign set --public-url`, "
                   "else http://127.0.0.1:8800).")
@click.option("--qr", "qr_file", type=click.Path(dir_okay=False, path_type=Path), help="Write the QR code PNG here.")
@pass_app
def link(app: App, public_url: str, qr_file: Path | None) -> None:
    """Print the campaign's upload link (with its unguessable token) and write a QR code PNG for
    posters, bookmarks and the trailer.

    \b
    Example:
      loa portal link --public-url https://video.congan-xa.example --qr ma-qr.png
    """
    import qrcode

    from content_queue.campaigns import portal_link

    with app.session() as s:
        url = portal_link(s, app.campaign(s), public_url)
    qr_file = qr_file or app.folder.root / "portal-qr.png"
    img = qrcode.make(url, box_size=12, border=4)
    img.save(qr_file)
    click.echo(url)
    click.echo(_("QR code written to {qr_file}", qr_file=qr_file))


@portal.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 to accept phones on the local network.")
@click.option("--port", type=int, default=8800, show_default=True)
@click.option("--max-mb", type=int, default=500, show_default=True, help="Largest video accepted.")
@click.option("--per-hour", type=int, default=20, show_default=True, help="Uploads started per address per hour.")
@click.option("--trusted-proxy", "trusted", default="",
              help="The reverse proxy in front (e.g. 127.0.0.1): only its forwarded headers say who the client is.")
@pass_app
def serve(app: App, host: str, port: int, max_mb: int, per_hour: int, trusted: str) -> None:
    """Serve the portal with waitress until Ctrl-C. Uploads go through the same checks and consent
    rules as `loa clips add` and wait for review in `loa clips list`.

    \b
    Example:
      loa portal serve --host 0.0.0.0 --port 8800
    """
    import waitress

    from ..portal.app import Portal, ensure_token

    with app.session() as s:
        campaign_id = app.campaign(s).id
    token = ensure_token(app.folder.sessions, campaign_id)
    wsgi = Portal.of_folder(app.folder, campaign_id, max_bytes=max_mb * 1024 * 1024, per_address=per_hour)
    proxy = proxy_options(trusted, app.folder)
    click.echo(_("Portal at http://{host}:{port}/c/{token}  (Ctrl-C to stop)", host=host, port=port, token=token))
    # Bodies over 1 MB spill to disk inside waitress, and the app streams them on to the file.
    waitress.serve(wsgi, host=host, port=port, threads=4, max_request_body_size=max_mb * 1024 * 1024 + 1,
                   inbuf_overflow=1024 * 1024, ident="loa-portal", _quiet=True, **proxy)


def proxy_options(trusted: str, folder) -> dict:
    """waitress's settings for the proxy named by --trusted-proxy (or LOA_TRUSTED_PROXY), if any."""
    from ..proxy import waitress_options

    try:
        return waitress_options(trusted or folder.settings.trusted_proxy)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--trusted-proxy") from None
