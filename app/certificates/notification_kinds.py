"""The kinds of news certificates send to the notification centre (app/notifications/kinds.py).
The mails themselves (ready, revoked, a name correction decided) are sent by certificates."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.notifications.kinds import NotificationKind, register_kind
from app.notifications.services import course_title

READY = "certificates.ready"
REVOKED = "certificates.revoked"
NAME_DECIDED = "certificates.name_decided"

register_kind(
    NotificationKind(
        name=READY,
        label=_l("My certificates ready"),
        describe=lambda v: _("Your certificate for %(course)s is ready", course=course_title(v)),
        mailed_elsewhere=True,
    )
)

register_kind(
    NotificationKind(
        name=REVOKED,
        label=_l("My certificates revoked"),
        describe=lambda v: _("Your certificate for %(course)s was revoked", course=course_title(v)),
        mailed_elsewhere=True,
    )
)


def _name_decided(values: dict) -> str:
    if values.get("approved"):
        return _(
            "The corrected name on your certificate for %(course)s was approved",
            course=course_title(values),
        )
    return _(
        "The name correction you asked for on your certificate for %(course)s was refused",
        course=course_title(values),
    )


register_kind(
    NotificationKind(
        name=NAME_DECIDED,
        label=_l("Name corrections of my certificates"),
        describe=_name_decided,
        mailed_elsewhere=True,
    )
)
