"""Reports and moderation: anyone reports a post; a board's moderators (a cohort's tutors,
administrators) hide, show, remove posts and lock threads; every act is kept in the trail."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload

from app.core.db import insert_or_ignore, utcnow
from app.discussions import events
from app.discussions.models import (
    Attachment,
    ModerationAction,
    ModerationEntry,
    Post,
    PostState,
    Report,
    Thread,
)
from app.discussions.services import (
    InvalidPost,
    NotAllowed,
    Place,
    can_moderate,
    can_read_thread,
    find_board,
    is_member,
)
from app.extensions import db

REASON_MAX = 500

# What each action expects the post to be, and what it makes of it.
POST_ACTIONS = {
    ModerationAction.HIDE: ((PostState.VISIBLE,), PostState.HIDDEN),
    ModerationAction.SHOW: ((PostState.HIDDEN,), PostState.VISIBLE),
    ModerationAction.REMOVE: ((PostState.VISIBLE, PostState.HIDDEN), PostState.REMOVED),
}


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidPost(_l("Say why."))
    if len(reason) > REASON_MAX:
        raise InvalidPost(_l("At most %(max)s characters.", max=REASON_MAX))
    return reason


def report_post(post: Post, place: Place, user, reason: str) -> bool:
    """Report a post to the board's moderators; True if this is the person's first report
    of it (a second one changes nothing)."""
    thread = post.thread
    moderator = can_moderate(user, place)
    if not is_member(user, place) or not can_read_thread(user, thread, place, moderator):
        raise NotAllowed(_l("You cannot report this message."))
    if post.state != PostState.VISIBLE:
        raise InvalidPost(_l("This message is no longer shown."))
    if post.author_id == user.id:
        raise InvalidPost(_l("You cannot report your own message."))
    added = insert_or_ignore(
        Report, post_id=post.id, reporter_id=user.id, reason=_reason(reason), created_at=utcnow()
    )
    if added:
        events.reported(post, place, user)
    return added


def _is_opening(post: Post) -> bool:
    first = db.session.scalar(select(func.min(Post.id)).where(Post.thread_id == post.thread_id))
    return first == post.id


def moderate_post(post: Post, place: Place, actor, action: str, reason: str) -> bool:
    """Hide, show again, remove for good, or leave a reported post as it is. Acts only when
    the post is in the state the action expects (a second click changes nothing); True if
    it acted. Hiding or removing the opening post does the same to its thread."""
    if not can_moderate(actor, place):
        raise NotAllowed(_l("Only this board's moderators can do this."))
    try:
        action = ModerationAction(action)
    except ValueError:
        raise InvalidPost(_l("Choose what to do.")) from None
    if action not in (*POST_ACTIONS, ModerationAction.DISMISS):
        raise InvalidPost(_l("Choose what to do."))
    reason = _reason(reason)
    if action in POST_ACTIONS:
        expected, new_state = POST_ACTIONS[action]
        was_answer = post.is_answer
        changes = {"state": new_state}
        if new_state == PostState.REMOVED:
            changes.update(body="", body_html="", is_answer=False)
        acted = db.session.execute(
            update(Post)
            .where(Post.id == post.id, Post.state.in_(expected))
            .values(**changes)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not acted:
            return False
        if new_state == PostState.REMOVED:
            db.session.execute(delete(Attachment).where(Attachment.post_id == post.id))
            if was_answer:  # the question waits for an answer again
                db.session.execute(
                    update(Thread)
                    .where(Thread.id == post.thread_id)
                    .values(answered_at=None)
                    .execution_options(synchronize_session=False)
                )
        if _is_opening(post):
            db.session.execute(
                update(Thread)
                .where(Thread.id == post.thread_id)
                .values(state=new_state)
                .execution_options(synchronize_session=False)
            )
    db.session.execute(
        update(Report)
        .where(Report.post_id == post.id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    _record(post.thread, post.id, actor, action, reason)
    db.session.flush()
    db.session.expire_all()
    return True


def lock_thread(thread: Thread, place: Place, actor, reason: str) -> bool:
    """Lock a thread (no more replies but the moderators'), or unlock a locked one."""
    if not can_moderate(actor, place):
        raise NotAllowed(_l("Only this board's moderators can do this."))
    reason = _reason(reason)
    locking = not thread.locked
    acted = db.session.execute(
        update(Thread)
        .where(Thread.id == thread.id, Thread.locked.is_(not locking))
        .values(locked=locking)
        .execution_options(synchronize_session=False)
    ).rowcount
    if acted:
        action = ModerationAction.LOCK if locking else ModerationAction.UNLOCK
        _record(thread, None, actor, action, reason)
    db.session.flush()
    db.session.expire_all()
    return bool(acted)


def _record(thread: Thread, post_id, actor, action, reason) -> None:
    db.session.add(
        ModerationEntry(
            board_id=thread.board_id,
            thread_id=thread.id,
            post_id=post_id,
            actor_id=actor.id,
            action=action,
            reason=reason,
        )
    )


def open_reports(place: Place) -> list[Report]:
    """Reports no moderator has acted on yet, oldest first, with their posts and threads."""
    board = find_board(place)
    if board is None:
        return []
    return db.session.scalars(
        select(Report)
        .join(Post, Post.id == Report.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.board_id == board.id, Report.resolved_at.is_(None))
        .options(
            joinedload(Report.reporter),
            joinedload(Report.post).joinedload(Post.author),
            joinedload(Report.post).joinedload(Post.thread),
        )
        .order_by(Report.id)
    ).all()


def trail(place: Place, limit: int = 100) -> list[ModerationEntry]:
    """The board's latest moderation acts, newest first."""
    board = find_board(place)
    if board is None:
        return []
    return db.session.scalars(
        select(ModerationEntry)
        .where(ModerationEntry.board_id == board.id)
        .options(joinedload(ModerationEntry.actor), joinedload(ModerationEntry.thread))
        .order_by(ModerationEntry.id.desc())
        .limit(limit)
    ).all()
