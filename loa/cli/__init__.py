"""The `loa` command line: a thin click layer over content_queue, scheduler and recap, one module
per noun (campaign, channel and connect, post, clips, recap, portal, run, sandbox; the folder's
own commands, init, migrate and demo, are here)."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from connectors.credentials import scrub
from content_queue.errors import UserError
from content_queue.i18n import LANGUAGES, _

from .. import __version__, settings
from . import language as language_module
from .app import App, parse_date as _date, pass_app

log = logging.getLogger("loa")

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# Bad options are a user error like any other: exit status 1 (click's own default is 2).
click.exceptions.UsageError.exit_code = 1


class LoaGroup(language_module.LoaGroup):
    """Turns the library's UserError into click's one-line error (exit 1), never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UserError as exc:
            raise click.ClickException(scrub(exc)) from None


@click.group(cls=LoaGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="loa")
@click.option("-v", "--verbose", is_flag=True, help="Also print the log to the terminal.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """loa carries one campaign's message to Facebook Pages, Zalo OA and TikTok on schedule,
    collects participants' challenge clips and cuts them into a recap video.

    \b
    Start here:
      loa init chien-dich --campaign "Không một mình – Cùng nhau an toàn trực tuyến" \\
          --hashtags "#khongmotminh #antoantructuyen #niemtinso"
      cd chien-dich
      loa channel add facebook --name fanpage --credentials fb.json
      loa post add --text "Xin chào!" --at "2025-10-20 08:00" --to facebook
      loa post list

    Every command finds the campaign folder from the current directory upwards, or from
    LOA_HOME. LOA_DATABASE_URL points it at another database (e.g. PostgreSQL).
    """
    from content_queue.private import owner_only

    owner_only()  # every file and folder loa makes from here on is the officer's alone
    ctx.obj = App(verbose=verbose)


@cli.command(cls=language_module.LoaCommand)
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--campaign", "name", required=True, help="The campaign's name (Vietnamese is fine).")
@click.option("--hashtags", default="", help='The campaign\'s hashtags, e.g. "#khongmotminh #antoantructuyen".')
@click.option("--tz", default="Asia/Ho_Chi_Minh", show_default=True, help="The campaign's time zone (IANA name).")
@click.option("--message", default="", help="The campaign's message, shown on the recap and the portal.")
@click.option("--start", "starts_on", help="First day of the campaign, e.g. 2025-10-06.")
@click.option("--end", "ends_on", help="Last day of the campaign, e.g. 2025-11-30.")
@click.option("--language", type=click.Choice(LANGUAGES), default="vi", show_default=True,
              help="The language loa speaks for this campaign (LOA_LANG overrides it).")
def init(directory: Path, name: str, hashtags: str, tz: str, message: str, starts_on: str | None,
         ends_on: str | None, language: str) -> None:
    """Make a campaign folder: loa.toml, the database (readable by you only) and media/.

    Run on a folder that already is a campaign folder, it changes nothing and says so.

    \b
    Example:
      loa init khong-mot-minh --campaign "Không một mình – Cùng nhau an toàn trực tuyến" \\
          --hashtags "#khongmotminh #antoantructuyen #niemtinso" --tz Asia/Ho_Chi_Minh \\
          --start 2025-10-06 --end 2025-11-30
    """
    from content_queue.campaigns import create_campaign, slugify
    from content_queue.store import make_engine, migrate, session_factory, transaction

    root = directory.expanduser().resolve()
    if (root / settings.CONFIG_NAME).exists():
        folder = settings.load(root)
        click.echo(_("{root} is already a campaign folder ({campaign_slug}); nothing was changed.",
                     root=root, campaign_slug=folder.campaign_slug))
        return
    start, end = _date(starts_on, "--start"), _date(ends_on, "--end")
    root.mkdir(parents=True, exist_ok=True)
    config = {"campaign": {"slug": slugify(name)}, "store": {"database": settings.DB_NAME, "media": settings.MEDIA_DIR}}
    folder = settings.Folder(root=root, config=config)
    engine = make_engine(folder.database_url, create_file=True)
    try:
        migrate(engine)
        with transaction(session_factory(engine)) as s:
            campaign = create_campaign(s, name=name, hashtags=hashtags, tz=tz, message=message,
                                       starts_on=start, ends_on=end, language=language)
            slug, campaign_language = campaign.slug, campaign.language
    finally:
        engine.dispose()
    config["campaign"]["slug"] = slug
    folder.media_dir.mkdir(exist_ok=True)
    settings.write_config(root, config)
    language_module.speak(settings.Settings.read().lang or campaign_language)
    click.echo(_("Made campaign folder {root}", root=root))
    click.echo(_("  campaign: {name} ({slug})", name=name, slug=slug))
    click.echo(_("  database: {url}", url=folder.database_url))
    click.echo(_("Next: cd into it and add channels with `loa channel add --help`."))


@cli.command(cls=language_module.LoaCommand)
@pass_app
def migrate(app: App) -> None:
    """Upgrade the database to this version of loa, keeping all data.

    SQLite folders upgrade by themselves; run this once for PostgreSQL, with every
    `loa run` worker stopped.

    \b
    Example:
      LOA_DATABASE_URL=postgresql://loa@db/loa loa migrate
    """
    from content_queue.store import current_revision, head_revision, make_engine
    from content_queue.store import migrate as do_migrate

    folder = settings.find()
    engine = make_engine(folder.database_url)
    before = current_revision(engine)
    do_migrate(engine)
    click.echo(_("database at revision {head_revision} (was {value})", head_revision=head_revision(), value=before or 'empty'))


@cli.command(cls=language_module.LoaCommand)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> None:
    """Run the whole job on the embedded campaign "Không một mình", in a fresh folder
    (a temporary one unless DIRECTORY is given), and keep the folder to explore.

    \b
    Example:
      loa demo
      loa demo ~/thu-nghiem
    """
    from ..demo import run_demo

    run_demo(directory, cli)


def _register() -> None:
    from . import (backup, campaign, channel, clips, connect, frame, insights, materials, notify, pledge, portal, post,
                   privacy, queue, recap, report, run, sandbox, serve, series, user)

    cli.add_command(campaign.campaign)
    channel.channel.add_command(connect.connect)
    cli.add_command(channel.channel)
    cli.add_command(post.post)
    cli.add_command(sandbox.sandbox)
    cli.add_command(clips.clips)
    cli.add_command(pledge.pledge)
    cli.add_command(privacy.privacy)
    cli.add_command(frame.frame)
    cli.add_command(queue.queue)
    cli.add_command(backup.backup)
    cli.add_command(notify.notify)
    cli.add_command(backup.restore)
    cli.add_command(series.series)
    cli.add_command(recap.recap)
    cli.add_command(portal.portal)
    cli.add_command(user.user)
    cli.add_command(insights.insights)
    for command in (serve.serve, run.run, run.status, run.retry, run.resolve, report.report, materials.materials):
        cli.add_command(command)


_register()


def main() -> None:
    """Entry point: user errors are one message and exit 1; never a traceback for bad input."""
    try:
        rv = cli.main(prog_name="loa", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        exc.show()
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug of ours: say so, keep the details in the log
        log.exception("unexpected error")
        click.secho(_("Error: something unexpected went wrong ({name}: {scrub}).", name=type(exc).__name__, scrub=scrub(exc)),
                    fg="red", err=True)
        click.echo(_("Details are in logs/loa.log in the campaign folder; please report them."), err=True)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
