"""Reads the seasons pages need: one loader per thing (or 404) and the lists and counts shown.

A loader takes the eager-loading options its page needs; with none it is a plain primary-key
lookup, answered from the session without a query when the row is already loaded.
"""

from collections.abc import Sequence

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from app.accounts.models import User
from app.catalog.models import Course
from app.extensions import db
from app.seasons.models import Cohort, Enrollment, Offering, Season, WaitlistEntry

# Eager-loading options for the loaders, named after what comes with the row.

# The season's courses, their cohorts and the cohorts' tutors (the season page).
SEASON_PROGRAMME = (
    selectinload(Season.offerings).joinedload(Offering.course),
    selectinload(Season.offerings).selectinload(Offering.cohorts).selectinload(Cohort.tutors),
)
# The offering's season and course.
OFFERING_CONTEXT = (joinedload(Offering.season), joinedload(Offering.course))
# The cohort's offering with its season and course, and the cohort's tutors.
COHORT_CONTEXT = (
    joinedload(Cohort.offering).joinedload(Offering.season),
    joinedload(Cohort.offering).joinedload(Offering.course),
    selectinload(Cohort.tutors),
)


def _load_or_404(model, row_id: int, options: Sequence[ExecutableOption]):
    if not options:
        return db.session.get(model, row_id) or abort(404)
    return db.session.scalar(select(model).where(model.id == row_id).options(*options)) or abort(
        404
    )


# Loaders ------------------------------------------------------------------------------


def load_season_or_404(season_id: int, *, options: Sequence[ExecutableOption] = ()) -> Season:
    """The season, or 404; `options` (e.g. SEASON_PROGRAMME) say what is loaded with it."""
    return _load_or_404(Season, season_id, options)


def load_offering_or_404(offering_id: int, *, options: Sequence[ExecutableOption] = ()) -> Offering:
    """The offering, or 404; `options` (e.g. OFFERING_CONTEXT) say what is loaded with it."""
    return _load_or_404(Offering, offering_id, options)


def load_cohort_or_404(cohort_id: int, *, options: Sequence[ExecutableOption] = ()) -> Cohort:
    """The cohort, or 404; `options` (e.g. COHORT_CONTEXT) say what is loaded with it."""
    return _load_or_404(Cohort, cohort_id, options)


# Seasons ------------------------------------------------------------------------------


def enrollments_per_course(season: Season) -> dict[int, int]:
    """{course id: number of enrolments} in the season, in one query."""
    rows = db.session.execute(
        select(Enrollment.course_id, func.count(Enrollment.id))
        .where(Enrollment.season_id == season.id)
        .group_by(Enrollment.course_id)
    ).all()
    return dict(rows)


def waiting_per_cohort(season: Season) -> dict[int, int]:
    """{cohort id: number of people on its waiting list} across the season, in one query."""
    rows = db.session.execute(
        select(WaitlistEntry.cohort_id, func.count(WaitlistEntry.id))
        .join(Cohort, Cohort.id == WaitlistEntry.cohort_id)
        .join(Offering, Offering.id == Cohort.offering_id)
        .where(Offering.season_id == season.id)
        .group_by(WaitlistEntry.cohort_id)
    ).all()
    return dict(rows)


def courses_not_offered(season: Season) -> list[Course]:
    """The courses the season could still offer, in catalog order."""
    offered = select(Offering.course_id).where(Offering.season_id == season.id)
    return list(
        db.session.scalars(
            select(Course).where(Course.id.not_in(offered)).order_by(Course.position, Course.slug)
        )
    )


# Offerings ----------------------------------------------------------------------------


def offering_learners(offering: Offering) -> list[Enrollment]:
    """The offering's enrolments with each learner and cohort, by name."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .join(User, User.id == Enrollment.user_id)
            .where(
                Enrollment.season_id == offering.season_id,
                Enrollment.course_id == offering.course_id,
            )
            .options(joinedload(Enrollment.user), joinedload(Enrollment.cohort))
            .order_by(User.full_name, User.id)
        )
    )


def find_offering_id(season_id: int, course_id: int) -> int | None:
    """The id of the season's offering of the course, if it still offers it."""
    return db.session.scalar(
        select(Offering.id).where(Offering.season_id == season_id, Offering.course_id == course_id)
    )


# Cohorts ------------------------------------------------------------------------------


def list_tutors() -> list[User]:
    """Everyone who may lead a cohort, by name."""
    return list(db.session.scalars(select(User).where(User.is_tutor).order_by(User.full_name)))


def count_waiting(cohort: Cohort) -> int:
    """How many people are on the cohort's waiting list."""
    return db.session.scalar(
        select(func.count()).select_from(WaitlistEntry).where(WaitlistEntry.cohort_id == cohort.id)
    )
