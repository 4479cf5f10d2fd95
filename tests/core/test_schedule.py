"""The schedule kept in the code: each due entry's task is asked for once, however many
processes look at the same moment; daily entries run at their time of day."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.core import jobs, schedule
from app.core.models import Task
from app.extensions import db

RUNS = []


@jobs.task("tests.schedule.tick")
def tick() -> None:
    RUNS.append(1)


@pytest.fixture
def ticking():
    """A test entry every hour, on top of the real schedule; removed after."""
    RUNS.clear()
    entry = schedule.every("tests.tick", "tests.schedule.tick", timedelta(hours=1))
    yield entry
    schedule.SCHEDULE.pop("tests.tick", None)


def test_the_real_schedule_holds_the_digest_the_reminders_and_pending_mail():
    entries = {e.name: (e.task, e.interval, e.at) for e in schedule.SCHEDULE.values()}
    assert entries["notifications.digest"] == (
        "notifications.digest", timedelta(days=1), time(6, 0)
    )  # fmt: skip
    assert entries["capstones.remind"][1] == timedelta(days=1)
    assert entries["mail.send_pending"][1] == timedelta(minutes=15)
    assert all(e.task in jobs.TASKS for e in schedule.SCHEDULE.values())


def test_a_due_entry_runs_once_then_waits_for_its_next_time(app, ticking):
    now = datetime(2030, 5, 1, 10, 0, tzinfo=UTC)
    assert "tests.tick" in schedule.enqueue_due(now)
    assert "tests.tick" not in schedule.enqueue_due(now + timedelta(minutes=59))
    # Down for a day: one run, not 24.
    assert "tests.tick" in schedule.enqueue_due(now + timedelta(hours=25))
    assert "tests.tick" not in schedule.enqueue_due(now + timedelta(hours=25, minutes=1))
    assert len(RUNS) == 2


def test_daily_entries_wait_for_their_time_of_day(app):
    morning = datetime(2030, 5, 1, 5, 0, tzinfo=UTC)
    assert "notifications.digest" not in schedule.enqueue_due(morning)
    assert "notifications.digest" in schedule.enqueue_due(morning.replace(hour=6, minute=1))
    assert "notifications.digest" not in schedule.enqueue_due(morning.replace(hour=23))
    assert "notifications.digest" in schedule.enqueue_due(morning + timedelta(days=1, hours=2))


def test_many_processes_looking_at_once_ask_for_the_task_once(app, ticking):
    now = datetime(2030, 5, 1, 10, 0, tzinfo=UTC)
    with app.app_context():
        schedule.enqueue_due(now - timedelta(hours=2))  # the row exists, due again at `now`
    RUNS.clear()
    start = threading.Barrier(8)
    errors = []

    def look():
        with app.app_context():
            try:
                start.wait()
                schedule.enqueue_due(now)
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=look) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(RUNS) == 1
    asked = db.session.scalar(select(func.count(Task.id)).where(Task.name == "tests.schedule.tick"))
    assert asked <= 2  # the one before and the one now (done tasks may be cleared)


def test_the_digest_goes_out_from_the_schedule(app, make_user):
    from app.discussions.models import ThreadKind
    from app.notifications import services
    from tests.conftest import outbox
    from tests.discussions.helpers import make_scene, start

    scene = make_scene(make_user)
    services.set_preferences(scene.learner, {"discussions.announcement": "digest"})
    db.session.commit()
    start(scene, author=scene.tutor, kind=ThreadKind.ANNOUNCEMENT, title="Sesión")
    assert not outbox(scene.learner.email)
    tomorrow = datetime.now(UTC) + timedelta(days=1, hours=1)
    schedule.enqueue_due(tomorrow.replace(hour=5))  # the schedule first looks before 06:00
    assert not outbox(scene.learner.email)
    schedule.enqueue_due(tomorrow.replace(hour=6, minute=30))
    schedule.enqueue_due(tomorrow.replace(hour=7, minute=30))  # once a day
    (digest,) = outbox(scene.learner.email)
    assert "Sesión" in digest.body
