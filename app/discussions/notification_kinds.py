"""The kinds of news discussions send (app/notifications/kinds.py)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.notifications.kinds import Delivery, NotificationKind, register_kind

REPLY = "discussions.reply"
ANSWERED = "discussions.answered"
ANNOUNCEMENT = "discussions.announcement"
QUESTION = "discussions.question"
NETWORK_INVITATION = "discussions.network_invitation"


def _answered(values: dict) -> str:
    if values.get("yours") == "reply":
        return _("Your reply in “%(title)s” was marked as the answer", title=values["title"])
    return _("Your question “%(title)s” has an answer", title=values["title"])


register_kind(
    NotificationKind(
        name=REPLY,
        label=_l("Replies to my conversations and questions"),
        describe=lambda v: _("%(who)s replied in “%(title)s”", who=v["who"], title=v["title"]),
        default=Delivery.MAIL,
    )
)
register_kind(
    NotificationKind(
        name=ANSWERED,
        label=_l("Answers marked on my questions and replies"),
        describe=_answered,
        default=Delivery.MAIL,
    )
)
register_kind(
    NotificationKind(
        name=ANNOUNCEMENT,
        label=_l("Announcements of my tutors"),
        describe=lambda v: _(
            "Announcement from %(who)s: “%(title)s”", who=v["who"], title=v["title"]
        ),
        default=Delivery.MAIL,
    )
)
register_kind(
    NotificationKind(
        name=QUESTION,
        label=_l("Questions learners ask me as their tutor"),
        describe=lambda v: _(
            "%(who)s asked the tutors: “%(title)s”", who=v["who"], title=v["title"]
        ),
        default=Delivery.MAIL,
    )
)
register_kind(
    NotificationKind(
        name=NETWORK_INVITATION,
        label=_l("Invitations to thematic networks"),
        describe=lambda v: _(
            "Your cohort has ended: carry the conversation on in the network %(network)s",
            network=v["network"],
        ),
        default=Delivery.MAIL,
    )
)
