"""The command line in the officer's language: the command's language is chosen before click
parses anything (so that its usage errors speak it too), and every help text is translated when
it is shown.

The language is LOA_LANG, else the campaign's (``loa campaign set --language``), else Vietnamese.
The campaign's is read from its one home, the ``campaigns`` table; for the SQLite file of a campaign
folder that is one query through the standard library's sqlite3, so that ``loa --help`` stays quick.

Click's own messages ("Usage:", "Missing argument", "No such option") come through the same
catalogue: click asks the standard gettext, whose domain is pointed at loa's.
"""
from __future__ import annotations

import gettext
import inspect
import os
import sqlite3
from contextlib import closing, contextmanager
from typing import Iterator

import click

from content_queue import i18n
from content_queue.i18n import _

from .. import settings


def campaign_language(folder: settings.Folder) -> str | None:
    """The campaign's language as stored, or None when it cannot be read quickly and safely."""
    url = folder.database_url
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if not os.path.isfile(path):
            return None
        try:
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as db:
                row = db.execute("SELECT language FROM campaigns WHERE slug = ?", (folder.campaign_slug,)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None
    try:  # another database (PostgreSQL): through SQLAlchemy Core, without the ORM
        from sqlalchemy import text

        from content_queue.store import make_engine

        engine = make_engine(url, create_file=False)
        try:
            with engine.connect() as conn:
                return conn.execute(text("SELECT language FROM campaigns WHERE slug = :slug"),
                                    {"slug": folder.campaign_slug}).scalar()
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001 (an unreachable database is reported by the command itself)
        return None


def command_language() -> str:
    env = settings.Settings.read()
    if env.lang:
        return i18n.choose(env.lang)
    try:
        folder = settings.find(settings=env)
    except Exception:  # noqa: BLE001 (outside a campaign folder: the default)
        return i18n.DEFAULT
    return i18n.choose(campaign_language(folder))


def speak(lang: str | None) -> None:
    """Speak ``lang`` for the rest of this process: loa's messages and click's own."""
    i18n.set_language(lang)
    gettext.bindtextdomain(i18n.DOMAIN, str(i18n.LOCALE_DIR))
    gettext.textdomain(i18n.DOMAIN)
    settings.tell_gettext(i18n.current())


_BUILDERS: dict[str, object] = {}  # English text -> how to make it again in the language spoken


class Deferred(str):
    """A help text made when it is shown (from the platforms' facts and translated parts), for the
    few that cannot be one literal; as a ``str`` it is the English text (click keeps a copy of it,
    so the text itself finds its builder again)."""

    def __new__(cls, build):
        from content_queue.i18n import use

        with use("en"):
            self = super().__new__(cls, build())
        _BUILDERS[str(self)] = build
        return self


def help_key(text: str | None) -> str | None:
    """The catalogue's key for a help text: as click shows it (docstrings' indentation removed)."""
    return inspect.cleandoc(text) if text else text


HELP_OPTION = "Show this message and exit."  # click's own words for --help (in the catalogue with click's)


@contextmanager
def translated(command: click.Command, ctx: click.Context | None = None) -> Iterator[None]:
    """The command's help texts, and its options', translated while click formats them."""
    saved = [(command, "help", command.help), (command, "short_help", command.short_help),
             (command, "epilog", command.epilog)]
    saved += [(p, "help", p.help) for p in command.params if getattr(p, "help", None)]
    help_option = command.get_help_option(ctx) if ctx is not None else None
    if help_option is not None:  # made once by click, in whatever language was spoken then
        saved.append((help_option, "help", HELP_OPTION))
    for obj, attr, value in saved:
        if value:
            build = _BUILDERS.get(value)
            setattr(obj, attr, build() if build else _(help_key(value)))
    try:
        yield
    finally:
        for obj, attr, value in saved:
            setattr(obj, attr, value)


class Translated:
    """Help texts translated while click formats them (see :func:`translated`)."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with translated(self, ctx):
            super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        with translated(self):
            return super().get_short_help_str(limit)


class LoaCommand(Translated, click.Command):
    pass


class LoaGroup(Translated, click.Group):
    """Speaks the command's language from the first argument parsed; its commands and subgroups
    are made with these classes too, so every help text is translated."""

    command_class = LoaCommand
    group_class = type  # subgroups are LoaGroups

    def make_context(self, info_name, args, parent=None, **extra):
        if parent is None:
            speak(command_language())
        return super().make_context(info_name, args, parent=parent, **extra)
