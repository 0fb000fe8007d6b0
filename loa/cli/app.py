"""The context every command shares: the campaign folder, its database and its campaign."""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterator

import click
from content_queue.errors import UserError
from content_queue.timeutil import iso, show

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from content_queue.models import Campaign

from .. import settings
from content_queue.i18n import _


def lazy(module: str):
    """A module imported the first time it is used: commands that do not touch the database (or
    the platforms) do not pay for importing SQLAlchemy's ORM (or requests), so `--help` is quick."""
    import importlib

    class Lazy:
        def __getattr__(self, name: str):
            return getattr(importlib.import_module(module), name)

    return Lazy()


class App:
    """Found lazily, so that `loa init` and `--help` work outside a campaign folder."""

    def __init__(self, verbose: bool = False) -> None:
        self.verbose = verbose
        self.now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)

    @cached_property
    def settings(self) -> settings.Settings:
        """The LOA_* environment, read once for this command."""
        return settings.Settings.read()

    @cached_property
    def folder(self) -> settings.Folder:
        folder = settings.find(settings=self.settings)
        from content_queue.private import is_tight, tighten

        if not is_tight(folder.root):  # made by an older loa, or copied in: close it once
            tighten(folder.root)
        settings.setup_logging(folder, self.verbose)
        self._ensure_schema(folder)
        self._remember_secrets(folder)
        return folder

    @staticmethod
    def _remember_secrets(folder: settings.Folder) -> None:
        """Teach the log scrubber every stored secret, whatever path might log one; and seal what an
        older loa kept in plain text (content_queue/vault.py)."""
        from sqlalchemy import select

        from content_queue.models import Channel
        from content_queue.store import transaction
        from content_queue.channels import seal_plain_rows

        from content_queue.errors import UserError

        with transaction(folder.sessions) as s:  # one transaction at every command's start, not two
            sealed = seal_plain_rows(s)
            for channel in s.scalars(select(Channel)):
                try:
                    channel.credentials  # noqa: B018 (reading it wraps the values in Secret, which remembers them)
                except UserError:  # sealed with a key that is not here: said where the channel is used
                    continue
        if sealed:
            from content_queue.store import reclaim

            reclaim(folder.engine)  # the plain text's old bytes, out of the database file

    def _ensure_schema(self, folder: settings.Folder) -> None:
        from content_queue.store import is_sqlite, migrate, schema_is_current

        engine = folder.engine
        if schema_is_current(engine):  # one query; Alembic is loaded only to upgrade
            return
        if is_sqlite(folder.database_url):
            migrate(engine)  # one office, one file: upgrade in place, keeping all data
            return
        raise UserError(_("The database was made by another version of loa."),
                        fix=_("Stop every `loa run` worker, then run `loa migrate` once."))

    @contextmanager
    def session(self) -> Iterator[Session]:
        from content_queue.posts import reading_account_facts
        from content_queue.store import transaction

        with reading_account_facts(self.engine), transaction(self.folder.sessions) as s:
            yield s

    def engine(self, clock: Callable[[], datetime] | None = None, on_event=None):
        """The scheduler's engine on this folder (its reads of the platforms, publishing)."""
        from scheduler.engine import Engine

        return Engine(self.folder.sessions, media_dir=self.folder.media_dir, clock=clock or self.now,
                      policy=self.settings.policy(), http=self.settings.http(), on_event=on_event)

    def campaign(self, session: Session) -> Campaign:
        from content_queue.campaigns import get_campaign

        return get_campaign(session, self.folder.campaign_slug)

    def show_time(self, campaign: Campaign) -> Callable[[datetime | None], str]:
        return lambda dt: show(dt, campaign.timezone)

    def iso_time(self, campaign: Campaign) -> Callable[[datetime | None], str | None]:
        return lambda dt: iso(dt, campaign.timezone)


pass_app = click.make_pass_decorator(App, ensure=True)


def parse_date(value: str | None, name: str):
    from datetime import date

    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(_("{name} {value!r} is not a date.", name=name, value=value), fix=_("Write it as 2025-11-30.")) from None


def read_password(confirm: bool = True) -> str:
    """From standard input when it is not a terminal (one line), else asked (twice unless not
    ``confirm``), hidden."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(_("Password"), hide_input=True, confirmation_prompt=confirm)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def warn(message: str) -> None:
    click.secho(_("warning: {message}", message=message), fg="yellow", err=True)


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain text table that lines up Vietnamese text (one column per code point, NFC)."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    fmt = lambda r: "  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip()  # noqa: E731
    return "\n".join([fmt(headers), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def preview(text: str, width: int = 50) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


def is_interactive() -> bool:
    return sys.stdin.isatty()
