"""Enrolments: each learner's place in a course in a season, the row every other area's work
hangs on (progress, attempts, projects, certificates). The seasons area owns it: its services
decide who may enrol where and hold the seats; these read and write the row itself."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask import g, has_request_context
from sqlalchemy import and_, bindparam, delete, func, select
from sqlalchemy.orm import contains_eager, joinedload

from app.accounts.models import User
from app.catalog.models import Course
from app.core.db import insert_or_ignore, read_rows, utcnow
from app.extensions import db
from app.seasons.models import Cohort, Enrollment, Offering, Season, SeasonState

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
# A learner's places, as plain values (see `Place`): the course, season and cohort columns the
# dashboard, its notes and its boards show.
_PLACES = (
    select(
        Enrollment.id,
        Enrollment.user_id,
        Enrollment.course_id,
        Enrollment.season_id,
        Enrollment.cohort_id,
        Enrollment.enrolled_at,
        Enrollment.completed_at,
        Offering.id.label("offering_id"),
        Course.slug.label("course_slug"),
        Course.title.label("course_title"),
        Course.language.label("course_language"),
        Course.package_hash.label("course_package_hash"),
        Season.name.label("season_name"),
        Season.name_es.label("season_name_es"),
        Season.name_pt.label("season_name_pt"),
        Season.name_en.label("season_name_en"),
        Cohort.name.label("cohort_name"),
        Cohort.starts_on.label("cohort_starts_on"),
        Cohort.ends_on.label("cohort_ends_on"),
        Cohort.capstone_due_on.label("cohort_capstone_due_on"),
        Cohort.opened_early_at.label("cohort_opened_early_at"),
    )
    .join(Course, Course.id == Enrollment.course_id)
    .join(Season, Season.id == Enrollment.season_id)
    .outerjoin(Cohort, Cohort.id == Enrollment.cohort_id)
    .outerjoin(
        Offering,
        and_(
            Offering.season_id == Enrollment.season_id,
            Offering.course_id == Enrollment.course_id,
        ),
    )
    .where(Enrollment.user_id == bindparam("user_id"))
    .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc())
)


# A learner's place as the dashboard reads it: plain values with the attributes of an
# Enrollment and of its course, season and cohort that its cards, notes and boards read, so
# that what takes an Enrollment takes a Place. Building the ORM objects (an enrolment with
# three joined objects) cost about three times the statement itself, on every dashboard. The
# models' own properties are borrowed, not written again.
@dataclass(frozen=True, slots=True)
class PlaceCourse:
    id: int
    slug: str
    title: dict
    language: str
    package_hash: str


@dataclass(frozen=True, slots=True)
class PlaceSeason:
    id: int
    name: str
    name_es: str
    name_pt: str
    name_en: str

    NAME_LANGUAGES = Season.NAME_LANGUAGES
    name_in = Season.name_in
    display_name = Season.display_name


@dataclass(frozen=True, slots=True)
class PlaceCohort:
    id: int
    name: str
    starts_on: date
    ends_on: date
    capstone_due_on: date | None
    opened_early_at: datetime | None

    has_started = Cohort.has_started
    is_open_for_work = Cohort.is_open_for_work


@dataclass(frozen=True, slots=True)
class Place:
    id: int
    user_id: int
    course_id: int
    season_id: int
    cohort_id: int | None
    enrolled_at: datetime
    completed_at: datetime | None
    course: PlaceCourse
    season: PlaceSeason
    cohort: PlaceCohort | None


def _place(row) -> Place:
    return Place(
        id=row.id,
        user_id=row.user_id,
        course_id=row.course_id,
        season_id=row.season_id,
        cohort_id=row.cohort_id,
        enrolled_at=row.enrolled_at,
        completed_at=row.completed_at,
        course=PlaceCourse(
            row.course_id,
            row.course_slug,
            row.course_title,
            row.course_language,
            row.course_package_hash,
        ),
        season=PlaceSeason(
            row.season_id,
            row.season_name,
            row.season_name_es,
            row.season_name_pt,
            row.season_name_en,
        ),
        cohort=None
        if row.cohort_id is None
        else PlaceCohort(
            row.cohort_id,
            row.cohort_name,
            row.cohort_starts_on,
            row.cohort_ends_on,
            row.cohort_capstone_due_on,
            row.cohort_opened_early_at,
        ),
    )


def find_enrollment(user: User, course: Course) -> Enrollment | None:
    """The learner's enrolment in the course in its latest season (the one they work in),
    with its season and cohort, which the pages that ask for it read (one query)."""
    return db.session.scalar(_LATEST_PLACE, {"user_id": user.id, "course_id": course.id})


def places_of(user: User) -> list[tuple[Place, int | None]]:
    """The learner's places (`Place`: an enrolment with its course, season and cohort as plain
    values), newest first, each with the id of its offering (None if the course left the
    season), in one query read once per request: the dashboard's cards and its boards both
    show them. Read as committed or flushed (`read_rows`)."""
    in_request = has_request_context()  # a command's or job's context lives longer
    found = g.get("places_of") if in_request else None
    if found is not None and found[0] == user.id:
        return found[1]
    rows = [(_place(row), row.offering_id) for row in read_rows(_PLACES, {"user_id": user.id})]
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
