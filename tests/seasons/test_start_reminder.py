"""A reminder reaches every learner of a cohort three days before it starts, on the schedule."""

from datetime import date, timedelta

from app.catalog.models import CourseKind
from app.extensions import db
from app.seasons.reminders import remind_cohorts_starting
from tests.conftest import outbox
from tests.learning.helpers import build_course
from tests.seasons.factories import enroll, make_cohort


def test_learners_hear_three_days_before_their_cohort_starts(app, make_user):
    course = build_course("starting", kind=CourseKind.TUTOR_LED)
    soon = make_cohort(course, name="Soon", starts_on=date.today() + timedelta(days=3))
    later = make_cohort(course, name="Later", starts_on=date.today() + timedelta(days=10))
    first, second = make_user(locale="en"), make_user()
    enroll(first, course, soon)
    enroll(second, course, later)
    db.session.commit()
    assert remind_cohorts_starting() == 1
    db.session.commit()
    (mail,) = outbox(first.email)
    assert mail.subject == "Your cohort starts soon" and "Soon" in mail.body
    assert outbox(second.email) == []
