"""The officer hears about trouble without looking: a failed or missed post, a delivery needing
attention, a channel to connect again, tomorrow's preflight warnings and a stopped scheduler are
sent by e-mail (the campaign's SMTP settings, STARTTLS unless turned off, the password kept like
the channels' tokens), in the campaign's language, with the link into the workspace; each kind at
most once an hour, and only for what was not told before."""
from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Callable

from sqlalchemy import func, select

from content_queue.errors import UserError
from content_queue.i18n import N_, _, use
from content_queue.models import Campaign, Channel, ChannelHealth, Delivery, DeliveryState, Post, Worker

log = logging.getLogger("loa.notify")
S = DeliveryState
EVERY = timedelta(hours=1)
STOPPED_AFTER = timedelta(minutes=5)
KINDS = {"failed": N_("Failed or missed posts"), "attention": N_("Deliveries to check"),
         "reconnect": N_("Channels to connect again"), "preflight": N_("Warnings for the next day's posts"),
         "scheduler": N_("The scheduler has stopped"),
         "inbox": N_("TikTok drafts waiting for you to post them in the app"),
         "privacy": N_("What people sent is erased soon")}


def configure(s, campaign: Campaign, *, host: str, port: int = 587, user: str = "", password: str | None = None,
              sender: str, to: list[str], starttls: bool = True, cafile: str = "") -> dict:
    if not host or not sender or not to or any("@" not in a for a in [sender, *to]):
        raise UserError(_("The e-mail settings need a server, a sender and at least one address to send to."),
                        fix=_("Give --smtp HOST[:PORT], --from ADDRESS and --to ADDRESS[,ADDRESS]."))
    from content_queue.vault import seal

    old = dict(campaign.notify or {})
    campaign.notify = {"host": host, "port": port, "user": user,  # the password sealed, as the tokens are
                       "password": seal(password) if password else old.get("password", ""),
                       "from": sender, "to": to, "starttls": starttls, "cafile": cafile}
    s.flush()
    return shown(campaign.notify)


def shown(cfg: dict) -> dict:
    """The settings as they may be printed: the password never."""
    return {k: ("********" if k == "password" and v else v) for k, v in (cfg or {}).items()}


def send(cfg: dict, subject: str, body: str) -> None:
    """One message through the campaign's SMTP server (STARTTLS before any password)."""
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, cfg["from"], ", ".join(cfg["to"])
    msg.set_content(body, charset="utf-8")
    with smtplib.SMTP(cfg["host"], int(cfg.get("port") or 587), timeout=30) as smtp:
        smtp.ehlo()
        if cfg.get("starttls", True):
            smtp.starttls(context=ssl.create_default_context(cafile=cfg.get("cafile") or None))
            smtp.ehlo()
        if cfg.get("user"):
            from content_queue.vault import unseal

            smtp.login(cfg["user"], unseal(cfg.get("password", "")))
        smtp.send_message(msg)


def troubles(s, campaign: Campaign, now: datetime) -> dict[str, list[tuple[str, str]]]:
    """What the officer should hear of now, per kind: (a key that says it is the same, the line)."""
    from content_queue.timeutil import local

    rows = list(s.execute(select(Delivery.id, Delivery.state, Delivery.due_at, Delivery.last_error, Delivery.preflight,
                                 Channel.name, Post.title, Post.text)
                          .join(Post, Post.id == Delivery.post_id).join(Channel, Channel.id == Delivery.channel_id)
                          .where(Post.campaign_id == campaign.id,
                                 Delivery.state.in_((S.failed, S.missed, S.unknown, S.needs_attention, S.scheduled,
                                                     S.retry_wait, S.in_inbox)))))
    out: dict[str, list[tuple[str, str]]] = {k: [] for k in KINDS}
    tomorrow = now + timedelta(days=1)
    for did, state, due, why, preflight, channel, title, text in rows:
        what = " ".join((title or text or "").split())[:70]
        when = local(due, campaign.timezone)
        if state in (S.failed, S.missed):
            out["failed"].append((f"{did}:{state.value}", f"#{did} {when} {channel}: {what} – {why or ''}".rstrip(" –")))
        elif state in (S.unknown, S.needs_attention):
            out["attention"].append((f"{did}:{state.value}", f"#{did} {when} {channel}: {what} – {why or ''}".rstrip(" –")))
        elif state is S.in_inbox:  # reminded once a day until it is posted in the app or dismissed
            out["inbox"].append((f"{did}:inbox:{now.date().isoformat()}",
                                 f"#{did} {channel}: {what} – " + _("sent to the TikTok inbox, waiting for you to post "
                                                                   "it in the app")))
        elif preflight and due <= tomorrow:
            out["preflight"].append((f"{did}:{preflight[:40]}", f"#{did} {when} {channel}: {what} – {preflight}"))
    for ch in s.scalars(select(Channel).where(Channel.campaign_id == campaign.id, Channel.active.is_(True),
                                              Channel.health == ChannelHealth.reconnect)):
        out["reconnect"].append((f"{ch.id}", f"{ch.name} ({ch.platform.value}): {ch.health_detail or ''}".rstrip(": ")))
    from content_queue.privacy import notice

    day = notice(campaign, now)
    if day is not None:
        out["privacy"].append((f"erase:{day.isoformat()}", erasure_notice(campaign, day)))
    beat = s.scalar(select(func.max(Worker.heartbeat_at)))
    if beat is not None and now - beat > STOPPED_AFTER:
        out["scheduler"].append((beat.isoformat(), _("Last heartbeat {time}; nothing is published until `loa serve` "
                                                      "or `loa run` runs again.", time=local(beat, campaign.timezone))))
    return out


def erasure_notice(campaign: Campaign, day) -> str:
    """The week-before notice (e-mail and the workspace's overview)."""
    return _("On {day} ({days} days after the campaign's end) loa erases the clips with their videos and pictures, "
             "the participants' names and the signatures, as the privacy notice promises. The report keeps its "
             "figures; download anything the province needs before then.", day=day.strftime("%d/%m/%Y"),
             days=campaign.keep_days)


def check(sessions, campaign_id: int, now: datetime, *, link: str = "",
          sender: Callable[[dict, str, str], None] = send) -> list[str]:
    """Send what is new, kind by kind, at most once an hour each; the kinds sent."""
    from content_queue.i18n import choose

    from .settings import Settings

    with sessions.begin() as s:
        campaign = s.get(Campaign, campaign_id)
        cfg = dict(campaign.notify or {})
        if not cfg.get("host"):
            return []
        told = dict(campaign.notified or {})
        sent = []
        with use(choose(Settings.read().lang, campaign.language)):
            found = troubles(s, campaign, now)
            for kind, items in found.items():
                before = told.get(kind, {})
                last = datetime.fromisoformat(before["at"]) if before.get("at") else None
                new = [line for key, line in items if key not in set(before.get("keys", []))]
                if not new or (last is not None and now - last < EVERY):
                    continue
                subject = _("[loa] {what}: {count} – {campaign}", what=_(KINDS[kind]), count=len(new),
                            campaign=campaign.name)
                body = "\n".join([_(KINDS[kind]) + ":", "", *[f"- {line}" for line in new], "",
                                  _("Open the workspace: {link}", link=link or "-"), "",
                                  _("loa sends each kind of notice at most once an hour.")])
                try:
                    sender(cfg, subject, body)
                except (OSError, smtplib.SMTPException) as exc:
                    log.warning("notice %s not sent: %s", kind, type(exc).__name__)
                    continue
                told[kind] = {"at": now.isoformat(), "keys": [key for key, _line in items][-500:]}
                sent.append(kind)
        campaign.notified = told
    return sent


class Notifier:
    """Checks every few minutes, beside `loa serve` or `loa run`, and sends what is new."""

    def __init__(self, folder, campaign_id: int, *, link: str = "", every: float = 300.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.folder, self.campaign_id, self.link, self.every, self.clock = folder, campaign_id, link, every, clock
        self._stop = threading.Event()

    def start(self) -> "Notifier":
        threading.Thread(target=self._loop, name="loa-notify", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                check(self.folder.sessions, self.campaign_id, self.clock(), link=self.link)
            except Exception:  # noqa: BLE001 - a notice must never stop the server
                log.exception("notices: the check failed")

