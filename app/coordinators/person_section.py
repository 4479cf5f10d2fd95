"""The person page's section about coordination (app/accounts/person_page.py): the
institution the person speaks for, and where the role is granted or removed."""

from sqlalchemy import select

from app.accounts.person_page import PersonSection, register_person_section
from app.coordinators.models import InstitutionCoordinator
from app.extensions import db


def _coordinator_of(person):
    return db.session.scalar(
        select(InstitutionCoordinator).where(InstitutionCoordinator.user_id == person.id)
    )


register_person_section(
    PersonSection(
        "coordinator", "coordinators/admin/_person_coordinator.html", _coordinator_of, position=5
    )
)
