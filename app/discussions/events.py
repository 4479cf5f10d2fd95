"""What happens around a post: who hears of it. Kept apart from the rules (services.py)."""

from flask_babel import lazy_gettext as _l

from app.accounts.services import external_url
from app.core.mail import send_template_mail


def thread_started(thread, place, author) -> None:
    """An announcement reaches every member of the board by mail."""
    from app.discussions.models import ThreadKind
    from app.discussions.services import board_members

    if thread.kind != ThreadKind.ANNOUNCEMENT:
        return
    url = external_url("discussions.thread", thread_id=thread.id)
    for person in board_members(place, but=author):
        send_template_mail(
            person.email,
            person.locale,
            "discussions/mail/announcement",
            _l("Announcement: %(title)s", title=thread.title),
            person=person,
            thread=thread,
            author=author,
            url=url,
        )


def replied(thread, place, post, author) -> None:
    """Nothing yet beyond the page itself."""


def answered(thread, place, post, user) -> None:
    """Nothing yet beyond the page itself."""


def reported(post, place, reporter) -> None:
    """Nothing yet beyond the moderators' list."""
