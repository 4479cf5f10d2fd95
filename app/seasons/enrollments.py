"""Enrolments: each learner's place in a course in a season, the row every other area's work
hangs on (progress, attempts, projects, certificates). The seasons area owns it: its services
decide who may enrol where and hold the seats; these read and write the row itself."""

from collections.abc import Callable

from flask import g, has_request_context
from sqlalchemy import and_, bindparam, delete, func, select
from sqlalchemy.orm import contains_eager, joinedload

from app.accounts.models import User
from app.catalog.models import Course
from app.core.db import insert_or_ignore, utcnow
from app.extensions import db
from app.seasons.models import Enrollment, Offering, Season, SeasonState

# The pages' own statements, built once (a learner's pages run them on every request).
_LATEST_PLACE = (
    select(Enrollment)
    .join(Season, Season.id == Enrollment.season_id)
    .options(contains_eager(Enrollment.season), joinedload(Enrollment.cohort))
    .where(
        Enrollment.user_id == bindparam("user_id"), Enrollment.course_id == bindparam("course_id")
    )
    .order_by(Season.starts_on.desc(), Enrollment.id.desc())
    .limit(1)
)
_PLACES = (
    select(Enrollment, Offering.id)
    .outerjoin(
        Offering,
        and_(
            Offering.season_id == Enrollment.season_id,
            Offering.course_id == Enrollment.course_id,
        ),
    )
    .where(Enrollment.user_id == bindparam("user_id"))
    .options(
        joinedload(Enrollment.course),
        joinedload(Enrollment.season),
        joinedload(Enrollment.cohort),
    )
    .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc())
)


def find_enrollment(user: User, course: Course) -> Enrollment | None:
    """The learner's enrolment in the course in its latest season (the one they work in),
    with its season and cohort, which the pages that ask for it read (one query)."""
    return db.session.scalar(_LATEST_PLACE, {"user_id": user.id, "course_id": course.id})


def places_of(user: User) -> list[tuple[Enrollment, int | None]]:
    """The learner's enrolments, newest first, each with its course, season and cohort loaded
    and the id of its offering (None if the course left the season), in one query read once
    per request: the dashboard's cards and its boards both show them."""
    in_request = has_request_context()  # a command's or job's context lives longer
    found = g.get("places_of") if in_request else None
    if found is not None and found[0] == user.id:
        return found[1]
    rows = [tuple(row) for row in db.session.execute(_PLACES, {"user_id": user.id})]
    if in_request:
        g.places_of = (user.id, rows)
    return rows


def load_enrollment(enrollment_id: int) -> Enrollment | None:
    """The enrolment with its learner, course, season and cohort, in one query."""
    return db.session.scalar(
        select(Enrollment)
        .where(Enrollment.id == enrollment_id)
        .options(
            joinedload(Enrollment.user),
            joinedload(Enrollment.course),
            joinedload(Enrollment.season),
            joinedload(Enrollment.cohort),
        )
    )


def enrollment_in_season(user_id: int, course_id: int, season_id: int) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.user_id == user_id,
            Enrollment.course_id == course_id,
            Enrollment.season_id == season_id,
        )
    )


def create_enrollment(
    user_id: int, course_id: int, season_id: int, cohort_id: int | None = None
) -> tuple[Enrollment, bool]:
    """The learner's place in the course this season, and whether this call created it.

    The Seasons area decides whether enrolment is open and holds the seats; this only
    writes the row. Of concurrent calls for one learner, course and season, one inserts.
    """
    created = insert_or_ignore(
        Enrollment,
        user_id=user_id,
        course_id=course_id,
        season_id=season_id,
        cohort_id=cohort_id,
        enrolled_at=utcnow(),
    )
    return enrollment_in_season(user_id, course_id, season_id), created


def remove_enrollment(enrollment: Enrollment) -> bool:
    """Delete the enrolment with its progress and attempts (a withdrawal); False if it was gone.

    Only the very place that was read goes: the same learner, course, season and cohort. A
    request that read it before another removed it (the same form sent twice) deletes nothing;
    on PostgreSQL its DELETE waits for the other's row lock, then finds no row.
    """
    cohort = (
        Enrollment.cohort_id.is_(None)
        if enrollment.cohort_id is None
        else Enrollment.cohort_id == enrollment.cohort_id
    )
    removed = db.session.execute(
        delete(Enrollment)
        .where(
            Enrollment.id == enrollment.id,
            Enrollment.user_id == enrollment.user_id,
            Enrollment.course_id == enrollment.course_id,
            Enrollment.season_id == enrollment.season_id,
            cohort,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire_all()
    return removed == 1


def is_read_only(enrollment: Enrollment) -> bool:
    """Whether the enrolment's season is closed: what was done stays readable, nothing moves."""
    return enrollment.season.state == SeasonState.CLOSED


def opens_on(enrollment: Enrollment):
    """The day the enrolment's course opens to its learner, while it is still closed (a
    cohort before its first day, unless an administrator opened it early); else None."""
    cohort = enrollment.cohort
    if cohort is None or cohort.is_open_for_work:
        return None
    return cohort.starts_on


def count_enrollments(season_id: int, course_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Enrollment)
        .where(Enrollment.season_id == season_id, Enrollment.course_id == course_id)
    )


def lock_enrollment(enrollment_id: int) -> None:
    """Hold the enrolment's row until commit, so writes that count its progress run in turn.

    PostgreSQL: a row lock (SELECT ... FOR UPDATE) that a second request waits on. SQLite has
    no row locks and drops FOR UPDATE; it serialises writers with its one database write lock.
    """
    db.session.execute(
        select(Enrollment.id).where(Enrollment.id == enrollment_id).with_for_update()
    )


_COURSES_OF = select(Enrollment.course_id).where(Enrollment.user_id == bindparam("user_id"))


def enrolled_course_ids(user: User) -> set[int]:
    return set(db.session.scalars(_COURSES_OF, {"user_id": user.id}))


# Progress, as the learning area counts it: it registers the counter (it sits above seasons),
# and the seasons' rosters show it.
ProgressCounter = Callable[[list[Enrollment]], dict[int, tuple[int, int]]]
_PROGRESS: list[ProgressCounter] = []


def register_progress(counter: ProgressCounter) -> None:
    """`counter(enrollments)` -> {enrolment id: (required items done, required items)}."""
    _PROGRESS[:] = [counter]


def progress_of(enrollments: list[Enrollment]) -> dict[int, tuple[int, int]]:
    """Each enrolment's (required items done, required items); (0, 0) with no counter."""
    if not _PROGRESS:
        return {e.id: (0, 0) for e in enrollments}
    return _PROGRESS[0](enrollments)
