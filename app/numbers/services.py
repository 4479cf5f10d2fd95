"""Counts for the public numbers page, from GROUP BY queries: their number never grows with
the rows. Only aggregates leave this module: no person is named or counted alone."""

from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select

from app.accounts.models import Institution, User
from app.certificates.models import Certificate, CertificateStatus
from app.directory.models import MemberCourse
from app.extensions import db
from app.observatory.models import Entry, EntryState
from app.seasons.models import Enrollment, Offering, Season, SeasonState


@dataclass
class SeasonNumbers:
    season: Season
    courses: int = 0
    learners: int = 0
    institutions: int = 0
    countries: int = 0
    certificates: int = 0


@dataclass
class CountryNumbers:
    country_code: str
    institutions: int = 0
    learners: int = 0


@dataclass
class NetworkNumbers:
    institutions: int
    countries: int
    experiences: int
    member_courses: int
    seasons: list[SeasonNumbers]
    by_country: list[CountryNumbers] = field(default_factory=list)

    def maximum(self, measure: str) -> int:
        return max((getattr(s, measure) for s in self.seasons), default=0)

    @property
    def most_learners_in_a_country(self) -> int:
        return max((c.learners for c in self.by_country), default=0)


def network_numbers() -> NetworkNumbers:
    """The network's totals, each season's figures (open and closed seasons) and each
    country's, in eight queries whatever the number of seasons, learners or certificates."""
    institutions, countries = db.session.execute(
        select(func.count(Institution.id), func.count(distinct(Institution.country_code))).where(
            Institution.active.is_(True)
        )
    ).one()
    experiences = db.session.scalar(
        select(func.count(Entry.id)).where(Entry.state == EntryState.PUBLISHED)
    )
    member_courses = db.session.scalar(select(func.count(MemberCourse.id)))
    seasons = db.session.scalars(
        select(Season)
        .where(Season.state != SeasonState.DRAFT)
        .order_by(Season.starts_on, Season.id)
    ).all()
    by_season = {season.id: SeasonNumbers(season) for season in seasons}
    if by_season:
        ids = list(by_season)
        for season_id, courses in db.session.execute(
            select(Offering.season_id, func.count(Offering.id))
            .where(Offering.season_id.in_(ids))
            .group_by(Offering.season_id)
        ):
            by_season[season_id].courses = courses
        for season_id, learners, institution_count, country_count in db.session.execute(
            select(
                Enrollment.season_id,
                func.count(distinct(Enrollment.user_id)),
                func.count(distinct(User.institution_id)),
                func.count(distinct(User.country_code)),
            )
            .join(User, User.id == Enrollment.user_id)
            .where(Enrollment.season_id.in_(ids))
            .group_by(Enrollment.season_id)
        ):
            numbers = by_season[season_id]
            numbers.learners, numbers.institutions = learners, institution_count
            numbers.countries = country_count
        for season_id, certificates in db.session.execute(
            select(Enrollment.season_id, func.count(Certificate.id))
            .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
            .where(Enrollment.season_id.in_(ids), Certificate.status == CertificateStatus.VALID)
            .group_by(Enrollment.season_id)
        ):
            by_season[season_id].certificates = certificates
    return NetworkNumbers(
        institutions,
        countries,
        experiences or 0,
        member_courses or 0,
        list(by_season.values()),
        _by_country(),
    )


def _by_country() -> list[CountryNumbers]:
    """Member institutions and learners (enrolled in any open or closed season) per country,
    most learners first: two queries."""
    countries: dict[str, CountryNumbers] = {}
    for code, count in db.session.execute(
        select(Institution.country_code, func.count(Institution.id))
        .where(Institution.active.is_(True))
        .group_by(Institution.country_code)
    ):
        countries[code] = CountryNumbers(code, institutions=count)
    for code, learners in db.session.execute(
        select(User.country_code, func.count(distinct(Enrollment.user_id)))
        .join(Enrollment, Enrollment.user_id == User.id)
        .join(Season, Season.id == Enrollment.season_id)
        .where(Season.state != SeasonState.DRAFT)
        .group_by(User.country_code)
    ):
        countries.setdefault(code, CountryNumbers(code)).learners = learners
    return sorted(countries.values(), key=lambda c: (-c.learners, -c.institutions, c.country_code))
