"""The request boundary (app/__init__.py `commit_request`): it commits what a request wrote
and runs what waits for that commit, and sends nothing when a request never used the
database session (a visitor's page from the page cache)."""

import contextvars

from flask import Response
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.core.db import after_commit
from app.core.models import OutboxMessage
from app.extensions import db


def _in_own_request(app, work):
    """`work()` inside a request of its own (its own session), then the request's end."""

    def run():
        with app.test_request_context("/"):
            work()
            return app.process_response(Response("ok"))

    return contextvars.Context().run(run)


def _outbox_count():
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_an_object_added_and_never_flushed_is_committed(app):
    def work():
        db.session.add(OutboxMessage(recipient="a@example.org", subject="s", body="b"))

    _in_own_request(app, work)
    assert _outbox_count() == 1


def test_a_callback_waiting_for_the_commit_runs_though_nothing_was_written(app):
    ran = []
    _in_own_request(app, lambda: after_commit(lambda: ran.append(True)))
    assert ran == [True]


def test_a_failed_request_keeps_nothing(app):
    def run():
        with app.test_request_context("/"):
            db.session.add(OutboxMessage(recipient="a@example.org", subject="s", body="b"))
            db.session.flush()
            app.process_response(Response("no", status=422))

    contextvars.Context().run(run)
    assert _outbox_count() == 0


def test_a_visitors_page_from_the_cache_begins_and_commits_nothing(app, client, small_course):
    client.get("/courses")  # rendered and kept
    began, committed = [], []

    def on_begin(session, transaction, connection):
        began.append(session)

    def on_commit(session):
        committed.append(session)

    event.listen(Session, "after_begin", on_begin)
    event.listen(Session, "after_commit", on_commit)
    try:
        assert client.get("/courses").status_code == 200
    finally:
        event.remove(Session, "after_begin", on_begin)
        event.remove(Session, "after_commit", on_commit)
    assert began == [] and committed == []
