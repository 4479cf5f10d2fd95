"""Seasons, offerings, cohorts, seats and waiting lists. Views, the CLI and other areas call these.

Seats are held by guarded UPDATEs on the cohort row (`seats_taken < seats`), which both
PostgreSQL (row lock, condition re-checked after the wait) and SQLite (one writer at a time)
apply atomically; the table's CHECK constraint refuses anything else.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.accounts.models import User
from app.accounts.services import external_url
from app.catalog.models import Course, CourseKind
from app.core.db import insert_or_ignore, read_rows, utcnow
from app.core.i18n import collation_key
from app.core.mail import send_template_mail
from app.core.refusals import Refusal
from app.extensions import db
from app.notifications.services import notify
from app.seasons import enrollments
from app.seasons.models import (
    Cohort,
    CohortMessage,
    Enrollment,
    Offering,
    Season,
    SeasonState,
    WaitlistEntry,
    within,
)
from app.seasons.notification_kinds import ENROLLED, SEAT

NAME_MAX = 120
SEATS_MAX = 10_000
LANGUAGES = ("es", "pt", "en")


class SeasonError(Refusal):
    """A rule about seasons or enrolment was broken; the message is for the person."""


class InvalidSeason(SeasonError):
    pass


class EnrollmentClosed(SeasonError):
    pass


class CohortFull(SeasonError):
    pass


class AlreadyEnrolled(SeasonError):
    pass


class WithdrawalClosed(SeasonError):
    pass


# Seasons ------------------------------------------------------------------------------


def list_seasons() -> list[Season]:
    return list(db.session.scalars(select(Season).order_by(Season.starts_on.desc(), Season.id)))


def seasons_with_counts() -> list[tuple[Season, int, int, int]]:
    """Every season with its numbers of courses, cohorts and enrolments, in one query."""
    courses = (
        select(func.count(Offering.id)).where(Offering.season_id == Season.id).scalar_subquery()
    )
    cohorts = (
        select(func.count(Cohort.id))
        .join(Offering, Offering.id == Cohort.offering_id)
        .where(Offering.season_id == Season.id)
        .scalar_subquery()
    )
    enrolled = (
        select(func.count(Enrollment.id)).where(Enrollment.season_id == Season.id).scalar_subquery()
    )
    rows = db.session.execute(
        select(Season, courses, cohorts, enrolled).order_by(Season.starts_on.desc(), Season.id)
    ).all()
    return [tuple(row) for row in rows]


def find_season(reference: str) -> Season | None:
    """A season by its name, or by its id given as digits (for the command line)."""
    reference = reference.strip()
    season = db.session.scalar(select(Season).where(Season.name == reference))
    if season is None and reference.isdigit():
        season = db.session.get(Season, int(reference))
    return season


def _check_name(name: str, missing_message) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidSeason(missing_message)
    if len(name) > NAME_MAX or any(ord(c) < 32 for c in name):
        raise InvalidSeason(
            _l("A name has at most %(max)s characters and no control characters.", max=NAME_MAX)
        )
    return name


def _check_order(first: date | None, last: date | None, message) -> None:
    if first is not None and last is not None and last < first:
        raise InvalidSeason(message)


def _check_season_fields(name: str, starts_on: date, ends_on: date, season=None) -> str:
    name = _check_name(name, _l("A season needs a name."))
    taken = db.session.scalar(select(Season.id).where(Season.name == name))
    if taken is not None and (season is None or taken != season.id):
        raise InvalidSeason(_l("There is already a season named “%(name)s”.", name=name))
    if starts_on is None or ends_on is None:
        raise InvalidSeason(_l("A season needs a first and a last day."))
    _check_order(starts_on, ends_on, _l("The season ends before it starts."))
    return name


def _check_names(names: dict[str, str | None] | None, name: str) -> dict[str, str]:
    """The season's name in each language; a language left blank gets `name`."""
    names = names or {}
    unknown = set(names) - set(Season.NAME_LANGUAGES)
    if unknown:
        raise InvalidSeason(_l("Season names are given in Spanish, Portuguese and English only."))
    checked = {}
    for language in Season.NAME_LANGUAGES:
        given = (names.get(language) or "").strip()
        checked[language] = _check_name(given, None) if given else name
    return checked


def create_season(
    name: str, starts_on: date, ends_on: date, names: dict[str, str | None] | None = None
) -> Season:
    """A new season in draft: add its courses and cohorts, then open it.

    `names` holds its name in Spanish, Portuguese and English (each defaults to `name`)."""
    name = _check_season_fields(name, starts_on, ends_on)
    shown = _check_names(names, name)
    season = Season(
        name=name,
        **{f"name_{language}": value for language, value in shown.items()},
        starts_on=starts_on,
        ends_on=ends_on,
        state=SeasonState.DRAFT,
    )
    db.session.add(season)
    db.session.flush()
    return season


def rename_season(season: Season, names: dict[str, str | None]) -> None:
    """Change the season's name in the languages given (a blank one becomes `season.name`)."""
    current = {language: season.name_in(language) for language in Season.NAME_LANGUAGES}
    shown = _check_names({**current, **names}, season.name)
    for language, value in shown.items():
        setattr(season, f"name_{language}", value)
    db.session.flush()


def update_season(
    season: Season,
    name: str,
    starts_on: date,
    ends_on: date,
    names: dict[str, str | None] | None = None,
) -> None:
    """Rename the season or move its dates; its offerings and cohorts must still fit.

    `names` (Spanish, Portuguese, English) replaces the shown names; a blank one becomes
    `name`; without `names` the shown names stay."""
    name = _check_season_fields(name, starts_on, ends_on, season)
    shown = _check_names(names, name) if names is not None else None
    for offering in season.offerings:
        opens, closes = offering.enroll_opens_on, offering.enroll_closes_on
        if (opens and opens < starts_on) or (closes and closes > ends_on):
            raise InvalidSeason(_l("An enrolment window would fall outside the season."))
        for cohort in offering.cohorts:
            if cohort.starts_on < starts_on or cohort.ends_on > ends_on:
                raise InvalidSeason(
                    _l("Cohort “%(name)s” would fall outside the season.", name=cohort.name)
                )
    # Every check passed: only now is anything changed.
    season.name = name
    if shown is not None:
        for language, value in shown.items():
            setattr(season, f"name_{language}", value)
    season.starts_on, season.ends_on = starts_on, ends_on
    db.session.flush()


def open_season(season: Season) -> None:
    """Open enrolment (from draft, or again after a close)."""
    if not season.offerings:
        raise InvalidSeason(_l("Add at least one course before opening the season."))
    season.state = SeasonState.OPEN
    db.session.flush()


def close_season(season: Season) -> None:
    """Stop enrolment and submissions; what learners did stays readable."""
    season.state = SeasonState.CLOSED
    db.session.flush()


def delete_season(season: Season) -> None:
    """Delete a season nobody has enrolled in (a draft made by mistake)."""
    enrolled = db.session.scalar(
        select(func.count()).select_from(Enrollment).where(Enrollment.season_id == season.id)
    )
    if enrolled:
        raise InvalidSeason(_l("Learners are enrolled in this season: close it instead."))
    db.session.delete(season)
    db.session.flush()


def copy_season(
    source: Season,
    name: str,
    *,
    shift_days: int,
    keep_tutors: bool = True,
    names: dict[str, str | None] | None = None,
) -> Season:
    """A draft season with the source's courses and cohorts, dates moved by `shift_days`.

    Seats, languages and (if asked) tutors are kept; no learner and no waiting list is copied.
    """
    if abs(shift_days) > 3650:
        raise InvalidSeason(_l("Shift the dates by at most ten years."))
    shift = timedelta(days=shift_days)

    def moved(day: date | None) -> date | None:
        if day is None:
            return None
        try:
            return day + shift
        except OverflowError:
            raise InvalidSeason(_l("The dates cannot be moved that far.")) from None

    # Every date is moved and checked before the first row is written.
    for day in _season_dates(source):
        moved(day)
    copy = create_season(name, moved(source.starts_on), moved(source.ends_on), names)
    for offering in source.offerings:
        new = Offering(
            season=copy,
            course_id=offering.course_id,
            enroll_opens_on=moved(offering.enroll_opens_on),
            enroll_closes_on=moved(offering.enroll_closes_on),
        )
        db.session.add(new)
        for cohort in offering.cohorts:
            new.cohorts.append(
                Cohort(
                    name=cohort.name,
                    starts_on=moved(cohort.starts_on),
                    ends_on=moved(cohort.ends_on),
                    enroll_opens_on=moved(cohort.enroll_opens_on),
                    enroll_closes_on=moved(cohort.enroll_closes_on),
                    seats=cohort.seats,
                    seats_taken=0,
                    language=cohort.language,
                    tutors=list(cohort.tutors) if keep_tutors else [],
                    capstone_due_on=moved(cohort.capstone_due_on),
                    capstone_cutoff_on=moved(cohort.capstone_cutoff_on),
                )
            )
    db.session.flush()
    return copy


def _season_dates(season: Season) -> list[date | None]:
    """Every date of the season, its offerings and its cohorts."""
    days = [season.starts_on, season.ends_on]
    for offering in season.offerings:
        days += [offering.enroll_opens_on, offering.enroll_closes_on]
        for cohort in offering.cohorts:
            days += [
                cohort.starts_on,
                cohort.ends_on,
                cohort.enroll_opens_on,
                cohort.enroll_closes_on,
                cohort.capstone_due_on,
                cohort.capstone_cutoff_on,
            ]
    return days


# Offerings ----------------------------------------------------------------------------


def _check_window(season: Season, opens_on: date | None, closes_on: date | None) -> None:
    _check_order(opens_on, closes_on, _l("Enrolment closes before it opens."))
    for day in (opens_on, closes_on):
        if day is not None and not season.starts_on <= day <= season.ends_on:
            raise InvalidSeason(_l("The enrolment window must fall within the season."))


def offer_course(
    season: Season,
    course: Course,
    enroll_opens_on: date | None = None,
    enroll_closes_on: date | None = None,
) -> Offering:
    """Add a course to the season (a self-paced one may narrow its enrolment window)."""
    if season.state == SeasonState.CLOSED:
        raise InvalidSeason(_l("This season is closed."))
    if any(o.course_id == course.id for o in season.offerings):
        raise InvalidSeason(_l("The season already offers this course."))
    if course.kind == CourseKind.TUTOR_LED and (enroll_opens_on or enroll_closes_on):
        raise InvalidSeason(_l("A tutor-led course has its enrolment dates on each cohort."))
    _check_window(season, enroll_opens_on, enroll_closes_on)
    offering = Offering(
        season=season,
        course=course,
        enroll_opens_on=enroll_opens_on,
        enroll_closes_on=enroll_closes_on,
    )
    db.session.add(offering)
    db.session.flush()
    return offering


def set_offering_window(
    offering: Offering, enroll_opens_on: date | None, enroll_closes_on: date | None
) -> None:
    if offering.course.kind == CourseKind.TUTOR_LED and (enroll_opens_on or enroll_closes_on):
        raise InvalidSeason(_l("A tutor-led course has its enrolment dates on each cohort."))
    _check_window(offering.season, enroll_opens_on, enroll_closes_on)
    offering.enroll_opens_on, offering.enroll_closes_on = enroll_opens_on, enroll_closes_on
    db.session.flush()


def remove_offering(offering: Offering) -> None:
    """Take a course out of the season, while nobody is enrolled in it."""
    if enrollments.count_enrollments(offering.season_id, offering.course_id):
        raise InvalidSeason(_l("Learners are enrolled in this course this season."))
    db.session.delete(offering)
    db.session.flush()


def current_offerings(course: Course) -> list[Offering]:
    """The course's offerings in open seasons, with their cohorts (for the course page)."""
    return list(
        db.session.scalars(
            select(Offering)
            .join(Season, Season.id == Offering.season_id)
            .where(Offering.course_id == course.id, Season.state == SeasonState.OPEN)
            .options(
                joinedload(Offering.season),
                selectinload(Offering.cohorts).selectinload(Cohort.tutors),
            )
            .order_by(Season.starts_on, Season.id)
        )
    )


# Built once: the catalog runs it for every signed-in request.
_OPEN_OFFERS = (
    select(Offering)
    .join(Season, Season.id == Offering.season_id)
    .where(Season.state == SeasonState.OPEN)
    .options(
        joinedload(Offering.season),
        joinedload(Offering.course),
        joinedload(Offering.cohorts),
    )
    .order_by(Season.starts_on, Offering.id)
)


def open_offerings() -> list[Offering]:
    """The open seasons' offers, earliest season first, with their seasons, courses and
    cohorts (one query): whether each takes learners now is `any_open` / `enrollment_open`."""
    return list(db.session.scalars(_OPEN_OFFERS).unique())


def enrollable_course_ids() -> set[int]:
    """Courses a learner can enrol in right now (for the catalog), in one query."""
    return {o.course_id for o in open_offerings() if any_open(o)}


def any_open(offering: Offering) -> bool:
    """Whether some way into the offering is open now (itself, or one of its cohorts)."""
    if offering.course.kind == CourseKind.TUTOR_LED:
        return any(enrollment_open(offering, c) for c in offering.cohorts)
    return enrollment_open(offering)


def enrollment_open(offering: Offering, cohort: Cohort | None = None, now=None) -> bool:
    """Whether learners can enrol now: the season is open and the window includes today."""
    if not offering.season.is_open:
        return False
    if cohort is not None:
        return within(cohort.enroll_opens_on, cohort.enroll_closes_on, now)
    if offering.course.kind == CourseKind.TUTOR_LED:
        return False  # only through a cohort
    return within(*offering.window, now)


# Cohorts ------------------------------------------------------------------------------


@dataclass
class CohortPlan:
    """What an administrator sets for a cohort."""

    name: str
    starts_on: date
    ends_on: date
    enroll_opens_on: date
    enroll_closes_on: date
    seats: int
    language: str
    tutors: list[User] = field(default_factory=list)
    capstone_due_on: date | None = None
    capstone_cutoff_on: date | None = None


def _check_cohort(offering: Offering, plan: CohortPlan, cohort: Cohort | None = None) -> str:
    course, season = offering.course, offering.season
    if course.kind != CourseKind.TUTOR_LED:
        raise InvalidSeason(_l("Only tutor-led courses run in cohorts."))
    if season.state == SeasonState.CLOSED:
        raise InvalidSeason(_l("This season is closed."))
    name = _check_name(plan.name, _l("A cohort needs a name."))
    for other in offering.cohorts:
        if other.name == name and other is not cohort:
            raise InvalidSeason(_l("This course already has a cohort named “%(name)s”.", name=name))
    if None in (plan.starts_on, plan.ends_on, plan.enroll_opens_on, plan.enroll_closes_on):
        raise InvalidSeason(_l("A cohort needs its dates and its enrolment window."))
    _check_order(plan.starts_on, plan.ends_on, _l("The cohort ends before it starts."))
    _check_order(
        plan.enroll_opens_on, plan.enroll_closes_on, _l("Enrolment closes before it opens.")
    )
    if plan.enroll_closes_on > plan.ends_on:
        raise InvalidSeason(_l("Enrolment must close by the cohort's last day."))
    if plan.starts_on < season.starts_on or plan.ends_on > season.ends_on:
        raise InvalidSeason(_l("The cohort's dates must fall within the season."))
    if not isinstance(plan.seats, int) or not 1 <= plan.seats <= SEATS_MAX:
        raise InvalidSeason(_l("Seats must be a whole number from 1 to %(max)s.", max=SEATS_MAX))
    if cohort is not None and plan.seats < cohort.seats_taken:
        raise InvalidSeason(
            _l(
                "%(taken)s learners already hold seats: the cohort cannot have fewer.",
                taken=cohort.seats_taken,
            )
        )
    if plan.language not in course.languages:
        raise InvalidSeason(_l("The course has no content in that language."))
    if plan.capstone_cutoff_on and not plan.capstone_due_on:
        raise InvalidSeason(_l("Set the capstone deadline before its cut-off."))
    _check_order(
        plan.capstone_due_on,
        plan.capstone_cutoff_on,
        _l("The capstone cut-off comes before its deadline."),
    )
    if plan.capstone_due_on and plan.capstone_due_on < plan.starts_on:
        raise InvalidSeason(_l("The capstone deadline comes before the cohort starts."))
    if any(not tutor.is_tutor for tutor in plan.tutors):
        raise InvalidSeason(_l("Only people with the tutor role can lead a cohort."))
    return name


def add_cohort(offering: Offering, plan: CohortPlan) -> Cohort:
    """A new cohort of a tutor-led course offered in the season."""
    name = _check_cohort(offering, plan)
    cohort = Cohort(
        offering=offering,
        name=name,
        starts_on=plan.starts_on,
        ends_on=plan.ends_on,
        enroll_opens_on=plan.enroll_opens_on,
        enroll_closes_on=plan.enroll_closes_on,
        seats=plan.seats,
        seats_taken=0,
        language=plan.language,
        tutors=list(plan.tutors),
        capstone_due_on=plan.capstone_due_on,
        capstone_cutoff_on=plan.capstone_cutoff_on,
    )
    db.session.add(cohort)
    db.session.flush()
    return cohort


def update_cohort(cohort: Cohort, plan: CohortPlan) -> list[User]:
    """Change a cohort; added seats go to the waiting list first. Returns who got a seat."""
    db.session.refresh(cohort)  # the seat count as it is now, not as the page saw it
    name = _check_cohort(cohort.offering, plan, cohort)
    # Guarded like an enrolment: a seat taken since the refresh makes this refuse, not
    # over-fill the cohort.
    changed = db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.seats_taken <= plan.seats)
        .values(seats=plan.seats)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise InvalidSeason(_l("More learners hold seats than that: the cohort cannot have fewer."))
    cohort.name = name
    cohort.starts_on, cohort.ends_on = plan.starts_on, plan.ends_on
    cohort.enroll_opens_on, cohort.enroll_closes_on = plan.enroll_opens_on, plan.enroll_closes_on
    cohort.language = plan.language
    cohort.tutors = list(plan.tutors)
    cohort.capstone_due_on = plan.capstone_due_on
    cohort.capstone_cutoff_on = plan.capstone_cutoff_on
    db.session.flush()
    db.session.refresh(cohort)
    return promote_waiting(cohort)


def open_cohort_early(cohort: Cohort, by: User | None) -> bool:
    """Let the cohort's learners work on the course's items now, before its first day; who
    and when are kept. False if it was already opened early (the same form sent twice)."""
    if cohort.offering.season.state == SeasonState.CLOSED:
        raise InvalidSeason(_l("This season is closed."))
    if cohort.opened_early_at is None and cohort.has_started:
        raise InvalidSeason(_l("This cohort has started: its course is open already."))
    opened = db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.opened_early_at.is_(None))
        .values(opened_early_at=utcnow(), opened_early_by_id=by.id if by is not None else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(cohort)
    return opened == 1


def remove_cohort(cohort: Cohort) -> None:
    """Delete a cohort nobody holds a seat in."""
    db.session.refresh(cohort)
    if cohort.seats_taken:
        raise InvalidSeason(_l("Learners hold seats in this cohort."))
    db.session.delete(cohort)
    db.session.flush()


def cohorts_led_by(user: User) -> list[Cohort]:
    """The tutor's cohorts, newest season first."""
    from app.seasons.models import cohort_tutor

    return list(
        db.session.scalars(
            select(Cohort)
            .join(cohort_tutor, cohort_tutor.c.cohort_id == Cohort.id)
            .join(Offering, Offering.id == Cohort.offering_id)
            .join(Season, Season.id == Offering.season_id)
            .where(cohort_tutor.c.user_id == user.id)
            .options(
                joinedload(Cohort.offering).joinedload(Offering.season),
                joinedload(Cohort.offering).joinedload(Offering.course),
            )
            .order_by(Season.starts_on.desc(), Cohort.starts_on, Cohort.id)
        ).unique()
    )


# Enrolment ----------------------------------------------------------------------------


def _take_seat(cohort_id: int) -> bool:
    """Take one seat if one is left; atomic on both databases."""
    return (
        db.session.execute(
            update(Cohort)
            .where(Cohort.id == cohort_id, Cohort.seats_taken < Cohort.seats)
            .values(seats_taken=Cohort.seats_taken + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _free_seat(cohort_id: int) -> None:
    db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort_id, Cohort.seats_taken > 0)
        .values(seats_taken=Cohort.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


def _lock_cohort(cohort_id: int) -> None:
    """Hold the cohort row until commit, so waiting-list promotions run one at a time.

    A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite.
    """
    db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort_id)
        .values(seats_taken=Cohort.seats_taken)
        .execution_options(synchronize_session=False)
    )


def _check_target(offering: Offering, cohort: Cohort | None) -> None:
    if offering.course.kind == CourseKind.TUTOR_LED:
        if cohort is None or cohort.offering_id != offering.id:
            raise EnrollmentClosed(_l("Choose a cohort of this course."))
    elif cohort is not None:
        raise EnrollmentClosed(_l("This course is self-paced: it has no cohorts."))


def enroll(user: User, offering: Offering, cohort: Cohort | None = None, *, by_admin=False):
    """Give the learner a place in the course this season (in `cohort` for tutor-led courses).

    Idempotent for the same place; refuses a second place in the same course and season.
    Administrators may enrol outside the window, never beyond the seats. Tells nobody: who
    enrols someone else writes to them in their own words (coordinators, rosters).
    """
    return _enroll(user, offering, cohort, by_admin=by_admin)[0]


def enroll_self(user: User, offering: Offering, cohort: Cohort | None = None) -> Enrollment:
    """The learner enrols themselves: `enroll`, and a confirmation through the notification
    centre when this call made the place (not for the same form sent twice)."""
    enrollment, created = _enroll(user, offering, cohort)
    if created:
        _tell_enrolled(user, offering.course, cohort)
    return enrollment


def _enroll(
    user: User, offering: Offering, cohort: Cohort | None, *, by_admin=False
) -> tuple[Enrollment, bool]:
    """The place, and whether this call created it."""
    _check_target(offering, cohort)
    season = offering.season
    existing = enrollments.enrollment_in_season(user.id, offering.course_id, season.id)
    if existing is not None:
        return _same_place_or_refuse(existing, cohort), False
    if not season.is_open and not (by_admin and season.state == SeasonState.DRAFT):
        raise EnrollmentClosed(_l("Enrolment in this season is closed."))
    if not by_admin and not enrollment_open(offering, cohort):
        raise EnrollmentClosed(_l("Enrolment is not open at the moment."))
    if cohort is not None and not _take_seat(cohort.id):
        raise CohortFull(_l("This cohort is full. You can join its waiting list."))
    enrollment, created = enrollments.create_enrollment(
        user.id, offering.course_id, season.id, cohort.id if cohort else None
    )
    if not created:
        # The same learner enrolled at this very moment from another request.
        if cohort is not None:
            _free_seat(cohort.id)
        return _same_place_or_refuse(enrollment, cohort), False
    _leave_waitlists(user.id, offering.id)
    return enrollment, True


def _tell_enrolled(user: User, course: Course, cohort: Cohort | None) -> None:
    """The learner's confirmation: what they enrolled in, a cohort's dates, the course's link
    (in the platform, and by mail or digest as they chose; mail leaves after the commit)."""
    dates = {}
    if cohort is not None:
        dates = {
            "cohort": cohort.name,
            "starts_on": cohort.starts_on.isoformat(),
            "ends_on": cohort.ends_on.isoformat(),
        }
    notify(
        user,
        ENROLLED,
        external_url("learning.course_home", course_slug=course.slug),
        course=course.title,
        **dates,
    )


def _same_place_or_refuse(enrollment: Enrollment, cohort: Cohort | None) -> Enrollment:
    if enrollment.cohort_id == (cohort.id if cohort else None):
        return enrollment
    raise AlreadyEnrolled(_l("You already have a place in this course this season."))


def _leave_waitlists(user_id: int, offering_id: int) -> None:
    """A learner with a place no longer waits for another cohort of the same course."""
    cohort_ids = select(Cohort.id).where(Cohort.offering_id == offering_id)
    db.session.execute(
        delete(WaitlistEntry).where(
            WaitlistEntry.user_id == user_id, WaitlistEntry.cohort_id.in_(cohort_ids)
        )
    )


def can_withdraw(enrollment: Enrollment) -> bool:
    """Whether the learner may give up their place themselves."""
    if not enrollment.season.is_open or enrollment.completed_at is not None:
        return False
    return enrollment.cohort is None or not enrollment.cohort.has_started


def withdraw(enrollment: Enrollment, *, by_admin: bool = False) -> list[User]:
    """Remove the learner from the course (with their progress); the seat goes to the next
    in line. Learners withdraw before their cohort starts; administrators at any time.
    Returns who got the freed seat."""
    if not by_admin and not can_withdraw(enrollment):
        raise WithdrawalClosed(
            _l("You can no longer withdraw: the cohort has started or the season is closed.")
        )
    cohort_id = enrollment.cohort_id
    if not enrollments.remove_enrollment(enrollment):
        return []  # already withdrawn (the same request sent twice): no seat to give
    if cohort_id is None:
        return []
    _free_seat(cohort_id)
    cohort = db.session.get(Cohort, cohort_id)
    db.session.refresh(cohort)
    return promote_waiting(cohort)


# Waiting lists ------------------------------------------------------------------------


def join_waitlist(user: User, cohort: Cohort) -> WaitlistEntry | Enrollment:
    """Queue the learner for a seat in a full cohort (or enrol them, if a seat is free, with
    the confirmation of a learner's own enrolment; a seat from the line has its own mail)."""
    offering = cohort.offering
    if enrollments.enrollment_in_season(user.id, offering.course_id, offering.season_id):
        raise AlreadyEnrolled(_l("You already have a place in this course this season."))
    if not enrollment_open(offering, cohort):
        raise EnrollmentClosed(_l("Enrolment is not open at the moment."))
    try:
        return enroll_self(user, offering, cohort)
    except CohortFull:
        pass
    insert_or_ignore(WaitlistEntry, cohort_id=cohort.id, user_id=user.id, joined_at=utcnow())
    # A seat freed while this request ran would otherwise wait for the next withdrawal.
    _lock_cohort(cohort.id)
    db.session.refresh(cohort)
    promote_waiting(cohort)
    enrollment = enrollments.enrollment_in_season(user.id, offering.course_id, offering.season_id)
    return enrollment or waitlist_entry(user, cohort)


def waitlist_entry(user: User, cohort: Cohort) -> WaitlistEntry | None:
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.cohort_id == cohort.id, WaitlistEntry.user_id == user.id
        )
    )


def leave_waitlist(user: User, cohort: Cohort) -> None:
    db.session.execute(
        delete(WaitlistEntry).where(
            WaitlistEntry.cohort_id == cohort.id, WaitlistEntry.user_id == user.id
        )
    )


def waitlist_position(entry: WaitlistEntry) -> int:
    """1 for the first in line."""
    return db.session.scalar(
        select(func.count())
        .select_from(WaitlistEntry)
        .where(WaitlistEntry.cohort_id == entry.cohort_id, WaitlistEntry.id <= entry.id)
    )


def waitlist(cohort: Cohort) -> list[WaitlistEntry]:
    """The cohort's waiting list in order, with each person."""
    return list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.cohort_id == cohort.id)
            .options(joinedload(WaitlistEntry.user))
            .order_by(WaitlistEntry.id)
        )
    )


def promote_waiting(cohort: Cohort) -> list[User]:
    """Give free seats to the first in line, in order, and tell each by mail."""
    offering = cohort.offering
    if not enrollment_open(offering, cohort):
        return []
    _lock_cohort(cohort.id)
    promoted = []
    while True:
        entry = db.session.scalar(
            select(WaitlistEntry)
            .where(WaitlistEntry.cohort_id == cohort.id)
            .order_by(WaitlistEntry.id)
            .limit(1)
        )
        if entry is None:
            break
        user = entry.user
        if enrollments.enrollment_in_season(user.id, offering.course_id, offering.season_id):
            db.session.delete(entry)  # placed elsewhere meanwhile
            db.session.flush()
            continue
        if not _take_seat(cohort.id):
            break
        _, created = enrollments.create_enrollment(
            user.id, offering.course_id, offering.season_id, cohort.id
        )
        if not created:  # enrolled from another request meanwhile: the seat is not theirs
            _free_seat(cohort.id)
            db.session.delete(entry)
            db.session.flush()
            continue
        _leave_waitlists(user.id, offering.id)
        _tell_promoted(user, cohort)
        promoted.append(user)
    db.session.refresh(cohort)
    return promoted


def _tell_promoted(user: User, cohort: Cohort) -> None:
    course = cohort.offering.course
    send_template_mail(
        user.email,
        user.locale,
        "seasons/mail/seat_from_waitlist",
        _l("A seat is yours"),
        user=user,
        cohort=cohort,
        course=course,
        course_url=external_url("learning.course_home", course_slug=course.slug),
    )
    notify(
        user,
        SEAT,
        external_url("learning.course_home", course_slug=course.slug),
        course=course.title,
    )


def _place_in_line(entry) -> object:
    """`entry`'s place in its cohort's waiting list: the entries that joined before it, itself
    included (a column for a statement selecting from `entry`)."""
    ahead = aliased(WaitlistEntry)
    return (
        select(func.count(ahead.id))
        .where(ahead.cohort_id == entry.cohort_id, ahead.id <= entry.id)
        .scalar_subquery()
    )


def waiting_positions(user: User, offerings: list[Offering]) -> dict[int, int]:
    """{cohort id: the learner's place in its waiting list} across the offerings, one query."""
    cohort_ids = [c.id for o in offerings for c in o.cohorts]
    if not cohort_ids:
        return {}
    rows = db.session.execute(
        select(WaitlistEntry.cohort_id, _place_in_line(WaitlistEntry)).where(
            WaitlistEntry.user_id == user.id, WaitlistEntry.cohort_id.in_(cohort_ids)
        )
    ).all()
    return dict(rows)


# Built once: every dashboard runs it. Rows, not objects (the dashboard shows a few values of
# each entry), each with its place in line.
_WAITING_OF = (
    select(
        WaitlistEntry.cohort_id,
        WaitlistEntry.joined_at,
        Cohort.name.label("cohort_name"),
        Course.slug.label("course_slug"),
        Course.title.label("course_title"),
        Course.language.label("course_language"),
        _place_in_line(WaitlistEntry).label("position"),
    )
    .join(Cohort, Cohort.id == WaitlistEntry.cohort_id)
    .join(Offering, Offering.id == Cohort.offering_id)
    .join(Course, Course.id == Offering.course_id)
    .where(WaitlistEntry.user_id == bindparam("user"))
    .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
)


def waiting_for(user: User) -> list:
    """The learner's waiting-list entries, oldest first, as rows: cohort_id, joined_at,
    cohort_name, course_slug, course_title, course_language and position (their place in
    line); one query."""
    return read_rows(_WAITING_OF, {"user": user.id}).all()


# Tutors -------------------------------------------------------------------------------


def cohort_learners(cohort: Cohort) -> list[Enrollment]:
    """The cohort's enrolments with each learner (and institution), sorted by name."""
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.cohort_id == cohort.id)
        .options(joinedload(Enrollment.user).joinedload(User.institution))
    ).all()
    return sorted(enrollments, key=lambda e: (collation_key(e.user.full_name), e.user.id))


def message_learner(place: Enrollment, sender: User, subject: str, body: str) -> None:
    """Mail `body` to one learner of a cohort, in their language, from their tutor."""
    cohort = place.cohort
    course = cohort.offering.course
    send_template_mail(
        place.user.email,
        place.user.locale,
        "seasons/mail/cohort_message",
        subject,
        sender=sender,
        cohort=cohort,
        course=course,
        message=body,
        course_url=external_url("learning.course_home", course_slug=course.slug),
        to_one=True,
    )


def message_cohort(cohort: Cohort, sender: User, subject: str, body: str) -> int:
    """Mail `body` to every learner of the cohort, each in their language; how many were sent.

    The text goes into a plain-text mail as written: nothing in it is markup or a formula.
    """
    course = cohort.offering.course
    course_url = external_url("learning.course_home", course_slug=course.slug)
    learners = [e.user for e in cohort_learners(cohort)]
    # Kept as sent, so the learners' course pages show the latest message too.
    db.session.add(
        CohortMessage(cohort_id=cohort.id, sender_id=sender.id, subject=subject, body=body)
    )
    db.session.flush()
    for learner in learners:
        send_template_mail(
            learner.email,
            learner.locale,
            "seasons/mail/cohort_message",
            subject,
            sender=sender,
            cohort=cohort,
            course=course,
            message=body,
            course_url=course_url,
        )
    return len(learners)


# Built once: every dashboard and course home page runs it. Rows, not objects: the cards
# show four values of each message.
_LATEST_MESSAGES = (
    select(
        CohortMessage.cohort_id,
        CohortMessage.sent_at,
        CohortMessage.subject,
        CohortMessage.body,
        User.full_name.label("sender_name"),
    )
    .outerjoin(User, User.id == CohortMessage.sender_id)
    .where(
        CohortMessage.id.in_(
            select(func.max(CohortMessage.id))
            .where(CohortMessage.cohort_id.in_(bindparam("cohorts", expanding=True)))
            .group_by(CohortMessage.cohort_id)
        )
    )
)


def latest_messages(cohort_ids: list[int]) -> dict[int, object]:
    """{cohort id: its tutors' latest message} for many cohorts, one query: rows of sent_at,
    subject, body and sender_name (None when the sender's account is gone)."""
    if not cohort_ids:
        return {}
    return {
        message.cohort_id: message
        for message in read_rows(_LATEST_MESSAGES, {"cohorts": sorted(set(cohort_ids))})
    }
