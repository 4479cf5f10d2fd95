"""The kinds of news certificates send to the notification centre (app/notifications/kinds.py).
The "certificate ready" mail is sent by certificates itself."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.notifications.kinds import NotificationKind, register_kind
from app.notifications.services import course_title

READY = "certificates.ready"

register_kind(
    NotificationKind(
        name=READY,
        label=_l("My certificates ready"),
        describe=lambda v: _("Your certificate for %(course)s is ready", course=course_title(v)),
        mailed_elsewhere=True,
    )
)
