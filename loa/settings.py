"""The campaign folder (``loa.toml``, the SQLite database, the ``media/`` store) and the one
object that reads loa's environment variables.

Every command finds the folder from ``LOA_HOME`` or from the current directory upwards.
``LOA_DATABASE_URL`` points it at another database (PostgreSQL for many workers). Every
``LOA_*`` variable is read in one place, :meth:`Settings.read`, once per command; the rest of loa
is handed the values (the connectors and the scheduler read no environment).
"""
from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import tomli_w

from connectors.credentials import ScrubFilter
from content_queue.errors import UserError
from content_queue.i18n import _

CONFIG_NAME = "loa.toml"


@dataclass(frozen=True)
class Settings:
    """loa's environment variables, read once. For rehearsals and tests, the timings are seconds.

    ============================  ===========================================================
    ``LOA_HOME``                  the campaign folder (else: the current directory, upwards)
    ``LOA_DATABASE_URL``          another database, e.g. ``postgresql://loa@server/loa``
    ``LOA_API_BASE``              send every platform call to this sandbox address instead
    ``LOA_HTTP_CONNECT_TIMEOUT``  seconds to connect to a platform (default 10)
    ``LOA_HTTP_READ_TIMEOUT``     seconds to wait for a platform's answer (default 120)
    ``LOA_BACKOFF_BASE``          first retry wait, doubled each time (default 30)
    ``LOA_LEASE_SECONDS``         a worker silent this long has stopped (default 90)
    ``LOA_FOLLOW_EVERY``          between checks of a video the platform processes (default 15)
    ``LOA_RECONCILE_EVERY``       first wait before asking again "did it go out?" (default 30)
    ``LOA_CATCH_UP_SPACING``      between a backlog's posts on one channel (default 120)
    ``LOA_ZALO_RATE_LIMIT_WAIT``  wait after Zalo's rate-limit answer, which says none (default 60)
    ``LOA_LANG``                  the language loa speaks, vi or en (default: the campaign's, vi)
    ``LOA_PROCESSING_WINDOW``     how long a platform may take to list what it received (default:
                                  the platform's, Zalo 600, Facebook 120); for rehearsals
    ``LOA_TRUSTED_PROXY``         the reverse proxy's address (e.g. 127.0.0.1): only its forwarded
                                  headers say who the client is
    ``LOA_DISK_MARGIN_MB``        uploads are refused when the media disk has less free (default 2048)
    ``LOA_MEDIA_QUOTA_MB``        the most the media store and uploads may take (default: no limit)
    ============================  ===========================================================
    """

    home: str = ""
    lang: str = ""
    database_url: str = ""
    api_base: str = ""
    http_connect_timeout: float = 10.0
    http_read_timeout: float = 120.0
    backoff_base: float | None = None
    lease_seconds: float | None = None
    follow_every: float | None = None
    reconcile_every: float | None = None
    catch_up_spacing: float | None = None
    zalo_rate_limit_wait: float | None = None
    processing_window: float | None = None
    trusted_proxy: str = ""
    disk_margin_mb: float = 2048.0
    media_quota_mb: float | None = None
    # secrets, never in a repr: the key that seals the tokens (else the folder's .secret-key), and the
    # passphrase of encrypted backups for a timer (else it is asked for)
    secret_key: str = field(default="", repr=False)
    backup_passphrase: str = field(default="", repr=False)

    @classmethod
    def read(cls, environ=None) -> "Settings":
        env = os.environ if environ is None else environ

        def number(name: str, default=None):
            raw = (env.get(name) or "").strip()
            if not raw:
                return default
            try:
                return float(raw)
            except ValueError:
                raise UserError(_("{name} is {raw!r}, not a number of seconds.", name=name, raw=raw), fix=_("Fix or unset {name}.", name=name)) from None

        return cls(home=(env.get("LOA_HOME") or "").strip(), lang=(env.get("LOA_LANG") or "").strip(),
                   database_url=(env.get("LOA_DATABASE_URL") or "").strip(),
                   api_base=(env.get("LOA_API_BASE") or "").strip().rstrip("/"),
                   http_connect_timeout=number("LOA_HTTP_CONNECT_TIMEOUT", 10.0),
                   http_read_timeout=number("LOA_HTTP_READ_TIMEOUT", 120.0),
                   backoff_base=number("LOA_BACKOFF_BASE"), lease_seconds=number("LOA_LEASE_SECONDS"),
                   follow_every=number("LOA_FOLLOW_EVERY"), reconcile_every=number("LOA_RECONCILE_EVERY"),
                   catch_up_spacing=number("LOA_CATCH_UP_SPACING"),
                   zalo_rate_limit_wait=number("LOA_ZALO_RATE_LIMIT_WAIT"),
                   processing_window=number("LOA_PROCESSING_WINDOW"),
                   trusted_proxy=(env.get("LOA_TRUSTED_PROXY") or "").strip(),
                   disk_margin_mb=number("LOA_DISK_MARGIN_MB", 2048.0), media_quota_mb=number("LOA_MEDIA_QUOTA_MB"),
                   secret_key=(env.get("LOA_SECRET_KEY") or "").strip(),
                   backup_passphrase=env.get("LOA_BACKUP_PASSPHRASE") or "")

    def http(self):
        """The HTTP helper every platform call goes through, with these settings."""
        from connectors.http import Http

        return Http(base=self.api_base or None, timeout=(self.http_connect_timeout, self.http_read_timeout))

    def policy(self):
        """The scheduler's patience, with the rehearsal overrides applied."""
        from datetime import timedelta

        from scheduler.engine import Policy

        p = Policy()
        for attr in ("backoff_base", "lease_seconds", "follow_every", "reconcile_every", "zalo_rate_limit_wait",
                     "processing_window"):
            if getattr(self, attr) is not None:
                setattr(p, attr, getattr(self, attr))
        if self.catch_up_spacing is not None:
            p.catch_up_spacing = timedelta(seconds=self.catch_up_spacing)
        return p
DB_NAME = "loa.db"
MEDIA_DIR = "media"


@dataclass
class Folder:
    root: Path
    config: dict[str, Any] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings.read)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def campaign_slug(self) -> str:
        return self.config["campaign"]["slug"]

    @property
    def media_dir(self) -> Path:
        return self.root / self.config.get("store", {}).get("media", MEDIA_DIR)

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def disk_margin_bytes(self) -> int:
        """What must stay free on the media store's disk: uploads are refused below it."""
        return int(self.settings.disk_margin_mb * 2 ** 20)

    @property
    def media_quota_bytes(self) -> int | None:
        return int(self.settings.media_quota_mb * 2 ** 20) if self.settings.media_quota_mb else None

    def space(self) -> dict[str, Any]:
        """The media store's disk: free and total bytes, the margin, whether uploads are taken."""
        import shutil

        usage = shutil.disk_usage(self.media_dir)
        margin = self.disk_margin_bytes
        return {"free_bytes": usage.free, "total_bytes": usage.total, "margin_bytes": margin,
                "uploads_accepted": usage.free > margin}

    @property
    def database_url(self) -> str:
        if self.settings.database_url:
            return self.settings.database_url
        configured = self.config.get("store", {}).get("database_url")
        if configured:
            return configured
        name = self.config.get("store", {}).get("database", DB_NAME)
        return f"sqlite:///{self.root / name}"

    @cached_property
    def engine(self):
        from content_queue import vault
        from content_queue.store import make_engine

        vault.use(self.root, self.settings.secret_key)  # the key that seals the tokens in this database

        return make_engine(self.database_url, create_file=False)

    @cached_property
    def sessions(self):
        from content_queue.store import session_factory

        return session_factory(self.engine)


def load(root: Path, settings: Settings | None = None) -> Folder:
    path = root / CONFIG_NAME
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(_("{path} is not valid TOML: {exc}.", path=path, exc=exc), fix=_("Fix the file by hand or restore it.")) from None
    if "campaign" not in config or "slug" not in config["campaign"]:
        raise UserError(_("{path} names no campaign.", path=path), fix=_("It needs [campaign] slug = \"...\"."))
    return Folder(root=root, config=config, settings=settings or Settings.read())


def child_environment(folder_root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a process of ours that loa starts (a job's): this one's, with the campaign
    folder as LOA_HOME (so that it reads the same settings), and ``extra`` on top."""
    return {**os.environ, "LOA_HOME": str(folder_root), **(extra or {})}


def find(start: Path | None = None, settings: Settings | None = None) -> Folder:
    """The campaign folder: ``LOA_HOME``, else the first folder upwards holding loa.toml."""
    settings = settings or Settings.read()
    if settings.home:
        root = Path(settings.home).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            raise UserError(_("LOA_HOME is {root}, but there is no {CONFIG_NAME} there.", root=root, CONFIG_NAME=CONFIG_NAME),
                            fix=_("Run `loa init` there, or fix LOA_HOME."))
        return load(root, settings)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return load(folder, settings)
    raise UserError(_("This is not a campaign folder (no loa.toml here or above)."),
                    fix=_("Run `loa init` to make one, cd into one, or set LOA_HOME."))


def write_config(root: Path, config: dict[str, Any]) -> None:
    header = (
        "# loa campaign folder. The campaign's details live in the database: change them with\n"
        "# `loa campaign set`. Here: which campaign this folder is, and where its files are.\n"
    )
    (root / CONFIG_NAME).write_text(header + tomli_w.dumps(config), encoding="utf-8")


_handlers: list[logging.Handler] = []


def setup_logging(folder: Folder | None, verbose: bool = False) -> None:
    """Log to ``logs/loa.log`` in the folder; every record passes the secret scrubber."""
    root = logging.getLogger()
    for old in _handlers:
        root.removeHandler(old)
        old.close()
    _handlers.clear()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    scrub = ScrubFilter()
    if folder is not None:
        try:
            folder.log_dir.mkdir(exist_ok=True)
            handler: logging.Handler = logging.FileHandler(folder.log_dir / "loa.log", encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            _handlers.append(handler)
        except OSError:
            pass
    if verbose:
        _handlers.append(logging.StreamHandler())
    for handler in _handlers:
        handler.addFilter(scrub)
        root.addHandler(handler)


def tell_gettext(language: str) -> None:
    """The standard gettext, which click's own messages go through, reads the language from
    LANGUAGE: set it for this process (and what it starts) to the command's."""
    os.environ["LANGUAGE"] = language
