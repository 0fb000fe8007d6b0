"""The keeping period's daily step, beside `loa run` and `loa serve`: once an hour (and at once
when it starts) it looks whether the day has come, and erases what content_queue.privacy says."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Callable

log = logging.getLogger("loa.privacy")


def step(folder, campaign_id: int, now: datetime) -> dict | None:
    """Erase what is due (once): what was erased, or None when nothing was due."""
    from content_queue import privacy
    from content_queue.models import Campaign
    from content_queue.store import reclaim, transaction

    with folder.sessions() as s:  # a read first: on every other day this is all there is
        c = s.get(Campaign, campaign_id)
        if c is None or not privacy.is_due(c, now):
            return None
        if c.purged and not any(privacy.counts_of(privacy.leftovers(s, c, folder.media_dir,
                                                                     folder.root / "uploads")).values()):
            return None  # erased already, and nothing came in since
    with transaction(folder.sessions) as s:
        c = s.get(Campaign, campaign_id)
        said = privacy.purge(s, c, media_dir=folder.media_dir, upload_dir=folder.root / "uploads", now=now)
    reclaim(folder.engine)  # the deleted rows' bytes, out of the database file too
    log.warning("keeping period over: erased %s", said["erased"])
    return said


class Keeper:
    def __init__(self, folder, campaign_id: int, *, every: float = 3600.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.folder, self.campaign_id, self.every, self.clock = folder, campaign_id, every, clock
        self._stop = threading.Event()

    def start(self) -> "Keeper":
        threading.Thread(target=self._loop, name="loa-keeping", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while True:
            try:
                step(self.folder, self.campaign_id, self.clock())
            except Exception:  # noqa: BLE001 - the server goes on; it is tried again in an hour
                log.exception("keeping period: the step failed")
            if self._stop.wait(self.every):
                return
