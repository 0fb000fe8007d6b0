"""`loa sandbox`: the local stand-ins for the three platforms, for rehearsals and the demo."""
from __future__ import annotations

import json

import click

from connectors import PLATFORMS

from .app import emit_json
from .language import LoaGroup
from content_queue.i18n import _

LEVELS = {"none": 0.0, "light": 0.05, "moderate": 0.15, "heavy": 0.35}


@click.group(cls=LoaGroup)
def sandbox() -> None:
    """Local stand-ins for Facebook, Zalo and TikTok, to rehearse a campaign safely."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on.")
@click.option("--port", default=8700, show_default=True, type=int)
@click.option("--faults", type=click.Choice(list(LEVELS)), default="none", show_default=True,
              help="How often calls fail: 5xx, 429, timeouts and dropped connections after posting (and after "
                   "status reads and listings), expired tokens.")
@click.option("--seed", type=int, default=0, help="Seed for the faults, to replay a run.")
@click.option("--processing-seconds", type=float, default=2.0, show_default=True,
              help="How long the platforms take to process a video.")
def serve(host: str, port: int, faults: str, seed: int, processing_seconds: float) -> None:
    """Serve the sandbox until Ctrl-C. Point loa at it with LOA_API_BASE.

    \b
    Example:
      loa sandbox serve --port 8700 --faults moderate
      export LOA_API_BASE=http://127.0.0.1:8700
      loa channel add facebook --name thu --credentials <(loa sandbox account facebook)
    """
    from sandbox import Sandbox, SandboxServer

    sb = Sandbox(seed=seed, processing_seconds=processing_seconds)
    sb.set_faults(LEVELS[faults], reads=True)
    server = SandboxServer(sb, host=host, port=port)
    click.echo(_("Sandbox platforms on {base} (faults: {faults}).", base=server.base, faults=faults))
    click.echo(_("Use it with:  export LOA_API_BASE={base}", base=server.base))
    click.echo(_("Ledger of what was published:  loa sandbox ledger"))
    try:
        server.serve_forever()  # werkzeug's server returns on Ctrl-C itself; older ones raise
    except KeyboardInterrupt:
        pass
    click.echo(_("\nSandbox stopped."))


def _base(base: str | None) -> str:
    from ..settings import Settings

    base = base or Settings.read().api_base
    if not base:
        raise click.UsageError(_("Give --base or set LOA_API_BASE to the sandbox's address."))
    return base.rstrip("/")


def _control(method: str, base: str, what: str, payload: dict | None = None) -> dict:
    import requests

    try:
        resp = requests.request(method, f"{_base(base)}/_sandbox/{what}", json=payload, timeout=10)
    except requests.RequestException:
        raise click.ClickException(_("No sandbox answers at {value}; start one with `loa sandbox serve`.", value=_base(base))) from None
    return resp.json()


@sandbox.command("account")
@click.argument("platform", type=click.Choice(PLATFORMS))
@click.option("--base", help="The sandbox's address (default: LOA_API_BASE).")
@click.option("--expired", is_flag=True, help="Start with an expired access token.")
def account(platform: str, base: str | None, expired: bool) -> None:
    """Make a sandbox account and print its credentials as JSON (for `loa channel add --credentials`).

    \b
    Example:
      loa sandbox account zalo > zalo.json
    """
    click.echo(json.dumps(_control("POST", base, "accounts", {"platform": platform, "expired": expired}), indent=2))


@sandbox.command("ledger")
@click.option("--base", help="The sandbox's address (default: LOA_API_BASE).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def ledger(base: str | None, as_json: bool) -> None:
    """What the sandbox platforms published, and anything published twice.

    \b
    Example:
      loa sandbox ledger --json
    """
    data = _control("GET", base, "ledger")
    if as_json:
        emit_json(data)
        return
    for e in data["ledger"]:
        click.echo(f"{e['platform']:9} {e['kind']:6} {e['remote_id']:>34}  {' '.join(e['text'].split())[:60]}")
    click.echo(_("{count} published, {count2} published more than once.",
                 count=len(data['ledger']), count2=len(data['duplicates'])))
