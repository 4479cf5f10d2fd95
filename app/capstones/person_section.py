"""The person page's section about capstone projects (app/accounts/person_page.py): each
project with its state and every version sent."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.person_page import PersonSection, register_person_section
from app.capstones.gradebook import state_label
from app.capstones.models import Submission
from app.extensions import db
from app.seasons.models import Enrollment


def _projects(person) -> list | None:
    found = db.session.scalars(
        select(Submission)
        .join(Enrollment, Enrollment.id == Submission.enrollment_id)
        .where(Enrollment.user_id == person.id)
        .options(
            joinedload(Submission.enrollment).joinedload(Enrollment.course),
            joinedload(Submission.cohort),
            selectinload(Submission.history),
        )
        .order_by(Submission.id)
    ).all()
    return [{"submission": s, "state": state_label(s.state)} for s in found] or None


register_person_section(
    PersonSection("capstones", "capstones/admin/_person_projects.html", _projects, position=30)
)
