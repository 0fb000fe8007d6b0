"""A quiz and its answer (minigame): the answer is a post of its own, linked to the quiz, published
to the quiz's channels at its time, and never before the quiz: the scheduler holds it while the
quiz has not gone out, and when the quiz goes out late the answer moves with it, keeping the gap
the officer asked for ("the answer three days after")."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .errors import UserError, ValidationFailed
from .i18n import _
from .models import Campaign, Delivery, DeliveryState, Post

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


def add_quiz(s: Session, campaign: Campaign, quiz, answer_text: str, *, after: int | None = None,
             answer_at: str | None = None, media_dir: Path, base_dir: Path | None = None,
             now: datetime) -> tuple[Post, Post, list[str]]:
    """The quiz (a PostInput) and its answer, both checked against every platform they go to
    before either is saved."""
    from .posts import PostInput, prepare, store
    from .timeutil import parse_when

    if (after is None) == (answer_at is None):
        raise UserError(_("Say when the answer goes out: --answer-after (e.g. 3d) or --answer-at TIME."))
    if not (answer_text or "").strip():
        raise UserError(_("The quiz needs its answer: --answer-text \"...\"."))
    base = base_dir or Path.cwd()
    q, problems = prepare(s, campaign, quiz, base_dir=base, now=now)
    quiz_due = q.draft.due_at if q else None
    if quiz_due is not None and q.slot_times:
        quiz_due = min(q.slot_times.values())
    gap = after
    if answer_at is not None:
        answer_due = parse_when(answer_at, campaign.timezone)
        if quiz_due is not None:
            gap = int((answer_due - quiz_due).total_seconds())
            if gap <= 0:
                problems = [*problems, _problem(_("the answer would go out before its quiz."),
                                                _("Give an --answer-at after the quiz's time."))]
    answer_due = (quiz_due + timedelta(seconds=gap or 0)) if quiz_due is not None else now
    a, answer_problems = prepare(s, campaign, PostInput(text=answer_text, to=quiz.to, at=answer_due,
                                                        source=quiz.source), base_dir=base, now=now,
                                 where=_("the answer"))
    problems = [*problems, *answer_problems]
    if problems:
        raise ValidationFailed(problems)
    quiz_post = store(s, campaign, q, media_dir=media_dir)
    answer_post = store(s, campaign, a, media_dir=media_dir)
    answer_post.answer_of_id, answer_post.answer_after_seconds = quiz_post.id, gap
    s.flush()
    return quiz_post, answer_post, [*q.warnings, *a.warnings]


def _problem(rule: str, fix: str):
    from .validation import Problem

    return Problem(rule, fix, code="answer_before_quiz")
