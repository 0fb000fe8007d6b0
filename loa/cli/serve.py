"""`loa serve`: the workspace, the portal and the scheduler in one process."""
from __future__ import annotations

import signal
import threading

import click

from content_queue.i18n import _

from .app import App, pass_app
from .language import LoaCommand


@click.command("serve", cls=LoaCommand)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for other computers of the office network).")
@click.option("--port", type=int, default=8800, show_default=True, help="Port to listen on.")
@click.option("--no-scheduler", is_flag=True, help="Do not publish from this process (another `loa run` does).")
@click.option("--public-url", default="", help="The address people use, if not the campaign's (`loa campaign set "
              "--public-url`) nor http://HOST:PORT (https: secure cookies).")
@click.option("--trusted-proxy", "trusted", default="",
              help="The reverse proxy in front (e.g. 127.0.0.1): only its forwarded headers say who the client is "
                   "(LOA_TRUSTED_PROXY also sets it).")
@pass_app
def serve(app: App, host: str, port: int, no_scheduler: bool, public_url: str, trusted: str) -> None:
    """Serve the workspace at / and the campaign's upload portal at its link, run the long work
    the pages ask for (recap renders, clip imports), and run the scheduler (as `loa run` does)
    unless --no-scheduler. Open the address it prints.

    \b
    Examples:
      loa serve
      loa serve --host 0.0.0.0 --port 8800 --public-url https://loa.congan-xa.example
      loa serve --trusted-proxy 127.0.0.1 --public-url https://loa.congan-xa.example   # behind Caddy or nginx
    """
    import waitress

    from ..portal.app import Portal, ensure_token
    from ..workspace import create_app
    from .portal import proxy_options
    from .run import make_engine

    with app.session() as s:
        campaign = app.campaign(s)
        campaign_id, public_url = campaign.id, public_url or campaign.public_url
    ensure_token(app.folder.sessions, campaign_id)
    portal = Portal.of_folder(app.folder, campaign_id)
    address = public_url.rstrip("/") or f"http://{host}:{port}"
    wsgi = create_app(app.folder, public_url=address, portal=portal)
    proxy = proxy_options(trusted, app.folder)
    from ..jobs import JobRunner

    jobs = JobRunner(app.folder).start()  # renders and imports, each in a process of its own
    from ..notify import Notifier

    notices = Notifier(app.folder, campaign_id, link=address).start()  # e-mail when something goes wrong
    from ..keeping import Keeper

    keeper = Keeper(app.folder, campaign_id).start()  # erases what people sent when the keeping period is over
    runner = thread = None
    if not no_scheduler:
        from scheduler.runner import Runner, SpeedClock

        clock = SpeedClock(1.0)
        runner = Runner(make_engine(app, clock), clock, echo=click.echo)
        thread = threading.Thread(target=runner.forever, kwargs={"install_signals": False}, name="loa-scheduler",
                                  daemon=True)
        thread.start()

    def stop(signum, frame):  # SIGTERM (a service manager) stops as Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    with app.session() as s:
        has_users = bool(lazy_users().list_users(s))
    click.echo(_("Workspace at {address}/  (Ctrl-C to stop)", address=address))
    if not has_users:
        click.echo(_("No one can sign in yet: add a user with `loa user add NAME --role officer`."))
    try:
        waitress.serve(wsgi, host=host, port=port, threads=8, ident="loa", _quiet=True,
                       max_request_body_size=600 * 1024 * 1024, **proxy)
    finally:
        notices.stop()
        keeper.stop()
        jobs.stop()
        if runner is not None:  # the call in flight finishes, the worker retires, then the process ends
            runner.stop()
            thread.join(timeout=60)


def lazy_users():
    from content_queue import users

    return users
