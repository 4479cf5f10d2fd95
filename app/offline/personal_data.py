"""What the offline area keeps about a person (app/core/privacy.py): the actions their devices
sent after working offline, each with what the platform did with it."""

from sqlalchemy import delete, select

from app.core.privacy import register_personal_data
from app.extensions import db
from app.offline.models import OfflineAction


def _actions(user) -> list[dict]:
    rows = db.session.scalars(
        select(OfflineAction).where(OfflineAction.user_id == user.id).order_by(OfflineAction.id)
    )
    return [
        {
            "kind": a.kind,
            "course": a.course_slug,
            "item": a.item_slug,
            "outcome": a.outcome,
            "message": a.message,
            "received_at": a.received_at,
        }
        for a in rows
    ]


def _erase_actions(user) -> None:
    db.session.execute(
        delete(OfflineAction)
        .where(OfflineAction.user_id == user.id)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "offline_actions",
    tables=("offline_action",),
    export=_actions,
    erase=_erase_actions,
    erase_order=20,
)
