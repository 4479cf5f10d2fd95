"""What the notification centre keeps about a person (app/core/privacy.py): their
notifications and how they chose to hear about each kind."""

from sqlalchemy import delete, select

from app.core.privacy import register_personal_data
from app.extensions import db
from app.notifications.models import Notification, NotificationPreference


def _notifications(user) -> dict:
    news = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    choices = db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id)
    )
    return {
        "notifications": [
            {"kind": n.kind, "link": n.link, "created_at": n.created_at, "read_at": n.read_at}
            for n in news
        ],
        "preferences": {p.kind: p.delivery for p in choices},
    }


def _erase_notifications(user) -> None:
    for model in (Notification, NotificationPreference):
        db.session.execute(
            delete(model)
            .where(model.user_id == user.id)
            .execution_options(synchronize_session=False)
        )


register_personal_data(
    "notifications",
    tables=("notification", "notification_preference"),
    export=_notifications,
    erase=_erase_notifications,
    erase_order=20,
)
