"""Who hears of what happens on a board, through the notification centre (each person's
choice: in the platform, a mail at once, or the daily digest). Kept apart from the rules."""

from flask import current_app, has_request_context, url_for

from app.discussions.notification_kinds import ANNOUNCEMENT, ANSWERED, QUESTION, REPLY
from app.notifications.services import notify


def _path(endpoint: str, anchor: str = "", **values) -> str:
    """A path on this site, in a request or not (commands and jobs post too)."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return path + (f"#{anchor}" if anchor else "")


def _link(thread, post=None) -> str:
    if post is None:
        return _path("discussions.thread", thread_id=thread.id)
    from app.discussions.services import page_of_post

    return _path(
        "discussions.thread",
        anchor=f"post-{post.id}",
        thread_id=thread.id,
        page=page_of_post(thread, post),
    )


def thread_started(thread, place, author) -> None:
    """An announcement reaches every member; a private question the cohort's tutors."""
    from app.discussions.models import ThreadKind
    from app.discussions.services import board_members

    values = {"who": author.full_name, "title": thread.title}
    if thread.kind == ThreadKind.ANNOUNCEMENT:
        for person in board_members(place, but=author):
            notify(person, ANNOUNCEMENT, _link(thread), **values)
    elif thread.kind == ThreadKind.PRIVATE:
        for tutor in place.cohort.tutors:
            if tutor.id != author.id:
                notify(tutor, QUESTION, _link(thread), **values)


def replied(thread, place, post, author) -> None:
    """The thread's author hears of a reply; in a private question, the learner's words
    go to the tutors and the tutors' to the learner."""
    values = {"who": author.full_name, "title": thread.title}
    link = _link(thread, post)
    if thread.is_private and author.id == thread.author_id:
        for tutor in place.cohort.tutors:
            notify(tutor, QUESTION, link, **values)
    elif thread.author is not None and thread.author_id != author.id:
        notify(thread.author, REPLY, link, **values)


def answered(thread, place, post, user) -> None:
    """The asker hears their question has an answer; the reply's author that theirs is it."""
    link = _link(thread, post)
    if thread.author is not None and thread.author_id != user.id:
        notify(thread.author, ANSWERED, link, title=thread.title, yours="question")
    if post.author is not None and post.author_id not in (user.id, thread.author_id):
        notify(post.author, ANSWERED, link, title=thread.title, yours="reply")


def reported(post, place, reporter) -> None:
    """Reports wait on the moderators' page (Reports and moderation)."""
