"""A campaign's post found by its number, with what the officer reads when there is none. Below
the rules that act on a post (approvals, posts), which all find it here."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .errors import NotFound
from .i18n import _
from .models import Campaign, Delivery, Post


def get_post(session: Session, campaign: Campaign, post_id: int) -> Post:
    """Post ``post_id`` of ``campaign``, with its deliveries and their channels loaded."""
    post = session.scalar(select(Post).options(selectinload(Post.deliveries).selectinload(Delivery.channel))
                          .where(Post.id == post_id, Post.campaign_id == campaign.id))
    if post is None:
        raise NotFound(_("No post {id}.", id=post_id), fix=_("See `loa post list`."))
    return post
