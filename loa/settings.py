"""The campaign folder: ``loa.toml``, the SQLite database and the ``media/`` store.

Every command finds the folder from ``LOA_HOME`` or from the current directory upwards.
``LOA_DATABASE_URL`` points it at another database (PostgreSQL for many workers).
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

CONFIG_NAME = "loa.toml"
DB_NAME = "loa.db"
MEDIA_DIR = "media"


@dataclass
class Folder:
    root: Path
    config: dict[str, Any] = field(default_factory=dict)

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
    def database_url(self) -> str:
        env = os.environ.get("LOA_DATABASE_URL")
        if env:
            return env
        configured = self.config.get("store", {}).get("database_url")
        if configured:
            return configured
        name = self.config.get("store", {}).get("database", DB_NAME)
        return f"sqlite:///{self.root / name}"

    @cached_property
    def engine(self):
        from content_queue.store import make_engine

        return make_engine(self.database_url, create_file=False)

    @cached_property
    def sessions(self):
        from content_queue.store import session_factory

        return session_factory(self.engine)


def load(root: Path) -> Folder:
    path = root / CONFIG_NAME
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path} is not valid TOML: {exc}.", fix="Fix the file by hand or restore it.") from None
    if "campaign" not in config or "slug" not in config["campaign"]:
        raise UserError(f"{path} names no campaign.", fix='It needs [campaign] slug = "...".')
    return Folder(root=root, config=config)


def find(start: Path | None = None) -> Folder:
    """The campaign folder: ``LOA_HOME``, else the first folder upwards holding loa.toml."""
    home = os.environ.get("LOA_HOME")
    if home:
        root = Path(home).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            raise UserError(f"LOA_HOME is {root}, but there is no {CONFIG_NAME} there.",
                            fix="Run `loa init` there, or fix LOA_HOME.")
        return load(root)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return load(folder)
    raise UserError("This is not a campaign folder (no loa.toml here or above).",
                    fix="Run `loa init` to make one, cd into one, or set LOA_HOME.")


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
