"""Seasons, offerings and cohorts for tests, built through the services (flushed, not committed).

Dates are relative to today, so an "open" window is open whenever the suite runs.
"""

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.seasons import services
from app.seasons.models import Offering, Season, SeasonState


def today() -> date:
    return date.today()


def days(n: int) -> date:
    return today() + timedelta(days=n)


def make_season(name="Test season", *, state=SeasonState.OPEN, starts_on=None, ends_on=None):
    """The season of that name (created the first time), in `state`."""
    season = db.session.scalar(select(Season).where(Season.name == name))
    if season is None:
        season = services.create_season(name, starts_on or days(-60), ends_on or days(300))
    season.state = state
    db.session.flush()
    return season


def offering_for(course, season=None, **window) -> Offering:
    """The course's offering in `season` (the open test season by default)."""
    season = season or make_season()
    for offering in season.offerings:
        if offering.course_id == course.id:
            return offering
    return services.offer_course(season, course, **window)


def make_cohort(
    course, *, season=None, name=None, seats=10, tutors=(), language=None, open_early=True, **dates
):
    """A cohort of a tutor-led course, open for enrolment now unless dates say otherwise.

    It starts in 20 days (so learners may still withdraw) but, unless `open_early=False`, an
    administrator has opened its course already, so learners can work in it now.
    """
    offering = offering_for(course, season)
    plan = services.CohortPlan(
        name=name or f"Cohort {len(offering.cohorts) + 1}",
        starts_on=dates.get("starts_on", days(20)),
        ends_on=dates.get("ends_on", days(80)),
        enroll_opens_on=dates.get("enroll_opens_on", days(-10)),
        enroll_closes_on=dates.get("enroll_closes_on", days(15)),
        seats=seats,
        language=language or course.language,
        tutors=list(tutors),
    )
    cohort = services.add_cohort(offering, plan)
    if open_early and not cohort.has_started:
        services.open_cohort_early(cohort, None)
    return cohort


def enroll(user, course, cohort=None):
    """Enrol through the service: in the course's offering in the open test season."""
    offering = cohort.offering if cohort is not None else offering_for(course)
    return services.enroll(user, offering, cohort)
