"""The season's participation figures, from GROUP BY queries: their number never grows with
the number of learners. The page and the CSV export read the same `season_figures`.

Reports read every area's tables (enrolments, progress, attempts, people) and write none.
"""

from dataclasses import dataclass, field

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Institution, Represents, User
from app.catalog.models import Course
from app.certificates.models import Certificate, CertificateStatus
from app.core.i18n import reader_language
from app.extensions import db
from app.learning.models import ItemProgress, QuizAttempt
from app.seasons.models import Cohort, Enrollment, Offering, Season


@dataclass
class FigureRow:
    """One line of a table: what it is about, then its counts.

    learners: distinct people; enrolled: enrolments; active: enrolments with an item done or
    a quiz attempt; completed: enrolments with `completed_at` set; certified: enrolments with a
    valid certificate.
    """

    course: Course | None = None
    cohort: Cohort | None = None
    country_code: str | None = None
    institution: str | None = None  # an acronym, or the name learners wrote in
    institution_name: str | None = None  # the full name of a listed institution
    represents: Represents | None = None  # what the learners represent (VTI, ministry ...)
    learners: int = 0
    enrolled: int = 0
    active: int = 0
    completed: int = 0
    certified: int = 0  # enrolments holding a valid (not revoked) certificate


@dataclass
class SeasonFigures:
    """Everything the season report shows: the headline and the five tables."""

    season: Season
    total: FigureRow
    by_course: list[FigureRow] = field(default_factory=list)
    by_cohort: list[FigureRow] = field(default_factory=list)
    by_country: list[FigureRow] = field(default_factory=list)
    by_institution: list[FigureRow] = field(default_factory=list)
    by_represents: list[FigureRow] = field(default_factory=list)

    @property
    def participants(self) -> int:
        """Distinct learners enrolled in the season."""
        return self.total.learners

    @property
    def institutions(self) -> int:
        """Listed institutions plus the distinct names learners wrote in (case-insensitive)."""
        return len(self.by_institution)

    @property
    def countries(self) -> int:
        return len(self.by_country)


def _enrollments(season: Season):
    """One row per enrolment of the season with its learner's country and institution and
    whether it is active and completed (as 1 or 0, ready to be summed)."""
    started = or_(
        exists().where(ItemProgress.enrollment_id == Enrollment.id),
        exists().where(QuizAttempt.enrollment_id == Enrollment.id),
    )
    certified = exists().where(
        Certificate.enrollment_id == Enrollment.id,
        Certificate.status == CertificateStatus.VALID,
    )
    return (
        select(
            Enrollment.id.label("enrollment_id"),
            Enrollment.user_id,
            Enrollment.course_id,
            Enrollment.cohort_id,
            User.country_code,
            User.represents,
            User.institution_id,
            # A listed institution wins over any text in the free field.
            case((User.institution_id.is_(None), User.institution_other)).label(
                "institution_other"
            ),
            case((started, 1), else_=0).label("active"),
            case((Enrollment.completed_at.is_not(None), 1), else_=0).label("completed"),
            case((certified, 1), else_=0).label("certified"),
        )
        .join(User, User.id == Enrollment.user_id)
        .where(Enrollment.season_id == season.id)
        .subquery()
    )


def _counts(rows):
    """The count columns every grouped query ends with."""
    return (
        func.count(func.distinct(rows.c.user_id)).label("learners"),
        func.count(rows.c.enrollment_id).label("enrolled"),
        func.coalesce(func.sum(rows.c.active), 0).label("active"),
        func.coalesce(func.sum(rows.c.completed), 0).label("completed"),
        func.coalesce(func.sum(rows.c.certified), 0).label("certified"),
    )


def _figures(row) -> dict:
    return {
        "learners": row.learners,
        "enrolled": row.enrolled,
        "active": int(row.active),
        "completed": int(row.completed),
        "certified": int(row.certified),
    }


def season_figures(season: Season) -> SeasonFigures:
    """The season's participation figures in a fixed number of queries (eight)."""
    rows = _enrollments(season)
    offerings = db.session.scalars(
        select(Offering)
        .where(Offering.season_id == season.id)
        .options(selectinload(Offering.course), selectinload(Offering.cohorts))
        .order_by(Offering.id)
    ).all()

    total = db.session.execute(select(*_counts(rows))).one()
    figures = SeasonFigures(season=season, total=FigureRow(**_figures(total)))

    by_course = {
        r.course_id: _figures(r)
        for r in db.session.execute(
            select(rows.c.course_id, *_counts(rows)).group_by(rows.c.course_id)
        )
    }
    by_cohort = {
        (r.course_id, r.cohort_id): _figures(r)
        for r in db.session.execute(
            select(rows.c.course_id, rows.c.cohort_id, *_counts(rows)).group_by(
                rows.c.course_id, rows.c.cohort_id
            )
        )
    }
    # Every offered course and cohort is listed, with zeros where nobody enrolled.
    for offering in sorted(offerings, key=lambda o: (o.course.position, o.course.slug)):
        course = offering.course
        figures.by_course.append(FigureRow(course=course, **by_course.get(course.id, {})))
        for cohort in offering.cohorts:
            counts = by_cohort.get((course.id, cohort.id), {})
            figures.by_cohort.append(FigureRow(course=course, cohort=cohort, **counts))
        if (course.id, None) in by_cohort:  # enrolments outside cohorts: self-paced
            figures.by_cohort.append(FigureRow(course=course, **by_cohort[(course.id, None)]))

    figures.by_country = sorted(
        (
            FigureRow(country_code=r.country_code, **_figures(r))
            for r in db.session.execute(
                select(rows.c.country_code, *_counts(rows)).group_by(rows.c.country_code)
            )
        ),
        key=lambda row: (-row.learners, row.country_code),
    )
    figures.by_institution = _by_institution(rows)
    # What people represent: every kind listed, in the order registration asks, zeros too.
    by_represents = {
        Represents(r.represents): _figures(r)
        for r in db.session.execute(
            select(rows.c.represents, *_counts(rows)).group_by(rows.c.represents)
        )
    }
    figures.by_represents = [
        FigureRow(represents=kind, **by_represents.get(kind, {})) for kind in Represents
    ]
    return figures


def _name_key(name: str) -> str:
    """Free-text institution names count once whatever their case and spacing."""
    return " ".join(name.split()).casefold()


def _by_institution(rows) -> list[FigureRow]:
    # Listed institutions by their name in the reader's language.
    language = reader_language()
    if language not in Institution.NAME_LANGUAGES:
        language = "en"
    name_column = getattr(Institution, f"name_{language}").label("name")
    result = []
    written: dict[str, list[tuple[str, dict]]] = {}  # name key -> [(spelling, counts)]
    for r in db.session.execute(
        select(
            rows.c.institution_id,
            Institution.acronym,
            name_column,
            rows.c.institution_other,
            *_counts(rows),
        )
        .outerjoin(Institution, Institution.id == rows.c.institution_id)
        .group_by(rows.c.institution_id, Institution.acronym, name_column, rows.c.institution_other)
    ):
        if r.institution_id is not None:
            result.append(FigureRow(institution=r.acronym, institution_name=r.name, **_figures(r)))
        else:
            name = " ".join((r.institution_other or "").split())
            written.setdefault(_name_key(name), []).append((name, _figures(r)))
    # Case and spacing variants are merged here, not in SQL: SQLite's lower() folds ASCII only.
    # Each person has one institution, so the variants' counts simply add up.
    for variants in written.values():
        row = FigureRow()
        for _name, counts in variants:
            for count, value in counts.items():
                setattr(row, count, getattr(row, count) + value)
        # The spelling most learners used names the row (the first alphabetically on a tie).
        row.institution = min(variants, key=lambda v: (-v[1]["learners"], v[0]))[0]
        result.append(row)
    return sorted(result, key=lambda row: (-row.learners, _name_key(row.institution or "")))


# Across seasons -----------------------------------------------------------------------


@dataclass
class SeasonLine:
    """One season in the network view.

    people: distinct learners; enrolled: enrolments; institutions and countries: of those
    learners (institutions counted as in the season report); repeat: learners of this season
    who are enrolled in at least one other season too."""

    season: Season
    people: int = 0
    enrolled: int = 0
    institutions: int = 0
    countries: int = 0
    repeat: int = 0


@dataclass
class NetworkFigures:
    """Every season side by side, and the network as a whole (each person counted once)."""

    seasons: list[SeasonLine]
    total: SeasonLine  # its `season` is None

    @property
    def repeat_share(self) -> float:
        """The share of all people who enrolled in more than one season."""
        return self.total.repeat / self.total.people if self.total.people else 0.0


def network_figures() -> NetworkFigures:
    """How many people, institutions and countries each season reached, and repeat learners,
    in a fixed number of queries (five) whatever the number of seasons and learners."""
    seasons = db.session.scalars(select(Season).order_by(Season.starts_on, Season.id)).all()
    repeaters = (
        select(Enrollment.user_id)
        .group_by(Enrollment.user_id)
        .having(func.count(func.distinct(Enrollment.season_id)) > 1)
        .subquery()
    )
    lines = {season.id: SeasonLine(season=season) for season in seasons}
    for r in db.session.execute(
        select(
            Enrollment.season_id,
            func.count(func.distinct(Enrollment.user_id)).label("people"),
            func.count(Enrollment.id).label("enrolled"),
            func.count(func.distinct(User.country_code)).label("countries"),
        )
        .join(User, User.id == Enrollment.user_id)
        .group_by(Enrollment.season_id)
    ):
        line = lines[r.season_id]
        line.people, line.enrolled, line.countries = r.people, r.enrolled, r.countries
    for r in db.session.execute(
        select(Enrollment.season_id, func.count(func.distinct(Enrollment.user_id)).label("n"))
        .where(Enrollment.user_id.in_(select(repeaters.c.user_id)))
        .group_by(Enrollment.season_id)
    ):
        lines[r.season_id].repeat = r.n

    # Institutions: listed ones by id, written-in names once whatever their case and spacing
    # (folded here, as in the season report: SQLite's lower() folds ASCII only).
    reached: dict[int, set] = {season.id: set() for season in seasons}
    for r in db.session.execute(
        select(
            Enrollment.season_id,
            User.institution_id,
            case((User.institution_id.is_(None), User.institution_other)).label("other"),
        )
        .join(User, User.id == Enrollment.user_id)
        .distinct()
    ):
        key = (
            ("listed", r.institution_id)
            if r.institution_id
            else ("written", _name_key(r.other or ""))
        )
        reached[r.season_id].add(key)
    for season_id, keys in reached.items():
        lines[season_id].institutions = len(keys)

    total = db.session.execute(
        select(
            func.count(func.distinct(Enrollment.user_id)).label("people"),
            func.count(Enrollment.id).label("enrolled"),
            func.count(func.distinct(User.country_code)).label("countries"),
            select(func.count()).select_from(repeaters).scalar_subquery().label("repeat"),
        )
        .select_from(Enrollment)
        .join(User, User.id == Enrollment.user_id)
    ).one()
    return NetworkFigures(
        seasons=list(lines.values()),
        total=SeasonLine(
            season=None,
            people=total.people,
            enrolled=total.enrolled,
            institutions=len(set().union(*reached.values())),
            countries=total.countries,
            repeat=total.repeat,
        ),
    )
