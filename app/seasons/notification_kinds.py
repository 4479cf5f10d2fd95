"""The kinds of news seasons send to the notification centre (app/notifications/kinds.py).
The waiting-list mail is sent by seasons itself."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.notifications.kinds import NotificationKind, register_kind
from app.notifications.services import course_title

SEAT = "seasons.seat_from_waitlist"

register_kind(
    NotificationKind(
        name=SEAT,
        label=_l("A seat for me from a waiting list"),
        describe=lambda v: _("A seat in %(course)s is yours", course=course_title(v)),
        mailed_elsewhere=True,
    )
)
