"""The people who sign in to the workspace, their roles, and what each did.

One home for these rules: ``loa user ...`` and the workspace call the same functions. A password
is kept only as a salted scrypt hash (Werkzeug's); a name is NFC and compared as written, without
case. Roles: an officer prepares and publishes, an approver also signs posts off, a viewer reads.
"""
from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import NotFound, UserError
from .i18n import N_, _
from .models import Activity, Role, User
from .text import nfc

MIN_PASSWORD = 10
PASSWORD_METHOD = "scrypt"  # Werkzeug's scrypt at its own cost (N=2^15); the tests lower it (tests/conftest.py)
ROLE_LABELS = {"officer": N_("officer"), "approver": N_("approver"), "viewer": N_("viewer")}
# What each role may do; a viewer reads everything and changes nothing.
CAN = {
    "change": {Role.officer, Role.approver},
    "approve": {Role.approver},
}


ACTIVITY_LABELS = {
    "created": N_("created the post"), "edited": N_("edited the post"), "approved": N_("approved"),
    "sent_back": N_("sent it back"), "rescheduled": N_("moved it"), "cancelled": N_("cancelled it"),
    "retried": N_("asked to post it again"), "resolved": N_("settled the result"),
    "campaign_changed": N_("changed the campaign's details"),
    "clip_added": N_("added a clip"), "clip_approved": N_("approved a clip"), "clip_rejected": N_("rejected a clip"),
    "clip_consent": N_("recorded a clip's consent"), "clip_withdrawn": N_("withdrew a clip"),
    "recap_started": N_("started a recap's render"), "job_cancelled": N_("cancelled a job"), "connected": N_("connected the channel"), "signed_in": N_("signed in"),
    "user_added": N_("added the user"), "user_removed": N_("removed the user"),
    "password_changed": N_("changed the password"),
}


def activity_label(action: str) -> str:
    return _(ACTIVITY_LABELS[action]) if action in ACTIVITY_LABELS else action


def role_label(role: Role | str) -> str:
    return _(ROLE_LABELS[Role(role).value])


def may(user: User, what: str) -> bool:
    return user.role in CAN[what]


def _name(name: str) -> str:
    name = nfc(name).strip()
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        raise UserError(_("A user name is one word of at most 80 characters, e.g. can-bo-xa."))
    return name


def _hash(password: str) -> str:
    from werkzeug.security import generate_password_hash

    if len(password) < MIN_PASSWORD:
        raise UserError(_("The password is too short ({count} characters).", count=len(password)),
                        fix=_("Use at least {n} characters; a few words together are easy to remember.",
                              n=MIN_PASSWORD))
    return generate_password_hash(password, method=PASSWORD_METHOD)


def find_user(s: Session, name: str) -> User | None:
    return s.scalar(select(User).where(func.lower(User.name) == nfc(name).strip().lower()))


def get_user(s: Session, name: str) -> User:
    user = find_user(s, name)
    if user is None:
        raise NotFound(_("No user {name!r}.", name=name), fix=_("See `loa user list`."))
    return user


def add_user(s: Session, name: str, role: str, password: str, *, by: str = "") -> User:
    name = _name(name)
    if role not in {r.value for r in Role}:
        raise UserError(_("Unknown role {role!r}.", role=role), fix=_("Use officer, approver or viewer."))
    if find_user(s, name) is not None:
        raise UserError(_("A user named {name!r} already exists.", name=name),
                        fix=_("Choose another name, or change the password with `loa user password {name}`.",
                              name=name))
    user = User(name=name, role=Role(role), password_hash=_hash(password), session_key=new_session_key())
    s.add(user)
    s.flush()
    record(s, by or name, "user_added", detail=f"{name} ({role})")
    return user


def set_password(s: Session, name: str, password: str, *, by: str = "") -> User:
    user = get_user(s, name)
    user.password_hash = _hash(password)
    end_sessions(user)
    record(s, by or user.name, "password_changed", detail=user.name)
    return user


def new_session_key() -> str:
    return secrets.token_urlsafe(32)


def end_sessions(user: User) -> None:
    """Every session this user has open, in any browser, ends: each carries the key, which changes."""
    user.session_key = new_session_key()


def session_is_current(user: User | None, key: object) -> bool:
    return (user is not None and bool(user.session_key) and isinstance(key, str)
            and secrets.compare_digest(user.session_key, key))


def remove_user(s: Session, name: str, *, by: str = "") -> None:
    user = get_user(s, name)
    s.delete(user)
    record(s, by or name, "user_removed", detail=name)


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.name)))


def check_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s; the same work is done for a name that does not exist,
    so that the time taken does not tell which names do."""
    from werkzeug.security import check_password_hash

    if user is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


def record(s: Session, who: str, action: str, *, post_id: int | None = None, channel_id: int | None = None,
           detail: str = "") -> Activity:
    """Who did what: created, edited, approved, rescheduled, cancelled, connected, signed in."""
    a = Activity(who=who, action=action, post_id=post_id, channel_id=channel_id, detail=detail[:500])
    s.add(a)
    return a


def describe(user: User, show) -> dict[str, Any]:
    return {"name": user.name, "role": user.role.value, "created": show(user.created_at),
            "last_sign_in": show(user.last_sign_in_at)}


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(secrets.token_hex(16), method=PASSWORD_METHOD)
