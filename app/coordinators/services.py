"""Granting the coordinator role, and what a coordinator does for their institution: see its
people, enrol them through the seasons' own `enroll` (seats and windows as for everyone),
read its participation across seasons."""

from dataclasses import dataclass

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, distinct, exists, func, select
from sqlalchemy.orm import joinedload

from app.accounts.models import Institution, User
from app.accounts.services import external_url
from app.certificates.models import Certificate, CertificateStatus
from app.coordinators.models import InstitutionCoordinator
from app.core.db import read_rows
from app.core.mail import send_template_mail
from app.core.refusals import Refusal
from app.extensions import db
from app.seasons import enrollments
from app.seasons import services as seasons
from app.seasons.models import Cohort, Enrollment, Offering, Season

MAX_PEOPLE_AT_ONCE = 200


class CoordinatorError(Refusal):
    """A rule about coordinators was broken; the message is for the person."""


# The role ------------------------------------------------------------------------------


# Built once: every coordinator's page asks it (the dashboard asks whether it finds a row).
COORDINATED_BY = select(InstitutionCoordinator.institution_id).where(
    InstitutionCoordinator.user_id == bindparam("user")
)


def coordinated_institution_id(user) -> int | None:
    """The institution the person coordinates (None if none); asked once per request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cache = g.setdefault("coordinated_institution", {}) if has_request_context() else {}
    if user.id not in cache:
        # A role granted or removed is flushed at once (grant_coordinator): read_rows sees it.
        cache[user.id] = read_rows(COORDINATED_BY, {"user": user.id}).scalar()
    return cache[user.id]


def can_coordinate(user, institution_id: int) -> bool:
    """Administrators act for every institution; a coordinator for their own only."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_admin) or coordinated_institution_id(user) == institution_id


def coordinators_of(institution: Institution) -> list[InstitutionCoordinator]:
    return list(
        db.session.scalars(
            select(InstitutionCoordinator)
            .where(InstitutionCoordinator.institution_id == institution.id)
            .order_by(InstitutionCoordinator.granted_at)
        )
    )


def grant_coordinator(actor: User, institution: Institution, user: User) -> InstitutionCoordinator:
    """Make `user` a coordinator of `institution` (one institution per person)."""
    current = db.session.get(InstitutionCoordinator, user.id)
    if current is not None:
        if current.institution_id == institution.id:
            return current
        raise CoordinatorError(
            _l(
                "%(name)s already coordinates %(institution)s: remove that role first.",
                name=user.full_name,
                institution=current.institution.acronym,
            )
        )
    if user.institution_id != institution.id:
        raise CoordinatorError(
            _l("%(name)s is not registered with this institution.", name=user.full_name)
        )
    row = InstitutionCoordinator(
        user_id=user.id, institution_id=institution.id, granted_by_id=actor.id
    )
    db.session.add(row)
    db.session.flush()
    return row


def revoke_coordinator(institution: Institution, user: User) -> None:
    row = db.session.get(InstitutionCoordinator, user.id)
    if row is not None and row.institution_id == institution.id:
        db.session.delete(row)
        db.session.flush()


# The institution's people ----------------------------------------------------------------


def people_query(institution: Institution, query: str = ""):
    """The institution's registered people, by name (a select for pagination)."""
    statement = select(User).where(User.institution_id == institution.id)
    query = (query or "").strip()[:100]
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(func.lower(User.full_name).like(like) | User.email.like(like))
    return statement.order_by(User.full_name, User.id)


def person_of(institution: Institution, user_id: int) -> User | None:
    """The person, if registered with this institution (else None: not theirs to see)."""
    user = db.session.get(User, user_id)
    if user is None or user.institution_id != institution.id:
        return None
    return user


def places_of(user: User) -> list[Enrollment]:
    return list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.user_id == user.id)
            .options(
                joinedload(Enrollment.course),
                joinedload(Enrollment.season),
                joinedload(Enrollment.cohort),
            )
            .order_by(Enrollment.enrolled_at.desc())
        )
    )


@dataclass
class Place:
    """A way into a course that is open now: a self-paced offering, or a cohort."""

    offering: Offering
    cohort: Cohort | None

    @property
    def key(self) -> str:
        return f"{self.offering.id}-{self.cohort.id if self.cohort else 0}"


def open_places() -> list[Place]:
    """Every offering and cohort open for enrolment now, in one query."""
    places = []
    for offering in seasons.open_offerings():
        if seasons.enrollment_open(offering):
            places.append(Place(offering, None))
        for cohort in offering.cohorts:
            if seasons.enrollment_open(offering, cohort):
                places.append(Place(offering, cohort))
    return places


def find_place(key: str) -> Place | None:
    """The open place a form's value names, or None."""
    return next((place for place in open_places() if place.key == key), None)


def enroll_person(
    institution: Institution, person: User, place: Place, actor: User | None = None
) -> Enrollment:
    """Enrol one of the institution's people, through the same rules as a learner's own
    enrolment (the window must be open and a seat free), and tell them by mail."""
    if person.institution_id != institution.id:
        raise CoordinatorError(_l("This person is not registered with your institution."))
    already = enrollments.enrollment_in_season(
        person.id, place.offering.course_id, place.offering.season_id
    )
    enrollment = seasons.enroll(person, place.offering, place.cohort)
    if already is None:
        course = place.offering.course
        send_template_mail(
            person.email,
            person.locale,
            "seasons/mail/enrolled",
            _l("You have a place in a course on Aula"),
            user=person,
            invited_by=actor,
            course=course,
            cohort=place.cohort,
            course_url=external_url("learning.course_home", course_slug=course.slug),
            reset_url=external_url("accounts.forgot_password"),
        )
    return enrollment


def enroll_people(
    institution: Institution, user_ids: list[int], place: Place, actor: User | None = None
) -> list[Enrollment]:
    """Enrol several of the institution's people in one place: all of them or, if one is
    refused (a full cohort, a place elsewhere in the course), none."""
    if not user_ids:
        raise CoordinatorError(_l("Choose at least one person."))
    if len(user_ids) > MAX_PEOPLE_AT_ONCE:
        raise CoordinatorError(_l("Enrol at most %(max)s people at once.", max=MAX_PEOPLE_AT_ONCE))
    if any(not 0 < user_id < 2**31 for user_id in user_ids):  # no id column holds it
        raise CoordinatorError(_l("This person is not registered with your institution."))
    people = db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
    if len(people) != len(set(user_ids)) or any(
        person.institution_id != institution.id for person in people
    ):
        raise CoordinatorError(_l("This person is not registered with your institution."))
    placed = []
    for person in sorted(people, key=lambda p: (p.full_name, p.id)):
        try:
            placed.append(enroll_person(institution, person, place, actor))
        except seasons.SeasonError as error:
            raise CoordinatorError(
                _l(
                    "Nobody was enrolled: %(name)s: %(reason)s",
                    name=person.full_name,
                    reason=str(error),
                )
            ) from None
    return placed


# Participation --------------------------------------------------------------------------


@dataclass
class SeasonParticipation:
    season: Season
    learners: int
    enrolled: int
    completed: int
    certified: int


def participation(institution: Institution) -> list[SeasonParticipation]:
    """The institution's people in each season: one GROUP BY query."""
    certified = exists().where(
        Certificate.enrollment_id == Enrollment.id,
        Certificate.status == CertificateStatus.VALID,
    )
    rows = db.session.execute(
        select(
            Season,
            func.count(distinct(Enrollment.user_id)),
            func.count(Enrollment.id),
            func.sum(case((Enrollment.completed_at.is_not(None), 1), else_=0)),
            func.sum(case((certified, 1), else_=0)),
        )
        .join(Enrollment, Enrollment.season_id == Season.id)
        .join(User, User.id == Enrollment.user_id)
        .where(User.institution_id == institution.id)
        .group_by(Season.id)
        .order_by(Season.starts_on.desc(), Season.id)
    ).all()
    return [
        SeasonParticipation(season, learners, enrolled, completed or 0, certified_count or 0)
        for season, learners, enrolled, completed, certified_count in rows
    ]
