"""Adding a quiz and its answer (minigame): the quiz and the answer, both checked against every
platform they go to before either is saved; the answer then waits for its quiz (answers.py)."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from .errors import UserError, ValidationFailed
from .i18n import _
from .models import Campaign, Post
from .posts import PostInput, prepare, store
from .timeutil import parse_when
from .validation import Problem


def add_quiz(s: Session, campaign: Campaign, quiz, answer_text: str, *, after: int | None = None,
             answer_at: str | None = None, media_dir: Path, base_dir: Path | None = None,
             now: datetime) -> tuple[Post, Post, list[str]]:
    """The quiz (a PostInput) and its answer, both checked against every platform they go to
    before either is saved."""
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


def _problem(rule: str, fix: str) -> Problem:
    return Problem(rule, fix, code="answer_before_quiz")
