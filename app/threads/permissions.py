"""Who may read and write in a thread."""

from __future__ import annotations

from ..groups.permissions import can_read_content, is_admin, is_member
from .models import Comment, Thread


def can_read_thread(user, thread: Thread) -> bool:
    return can_read_content(user, thread.group)


def can_comment(user, thread: Thread) -> bool:
    """Members write in open threads; a closed thread takes no new comments."""
    return is_member(user, thread.group) and not thread.is_closed


def can_edit_thread(user, thread: Thread) -> bool:
    """Its author (still a member) or an admin."""
    if not is_member(user, thread.group):
        return False
    return thread.author_id == user.id or is_admin(user, thread.group)


def can_close_thread(user, thread: Thread) -> bool:
    return can_edit_thread(user, thread)


def can_pin_thread(user, thread: Thread) -> bool:
    """Pinning changes what everyone sees first: admins."""
    return is_admin(user, thread.group)


def can_edit_comment(user, comment: Comment, thread: Thread) -> bool:
    """Only the author, still a member, and not once deleted."""
    return not comment.is_deleted and comment.author_id == user.id and is_member(user, thread.group)


def can_delete_comment(user, comment: Comment, thread: Thread) -> bool:
    """The author or an admin (moderation)."""
    if comment.is_deleted or not is_member(user, thread.group):
        return False
    return comment.author_id == user.id or is_admin(user, thread.group)


def can_react(user, thread: Thread) -> bool:
    return is_member(user, thread.group)


def can_take_part(user, thread: Thread) -> bool:
    """Members write in a thread (comment while it is open, react, reply)."""
    return is_member(user, thread.group)
