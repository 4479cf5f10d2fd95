"""A learner's places as the dashboard reads them (seasons.enrollments.places_of): plain values
that read as the enrolments, courses, seasons and cohorts they come from, properties included,
so that the cards, notes and boards given a Place show what an Enrollment would show."""

from dataclasses import fields
from datetime import timedelta

import pytest
from flask_babel import force_locale

from app.accounts.models import Role
from app.catalog.models import CourseKind
from app.core.db import utcnow
from app.extensions import db
from app.seasons.enrollments import places_of
from app.seasons.models import Enrollment
from tests.capstones.helpers import make_person, osh_course
from tests.learning.helpers import build_course
from tests.seasons.factories import days, enroll, make_cohort, make_season


@pytest.fixture
def learner_with_places(app):
    """A learner with a place in a cohort not open yet, one in a cohort opened early (a
    deadline set), one in a self-paced course, completed; and a season named per language."""
    season = make_season()
    season.name_es, season.name_pt, season.name_en = "Temporada X", "Temporada Y", "Season Z"
    learner = make_person(Role.LEARNER)
    osh = osh_course()
    waiting = make_cohort(osh, name="Later", open_early=False, starts_on=days(30))
    enroll(learner, osh, waiting)
    other = build_course(
        "other-course", kind=CourseKind.TUTOR_LED, title={"es": "Otro", "en": "Other"}
    )
    early = make_cohort(other, name="Early", starts_on=days(10))
    early.capstone_due_on = days(60)
    enroll(learner, other, early)
    paced = build_course("paced-course")
    enroll(learner, paced)
    place = db.session.query(Enrollment).filter_by(user_id=learner.id, course_id=paced.id).one()
    place.completed_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return learner


def _same(place, orm, where):
    for field in fields(place):
        value = getattr(place, field.name)
        if field.name in {"course", "season", "cohort"}:
            if value is None:
                assert getattr(orm, field.name) is None, where + field.name
            else:
                _same(value, getattr(orm, field.name), f"{where}{field.name}.")
        else:
            assert value == getattr(orm, field.name), where + field.name


def test_a_place_reads_as_its_enrolment(app, learner_with_places):
    with app.test_request_context("/"):
        places = places_of(learner_with_places)
        db.session.expire_all()
        orm = {
            e.id: e for e in db.session.query(Enrollment).filter_by(user_id=learner_with_places.id)
        }
        assert len(places) == len(orm) == 3
        seen_open = set()
        for place, offering_id in places:
            enrollment = orm[place.id]
            _same(place, enrollment, "")
            assert offering_id is not None
            if place.cohort is not None:
                assert place.cohort.has_started == enrollment.cohort.has_started
                assert place.cohort.is_open_for_work == enrollment.cohort.is_open_for_work
                seen_open.add(place.cohort.is_open_for_work)
            for language in ("es", "pt", "en", "fr"):
                with force_locale(language):
                    assert place.season.display_name == enrollment.season.display_name
                assert place.season.name_in(language) == enrollment.season.name_in(language)
        assert seen_open == {True, False}  # one cohort not open yet, one opened early
        assert [p.enrolled_at for p, _ in places] == sorted(
            (p.enrolled_at for p, _ in places), reverse=True
        )


def test_the_places_are_read_once_per_request(app, learner_with_places):
    from tests.learning.helpers import counting_queries

    assert learner_with_places.id  # loaded before counting
    with app.test_request_context("/"):
        with counting_queries() as found:
            first = places_of(learner_with_places)
            again = places_of(learner_with_places)
        assert again is first
        assert len(found) == 1
