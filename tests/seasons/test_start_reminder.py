"""A reminder reaches every learner of a cohort three days before it starts, on the schedule
(once a day, so once per cohort), in the learner's language."""

from datetime import UTC, date, datetime, time, timedelta

from babel.dates import format_date

from app.catalog.models import CourseKind
from app.core import schedule
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


def test_the_schedule_reminds_once_in_the_learners_language(app, make_user):
    course = build_course("starting-soon", kind=CourseKind.TUTOR_LED, title={"es": "Curso pronto"})
    starts = date.today() + timedelta(days=3)
    cohort = make_cohort(course, name="Pronto", starts_on=starts)
    learner = make_user(locale="es")
    enroll(learner, course, cohort)
    db.session.commit()
    morning = datetime.combine(date.today(), time(7, 0), tzinfo=UTC)
    assert "seasons.remind_cohort_start" not in schedule.enqueue_due(morning)  # due at 07:30
    assert outbox(learner.email) == []
    assert "seasons.remind_cohort_start" in schedule.enqueue_due(morning.replace(minute=45))
    assert "seasons.remind_cohort_start" not in schedule.enqueue_due(morning.replace(hour=20))
    (mail,) = outbox(learner.email)
    assert mail.subject == "Su cohorte empieza pronto"
    day = format_date(starts, "long", locale="es")
    assert f"Su cohorte «Pronto» del curso «Curso pronto» empieza el {day}." in mail.body
    assert "/learn/starting-soon" in mail.body
