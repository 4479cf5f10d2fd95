"""Column helpers shared by every area: insert_or_ignore tells whether the row went in, on
SQLite and on PostgreSQL alike (callers hold seats on its answer)."""

from sqlalchemy import func, select

from app.core.db import insert_or_ignore, utcnow
from app.core.models import OutboxMessage
from app.extensions import db
from app.seasons.models import Enrollment
from tests.seasons.factories import offering_for


def test_insert_or_ignore_says_true_when_it_inserts_and_false_on_a_conflict(
    small_course, make_user
):
    learner = make_user()
    season = offering_for(small_course).season
    row = {"user_id": learner.id, "course_id": small_course.id, "season_id": season.id}
    assert insert_or_ignore(Enrollment, enrolled_at=utcnow(), **row) is True
    assert insert_or_ignore(Enrollment, enrolled_at=utcnow(), **row) is False
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1


def test_insert_or_ignore_works_for_a_table_without_a_unique_key_but_its_id(app):
    values = {"recipient": "a@example.org", "subject": "s", "body": "b"}
    assert insert_or_ignore(OutboxMessage, **values) is True
    assert insert_or_ignore(OutboxMessage, **values) is True
