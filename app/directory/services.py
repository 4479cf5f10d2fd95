"""Listing an institution's own courses, and the public directory's reads."""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Institution
from app.core.db import utcnow
from app.core.i18n import is_country
from app.core.refusals import Refusal
from app.directory.models import MemberCourse, Modality
from app.extensions import db
from app.observatory.vocabulary import THEMES

LANGUAGES = ("es", "pt", "en")
TITLE_MAX = 200
DESCRIPTION_MAX = 2_000
URL_MAX = 500
HOURS_MAX = 10_000
COURSES_MAX = 500  # per institution

_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_URL = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)


class DirectoryError(Refusal):
    """A rule about the course directory was broken; the message is for the person."""


@dataclass
class CourseListing:
    title: str
    description: str
    modality: str
    language: str
    theme: str
    hours: int | None
    free: bool
    url: str


def _check(listing: CourseListing) -> CourseListing:
    title = (listing.title or "").strip()
    if not title:
        raise DirectoryError(_l("A course needs a title."))
    if _LINE_CONTROL.search(title) or len(title) > TITLE_MAX:
        raise DirectoryError(
            _l("A title is one line of at most %(max)s characters.", max=TITLE_MAX)
        )
    description = (listing.description or "").replace("\r\n", "\n").strip()
    if _CONTROL.search(description) or len(description) > DESCRIPTION_MAX:
        raise DirectoryError(
            _l("A description has at most %(max)s characters.", max=DESCRIPTION_MAX)
        )
    if listing.modality not in set(Modality):
        raise DirectoryError(_l("Choose a modality from the list."))
    if listing.language not in LANGUAGES:
        raise DirectoryError(_l("Choose Spanish, Portuguese or English."))
    if listing.theme not in THEMES:
        raise DirectoryError(_l("Choose a theme from the list."))
    if listing.hours is not None and not 0 < listing.hours <= HOURS_MAX:
        raise DirectoryError(_l("Hours go from 1 to %(max)s.", max=HOURS_MAX))
    url = (listing.url or "").strip()
    if len(url) > URL_MAX or not _URL.match(url):
        raise DirectoryError(_l("Give the course's web address (http:// or https://)."))
    return CourseListing(
        title, description, listing.modality, listing.language, listing.theme,
        listing.hours, bool(listing.free), url,
    )  # fmt: skip


def save_course(course: MemberCourse | None, institution: Institution, listing: CourseListing):
    """List a new course of the institution, or change one; checks all, then writes."""
    checked = _check(listing)
    if course is None:
        listed = db.session.scalar(
            select(db.func.count())
            .select_from(MemberCourse)
            .where(MemberCourse.institution_id == institution.id)
        )
        if listed >= COURSES_MAX:
            raise DirectoryError(
                _l("An institution lists at most %(max)s courses.", max=COURSES_MAX)
            )
        course = MemberCourse(institution_id=institution.id)
        db.session.add(course)
    course.title, course.description = checked.title, checked.description
    course.modality = Modality(checked.modality)
    course.language, course.theme = checked.language, checked.theme
    course.hours, course.free, course.url = checked.hours, checked.free, checked.url
    course.updated_at = utcnow()
    db.session.flush()
    return course


def remove_course(course: MemberCourse) -> None:
    db.session.delete(course)
    db.session.flush()


def courses_of(institution: Institution) -> list[MemberCourse]:
    return list(
        db.session.scalars(
            select(MemberCourse)
            .where(MemberCourse.institution_id == institution.id)
            .order_by(MemberCourse.title, MemberCourse.id)
        )
    )


@dataclass
class Filters:
    country: str = ""
    theme: str = ""
    language: str = ""
    modality: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        country = (args.get("country") or "")[:2].upper()
        theme, language, modality = (args.get(k) or "" for k in ("theme", "language", "modality"))
        return cls(
            country=country if is_country(country) else "",
            theme=theme if theme in THEMES else "",
            language=language if language in LANGUAGES else "",
            modality=modality if modality in set(Modality) else "",
        )

    def as_args(self) -> dict:
        return {k: v for k, v in vars(self).items() if v}


def directory_query(filters: Filters):
    statement = select(MemberCourse).join(
        Institution, Institution.id == MemberCourse.institution_id
    )
    if filters.country:
        statement = statement.where(Institution.country_code == filters.country)
    if filters.theme:
        statement = statement.where(MemberCourse.theme == filters.theme)
    if filters.language:
        statement = statement.where(MemberCourse.language == filters.language)
    if filters.modality:
        statement = statement.where(MemberCourse.modality == Modality(filters.modality))
    return statement.order_by(Institution.country_code, Institution.acronym, MemberCourse.title)


def directory_countries() -> list[str]:
    return sorted(
        db.session.scalars(
            select(Institution.country_code)
            .join(MemberCourse, MemberCourse.institution_id == Institution.id)
            .group_by(Institution.country_code)
        )
    )
