"""A campaign on a real database, publishing to the sandbox through real HTTP, on a driven clock."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from connectors.http import Http
from sandbox import Sandbox, SandboxServer
from content_queue import channels as ch_service
from content_queue import posts as post_service
from content_queue.campaigns import create_campaign
from content_queue.store import make_engine, migrate, session_factory
from scheduler.engine import Engine, Policy

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)


class Clock:
    """Time that moves only when the test says so (shared by the engine and the sandbox)."""

    def __init__(self, start: datetime = T0) -> None:
        self.t = start

    def __call__(self) -> datetime:
        return self.t

    def ts(self) -> float:
        return self.t.timestamp()

    def advance(self, **kw) -> None:
        self.t += timedelta(**kw)


@dataclass
class World:
    url: str
    sessions: object
    engine_db: object
    media_dir: Path
    clock: Clock
    server: SandboxServer
    campaign_id: int
    channels: dict[str, int] = field(default_factory=dict)

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox

    def engine(self, **kw) -> Engine:
        policy = kw.pop("policy", None) or Policy(backoff_base=10, follow_every=5, reconcile_every=5, lease_seconds=60)
        return Engine(self.sessions, media_dir=self.media_dir, clock=self.clock, policy=policy,
                      http=Http(base=self.server.base, timeout=(2, 1.0)), sleep=lambda s: None, **kw)

    def add_channel(self, platform: str, name: str, **account) -> int:
        creds = self.sandbox.new_account(platform, **account)
        settings = {"cover_url": "https://example.org/bia.jpg"} if platform == "zalo" else {}
        with self.sessions.begin() as s:
            from content_queue.models import Campaign

            c = ch_service.add_channel(s, s.get(Campaign, self.campaign_id), platform=platform, name=name,
                                       credentials=creds, settings=settings)
            self.channels[name] = c.id
            return c.id

    def post(self, text: str, to: str, at: datetime | None = None, media: Path | None = None, **extra) -> list[int]:
        from content_queue.models import Campaign

        with self.sessions.begin() as s:
            campaign = s.get(Campaign, self.campaign_id)
            # a TikTok post carries the person's own choices (TikTok's posting rules): chosen here
            extra.setdefault("variants", {"tiktok": dict(TIKTOK_CHOSEN)})
            inp = post_service.PostInput(text=text, title=extra.pop("title", text[:60]), to=to,
                                         at=at or self.clock(), media=str(media) if media else "", **extra)
            post, _ = post_service.add_post(s, campaign, inp, media_dir=self.media_dir, now=self.clock() - timedelta(minutes=5))
            return [d.id for d in post.deliveries] if post.deliveries else []

    def delivery(self, delivery_id: int):
        from content_queue.models import Delivery

        with self.sessions() as s:
            d = s.get(Delivery, delivery_id)
            s.expunge(d)
            return d

    def ledger(self, text: str | None = None) -> list[dict]:
        return [e for e in self.sandbox.ledger if text is None or text[:40] in e["text"]]


TIKTOK_CHOSEN = {"privacy": "PUBLIC_TO_EVERYONE", "music": "yes"}


def make_world(db_url: str, tmp_path: Path, server: SandboxServer, clock: Clock) -> World:
    engine_db = make_engine(db_url, create_file=True)
    migrate(engine_db)
    sessions = session_factory(engine_db)
    with sessions.begin() as s:
        c = create_campaign(s, name="Không một mình", hashtags="#khongmotminh #antoantructuyen", tz="Asia/Ho_Chi_Minh")
        cid = c.id
    media_dir = tmp_path / "media"
    media_dir.mkdir(exist_ok=True)
    return World(db_url, sessions, engine_db, media_dir, clock, server, cid)
