"""Participants' videos are the officer's alone on the computer: everything loa makes in a campaign
folder (the database, the media store, uploads, recaps, logs, reports) is readable by its owner
only, folders 0700 and files 0600 (0400 for the media store's never-modified copies), whatever
the account's umask; a folder made by an older loa is tightened once, when loa next opens it."""
from __future__ import annotations

import os
import stat
from pathlib import Path

UMASK = 0o077


def owner_only() -> None:
    """From now on this process creates files 0600 and folders 0700 (loa's commands and servers
    call it first: a participant's clip must not be readable by another account on the computer)."""
    os.umask(UMASK)


def is_tight(root: Path) -> bool:
    try:
        return not (root.stat().st_mode & 0o077)
    except OSError:
        return True


def tighten(root: Path) -> int:
    """Take every other account's access away from ``root`` and everything under it (symbolic
    links are left alone); how many entries changed. Read-only files stay read-only."""
    changed = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [None, *filenames]:
            path = Path(dirpath) if name is None else Path(dirpath) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                continue
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISDIR(st.st_mode):
                want = 0o700
            else:
                want = 0o600 if mode & 0o200 else 0o400
            if mode != want:
                try:
                    os.chmod(path, want)
                    changed += 1
                except OSError:
                    continue
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]
    return changed
