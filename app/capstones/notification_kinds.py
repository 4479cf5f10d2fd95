"""The kinds of news capstones send to the notification centre (app/notifications/kinds.py).
The review mail is sent by capstones itself, so these offer the platform or the digest."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.notifications.kinds import NotificationKind, register_kind
from app.notifications.services import course_title

REVIEWED = "capstones.reviewed"
REVISE = "capstones.revise"

register_kind(
    NotificationKind(
        name=REVIEWED,
        label=_l("My capstone project reviewed"),
        describe=lambda v: _(
            "Your capstone project in %(course)s was reviewed", course=course_title(v)
        ),
        mailed_elsewhere=True,
    )
)
register_kind(
    NotificationKind(
        name=REVISE,
        label=_l("A revision of my capstone project requested"),
        describe=lambda v: _(
            "Your tutor asked for a revision of your capstone project in %(course)s",
            course=course_title(v),
        ),
        mailed_elsewhere=True,
    )
)
