"""`loa materials`: the campaign's printed materials (poster, flyer, bookmark) as PDF."""
from __future__ import annotations

from pathlib import Path

import click

from content_queue.i18n import _

from ..materials import KINDS
from .app import App, emit_json, pass_app
from .language import LoaCommand


@click.command("materials", cls=LoaCommand)
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="The PDF to write (default: KIND.pdf here). An existing file is kept unless --force.")
@click.option("--public-url", default="", help="The address the QR code links to (default: the campaign's).")
@click.option("--force", is_flag=True, help="Replace the --out file if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the file written and the link in its QR code.")
@pass_app
def materials(app: App, kind: str, out: Path | None, public_url: str, force: bool, as_json: bool) -> None:
    """Print-ready PDF with the campaign's name, message, hashtags, help line and the QR code of its
    link: an A4 poster for the school gate and halls, an A6 flyer, a bookmark (5 x 18 cm). Set the
    help line and the public address first (`loa campaign set --help-line ... --public-url ...`).

    \b
    Examples:
      loa materials poster --out ap-phich.pdf
      loa materials bookmark --out danh-dau-trang.pdf --public-url https://loa.congan-xa.example
    """
    from .. import materials as M

    with app.session() as s:
        facts = M.facts_of(s, app.campaign(s), public_url)
    written = M.write(kind, facts, out or Path(f"{kind}.pdf"), force=force)
    if as_json:
        emit_json({"file": str(written), "link": facts.link})
    else:
        click.echo(_("{what} written to {path}; its QR code opens {link}", what=M.label(kind), path=written,
                     link=facts.link))
