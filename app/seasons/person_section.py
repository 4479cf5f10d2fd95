"""The person page's section about places (app/accounts/person_page.py): the person's
enrolments with their progress, and their waiting-list places with their position."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload

from app.accounts.person_page import PersonSection, register_action_label, register_person_section
from app.extensions import db
from app.seasons import enrollments
from app.seasons.models import Cohort, Enrollment, Offering, WaitlistEntry


def _places(person) -> dict | None:
    places = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.user_id == person.id)
        .options(
            joinedload(Enrollment.course),
            joinedload(Enrollment.season),
            joinedload(Enrollment.cohort),
        )
        .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc())
    ).all()
    ahead = aliased(WaitlistEntry)
    waiting = db.session.execute(
        select(WaitlistEntry, func.count(ahead.id))
        .join(ahead, (ahead.cohort_id == WaitlistEntry.cohort_id) & (ahead.id <= WaitlistEntry.id))
        .where(WaitlistEntry.user_id == person.id)
        .group_by(WaitlistEntry.id)
        .options(
            joinedload(WaitlistEntry.cohort)
            .joinedload(Cohort.offering)
            .joinedload(Offering.course),
            joinedload(WaitlistEntry.cohort)
            .joinedload(Cohort.offering)
            .joinedload(Offering.season),
        )
    ).all()
    if not places and not waiting:
        return None
    progress = enrollments.progress_of(places)
    rows = []
    for place in places:
        done, required = progress[place.id]
        rows.append({"place": place, "done": done, "required": required})
    return {"places": rows, "waiting": waiting}


register_person_section(
    PersonSection("places", "seasons/admin/_person_places.html", _places, position=10)
)
register_action_label("withdrawn", _l("Place withdrawn"))
