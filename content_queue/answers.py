"""A quiz and its answer (minigame): the answer is a post of its own, linked to the quiz, published
to the quiz's channels at its time, and never before the quiz: the scheduler holds it while the
quiz has not gone out, and when the quiz goes out late the answer moves with it, keeping the gap
the officer asked for ("the answer three days after")."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .errors import UserError
from .i18n import _
from .lifecycle import after_published
from .models import Delivery, DeliveryState, Post

S = DeliveryState
_AFTER = re.compile(r"^\s*(\d+)\s*(d|h|m|ngày|giờ|phút)\s*$", re.IGNORECASE)
UNITS = {"d": 86400, "ngày": 86400, "h": 3600, "giờ": 3600, "m": 60, "phút": 60}


def parse_after(value: str) -> int:
    """``3d``, ``12h``, ``90m`` (or ``3 ngày``, ``12 giờ``): seconds."""
    m = _AFTER.match(value or "")
    if not m or int(m.group(1)) == 0:
        raise UserError(_("{value!r} is not a delay: write it like 3d (days), 12h (hours) or 90m (minutes).",
                          value=value))
    return int(m.group(1)) * UNITS[m.group(2).lower()]


def held_answers() -> Select:
    """Answers whose quiz has not gone out yet on its channels (held, never missed)."""
    waiting_quizzes = select(Delivery.post_id).where(Delivery.state.not_in((S.published, S.cancelled)))
    return select(Post.id).where(Post.answer_of_id.is_not(None), Post.answer_of_id.in_(waiting_quizzes))


@after_published
def follow_quiz(s: Session, d: Delivery, now: datetime) -> None:
    """The quiz's delivery ``d`` just went out: its answer on that channel is due the asked gap after
    it (later than planned if the quiz was late; never earlier than planned)."""
    answers = list(s.scalars(select(Post).where(Post.answer_of_id == d.post_id)))
    for answer in answers:
        gap = timedelta(seconds=answer.answer_after_seconds or 0)
        for a in answer.deliveries:
            if a.channel_id == d.channel_id and a.state in (S.scheduled, S.retry_wait) and now + gap > a.due_at:
                a.due_at = a.next_attempt_at = now + gap
        waiting = [a.due_at for a in answer.deliveries if a.state in (S.scheduled, S.retry_wait)]
        if waiting:
            answer.due_at = min(waiting)
