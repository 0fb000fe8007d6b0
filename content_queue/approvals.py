"""Approvals, a campaign setting (``approval``: ``required`` or ``off``): with it on, a post
publishes only once an approver has approved it. The rule lives here and in the scheduler's
queries (:func:`held`), not in a page: ``loa post approve``, the workspace and ``loa run`` all
go through it. Editing an approved post asks for approval again (``posts.edit_post``); a post
still unapproved at its time is held, visible and never published, and preflight warns the day
before.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .errors import UserError
from .i18n import N_, _
from .models import Campaign, Post
from .text import nfc

REQUIRED, OFF = "required", "off"
CHOICES = (REQUIRED, OFF)
STATE_LABELS = {"not_needed": N_("no approval needed"), "awaiting": N_("awaiting approval"),
                "approved": N_("approved"), "sent_back": N_("sent back")}


def held() -> Select:
    """The posts the scheduler must not publish (nor hand to a platform, nor mark missed): their
    campaign requires approval and no approver has approved them; or they are a quiz's answer and
    the quiz has not gone out (content_queue/answers.py)."""
    from .answers import held_answers

    awaiting = (select(Post.id).join(Campaign, Campaign.id == Post.campaign_id)
                .where(Campaign.approval == REQUIRED, Post.approved_at.is_(None)))
    return awaiting.union(held_answers())


def state(post: Post, campaign: Campaign) -> str:
    """``not_needed``, ``awaiting``, ``approved`` or ``sent_back`` (codes, for --json)."""
    if post.approved_at is not None:
        return "approved"
    if campaign.approval != REQUIRED:
        return "not_needed"
    return "sent_back" if post.approval_comment else "awaiting"


def awaiting(s: Session, campaign: Campaign, *, limit: int = 50, offset: int = 0) -> tuple[list[Post], int]:
    """The posts an approver has to look at (still to publish, not approved), the soonest first,
    with their deliveries and channels loaded; and how many there are. Two statements plus the
    loads, whatever the campaign's size."""
    from sqlalchemy import func
    from sqlalchemy.orm import selectinload

    from .lifecycle import RESCHEDULABLE
    from .models import Delivery

    if campaign.approval != REQUIRED:
        return [], 0
    waiting = select(Delivery.post_id).where(Delivery.state.in_(RESCHEDULABLE))
    q = select(Post).where(Post.campaign_id == campaign.id, Post.approved_at.is_(None), Post.id.in_(waiting))
    total = s.scalar(select(func.count()).select_from(q.subquery()))
    posts = list(s.scalars(q.options(selectinload(Post.deliveries).selectinload(Delivery.channel),
                                     selectinload(Post.media))
                           .order_by(Post.due_at, Post.id).offset(offset).limit(limit)))
    return posts, total


def state_label(code: str) -> str:
    return _(STATE_LABELS[code])


def approve(s: Session, campaign: Campaign, post_id: int, *, by: str, now: datetime | None = None) -> Post:
    from .lifecycle import waiting_deliveries
    from .lookups import get_post
    from .users import record

    post = get_post(s, campaign, post_id)
    if campaign.approval != REQUIRED:
        raise UserError(_("This campaign does not ask for approvals."),
                        fix=_("Turn them on with `loa campaign set --approval required`."),
                        web_fix=_("Turn them on in the campaign's settings."))
    if not waiting_deliveries(post):
        raise UserError(_("Post {id} has nothing left to publish.", id=post.id))
    if nfc(by).strip().lower() in authors(s, post):
        raise UserError(_("{name} wrote or edited post {id}, so cannot approve it.", name=by, id=post.id),
                        fix=_("Another approver approves it. A campaign run by one person turns approvals off "
                              "(`loa campaign set --approval off`)."),
                        web_fix=_("Another approver approves it. A campaign run by one person turns approvals "
                                  "off on the campaign page."))
    post.approved_at, post.approved_by, post.approval_comment = now or datetime.now(timezone.utc), by, ""
    record(s, by, "approved", post_id=post.id)
    s.flush()
    return post


def authors(s: Session, post: Post) -> set[str]:
    """Who wrote or edited the post (names in lower case): none of them may approve it."""
    from .models import Activity

    return {nfc(w).strip().lower() for w in s.scalars(
        select(Activity.who).where(Activity.post_id == post.id, Activity.action.in_(("created", "edited"))))}


def send_back(s: Session, campaign: Campaign, post_id: int, *, by: str, comment: str) -> Post:
    from .lookups import get_post
    from .users import record

    post = get_post(s, campaign, post_id)
    comment = nfc(comment).strip()
    if not comment:
        raise UserError(_("Say what to change when sending a post back."), fix=_("Give --comment \"...\"."),
                        web_fix=_("Write what to change in the box beside “Send back”."))
    post.approved_at, post.approved_by, post.approval_comment = None, "", comment[:1000]
    record(s, by, "sent_back", post_id=post.id, detail=comment)
    s.flush()
    return post


def ask_again(post: Post) -> None:
    """The post changed: an approval given before no longer covers it."""
    post.approved_at, post.approved_by = None, ""
