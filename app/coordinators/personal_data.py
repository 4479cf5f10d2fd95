"""What the coordinators area keeps about a person (app/core/privacy.py): the institution
they speak for, and whom they made coordinators as administrators."""

from sqlalchemy import delete, select, update

from app.coordinators.models import InstitutionCoordinator
from app.core.privacy import register_personal_data
from app.extensions import db


def _coordination(user) -> dict:
    mine = db.session.scalar(
        select(InstitutionCoordinator).where(InstitutionCoordinator.user_id == user.id)
    )
    return {
        "coordinator_of_institution": mine.institution_id if mine else None,
        "since": mine.granted_at if mine else None,
    }


def _erase_coordination(user) -> None:
    db.session.execute(
        delete(InstitutionCoordinator)
        .where(InstitutionCoordinator.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(InstitutionCoordinator)
        .where(InstitutionCoordinator.granted_by_id == user.id)
        .values(granted_by_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "institution_coordinator",
    tables=("institution_coordinator",),
    export=_coordination,
    erase=_erase_coordination,
    erase_order=30,
)
