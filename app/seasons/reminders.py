"""A reminder before a cohort starts: every learner of a cohort hears a few days before it
starts (on the schedule, app/core/schedule.py: once a day, so once per cohort)."""

from datetime import date, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.services import external_url
from app.core import jobs, schedule
from app.core.mail import send_template_mail
from app.extensions import db
from app.seasons.models import Cohort, Enrollment, Offering

DAYS_BEFORE_START = 3


def remind_cohorts_starting(today: date | None = None) -> int:
    """Mail every learner of the cohorts that start in DAYS_BEFORE_START days; how many."""
    today = today or date.today()
    places = db.session.scalars(
        select(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Cohort.starts_on == today + timedelta(days=DAYS_BEFORE_START))
        .options(
            joinedload(Enrollment.user),
            joinedload(Enrollment.cohort).joinedload(Cohort.offering).joinedload(Offering.course),
        )
        .order_by(Enrollment.id)
    ).all()
    for place in places:
        course = place.cohort.offering.course
        send_template_mail(
            place.user.email,
            place.user.locale,
            "seasons/mail/cohort_starts",
            _l("Your cohort starts soon"),
            user=place.user,
            cohort=place.cohort,
            course=course,
            course_url=external_url("learning.course_home", course_slug=course.slug),
        )
    return len(places)


@jobs.task("seasons.remind_cohort_start")
def remind_task() -> None:
    remind_cohorts_starting()


schedule.daily_at("seasons.remind_cohort_start", "seasons.remind_cohort_start", time(7, 30))
