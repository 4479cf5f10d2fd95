"""The kinds of news seasons send to the notification centre (app/notifications/kinds.py).
The waiting-list mail is sent by seasons itself; a learner's own enrolment is confirmed
through the centre (a mail at once unless they chose otherwise)."""

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.notifications.kinds import Delivery, NotificationKind, register_kind
from app.notifications.services import course_title

SEAT = "seasons.seat_from_waitlist"
ENROLLED = "seasons.enrolled"

register_kind(
    NotificationKind(
        name=SEAT,
        label=_l("A seat for me from a waiting list"),
        describe=lambda v: _("A seat in %(course)s is yours", course=course_title(v)),
        mailed_elsewhere=True,
    )
)


def _enrolled(values: dict) -> str:
    """The confirmation's line: the course, and for a cohort its name and dates."""
    if values.get("cohort"):
        return _(
            "You have a place in cohort “%(cohort)s” of %(course)s, from %(start)s to %(end)s",
            cohort=values["cohort"],
            course=course_title(values),
            start=format_date(date.fromisoformat(values["starts_on"]), "long"),
            end=format_date(date.fromisoformat(values["ends_on"]), "long"),
        )
    return _("You are enrolled in %(course)s, at your own pace", course=course_title(values))


register_kind(
    NotificationKind(
        name=ENROLLED,
        label=_l("Confirmation when I enrol in a course"),
        describe=_enrolled,
        default=Delivery.MAIL,
    )
)
