"""A seasons service that refuses changes nothing: it checks every rule before it touches a
row, so neither the object in hand nor the database row (after a flush, read afresh) moves."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.catalog.models import CourseKind
from app.extensions import db
from app.seasons import services
from app.seasons.models import Cohort, Offering, Season
from tests.learning.helpers import build_course
from tests.seasons.factories import days, enroll, make_cohort, make_season, offering_for


@pytest.fixture
def tutored(app):
    course = build_course("tutored", kind=CourseKind.TUTOR_LED, languages=["es"], modules=1)
    db.session.commit()
    return course


@pytest.fixture
def self_paced(app):
    course = build_course("paced", languages=["es"], modules=1)
    db.session.commit()
    return course


def stored(model, row_id, *columns):
    """The columns as the database holds them, once whatever the session had pending is
    flushed: a service that changed the object before refusing would show here."""
    db.session.flush()
    db.session.expire_all()
    return tuple(db.session.execute(select(*columns).where(model.id == row_id)).one())


def count(model):
    db.session.flush()
    return db.session.scalar(select(func.count()).select_from(model))


SEASON_COLUMNS = (Season.name, Season.starts_on, Season.ends_on)


@pytest.mark.parametrize("what", ["cohort", "window"])
def test_a_refused_season_update_leaves_the_season_as_it_was(tutored, self_paced, what):
    season = make_season()
    if what == "cohort":
        make_cohort(tutored, starts_on=days(20), ends_on=days(250))
    else:
        offering_for(self_paced, enroll_opens_on=days(-10), enroll_closes_on=days(250))
    db.session.commit()
    before = (season.name, season.starts_on, season.ends_on)

    # A new name and a season that now ends before the cohort or the window does.
    with pytest.raises(services.InvalidSeason):
        services.update_season(season, "Renamed", days(-60), days(100))

    assert (season.name, season.starts_on, season.ends_on) == before
    assert stored(Season, season.id, *SEASON_COLUMNS) == before


def test_a_refused_season_update_for_a_taken_name_leaves_the_season_as_it_was(app):
    make_season("Other")
    season = make_season()
    db.session.commit()
    before = (season.name, season.starts_on, season.ends_on)

    with pytest.raises(services.InvalidSeason):
        services.update_season(season, "Other", days(-30), days(200))

    assert (season.name, season.starts_on, season.ends_on) == before
    assert stored(Season, season.id, *SEASON_COLUMNS) == before


def test_a_refused_copy_writes_no_season_offering_or_cohort(tutored):
    # A cohort whose capstone cut-off lies past the season end, near the last date there is:
    # the season's own dates can move 30 days, the cut-off cannot.
    season = make_season("Far", starts_on=date(9999, 1, 1), ends_on=date(9999, 6, 30))
    make_cohort(
        tutored,
        season=season,
        starts_on=date(9999, 2, 1),
        ends_on=date(9999, 5, 1),
        enroll_opens_on=date(9999, 1, 1),
        enroll_closes_on=date(9999, 1, 20),
    )
    cohort = season.offerings[0].cohorts[0]
    cohort.capstone_due_on, cohort.capstone_cutoff_on = date(9999, 12, 1), date(9999, 12, 20)
    db.session.commit()
    counts = (count(Season), count(Offering), count(Cohort))

    with pytest.raises(services.InvalidSeason):
        services.copy_season(season, "Copy", shift_days=30)

    assert (count(Season), count(Offering), count(Cohort)) == counts
    assert db.session.scalar(select(Season).where(Season.name == "Copy")) is None


def test_a_refused_copy_for_a_taken_name_writes_nothing(tutored):
    season = make_cohort(tutored).offering.season
    db.session.commit()
    counts = (count(Season), count(Offering), count(Cohort))

    with pytest.raises(services.InvalidSeason):
        services.copy_season(season, season.name, shift_days=364)

    assert (count(Season), count(Offering), count(Cohort)) == counts


COHORT_COLUMNS = (Cohort.name, Cohort.seats, Cohort.seats_taken, Cohort.ends_on)


def test_a_refused_cohort_update_leaves_the_cohort_as_it_was(tutored, make_user):
    cohort = make_cohort(tutored, name="Tarde", seats=2)
    enroll(make_user(), tutored, cohort)
    enroll(make_user(), tutored, cohort)
    db.session.commit()
    db.session.refresh(cohort)
    before = (cohort.name, cohort.seats, cohort.seats_taken, cohort.ends_on)
    plan = services.CohortPlan(
        name="Renamed",
        starts_on=cohort.starts_on,
        ends_on=days(90),
        enroll_opens_on=cohort.enroll_opens_on,
        enroll_closes_on=cohort.enroll_closes_on,
        seats=1,  # two learners hold seats
        language=cohort.language,
    )

    with pytest.raises(services.InvalidSeason):
        services.update_cohort(cohort, plan)

    assert (cohort.name, cohort.seats, cohort.seats_taken, cohort.ends_on) == before
    assert stored(Cohort, cohort.id, *COHORT_COLUMNS) == before


WINDOW_COLUMNS = (Offering.enroll_opens_on, Offering.enroll_closes_on)


def test_a_refused_window_leaves_the_offering_as_it_was(self_paced):
    offering = offering_for(self_paced, enroll_opens_on=days(-10), enroll_closes_on=days(30))
    db.session.commit()
    before = (offering.enroll_opens_on, offering.enroll_closes_on)

    # Opens inside the season, closes after it ends.
    with pytest.raises(services.InvalidSeason):
        services.set_offering_window(offering, days(-5), days(400))

    assert (offering.enroll_opens_on, offering.enroll_closes_on) == before
    assert stored(Offering, offering.id, *WINDOW_COLUMNS) == before
