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


def test_pooled_connections_are_tried_before_use_on_a_database_server_only(app):
    """A server may have dropped a pooled connection; a SQLite file never does, and the
    try would be one more statement on every request."""
    assert db.engine.pool._pre_ping is (db.engine.dialect.name != "sqlite")


def test_the_try_before_use_follows_the_database_url(monkeypatch, tmp_path):
    from app.config import load_config

    for url, tried in (
        (f"sqlite:///{tmp_path}/aula.db", False),
        ("postgresql://aula@db.example/aula", True),
        ("postgres://aula@db.example/aula", True),
    ):
        monkeypatch.setenv("DATABASE_URL", url)
        options = load_config(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"]
        assert options["pool_pre_ping"] is tried, url


def test_equals_written_puts_the_value_in_the_sql_not_in_its_parameters(app):
    """For the condition of a partial index (status = 'pending'): SQLite cannot tell whether
    the index applies to a bound value, and prepares such a statement again on every run."""
    from sqlalchemy import event

    from app.certificates.models import NameCorrectionRequest, NameRequestStatus
    from app.core.db import equals_written

    sent = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    statement = select(NameCorrectionRequest.id).where(
        equals_written(NameCorrectionRequest.status, NameRequestStatus.PENDING)
    )
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        db.session.execute(statement).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    ((sql, parameters),) = sent
    assert "= 'pending'" in sql
    assert "pending" not in repr(parameters)
