"""Completion: recorded once, when every required item is done and every required quiz
passed, and announced once through the `course_completed` signal, even under a race."""

import threading

import pytest

from app.accounts.models import Role
from app.catalog.models import Item
from app.extensions import db
from app.learning import services
from app.learning.models import ItemProgress
from app.seasons.models import Enrollment
from tests.conftest import csrf_token
from tests.learning.helpers import (
    RIGHT,
    SMALL,
    WRONG,
    build_course,
    count_rows,
    enroll_by_form,
    enroll_directly,
    enrollment_of,
    flashes,
    item_by_slug,
    main_of,
    mark_done_by_form,
    submit_quiz,
)
from tests.seasons.factories import enroll


@pytest.fixture
def receipts():
    """Every `course_completed` signal sent during the test: the enrolment ids, in order."""
    received, lock = [], threading.Lock()

    def receiver(enrollment_id, **extra):
        with lock:
            received.append(enrollment_id)

    services.course_completed.connect(receiver)  # held strongly by this frame until the end
    yield received
    services.course_completed.disconnect(receiver)


@pytest.fixture
def learner(client, login_as, small_course):
    user = login_as(Role.LEARNER, locale="en")
    assert enroll_by_form(client).status_code == 302
    return user


def test_the_course_completes_when_every_item_is_done_and_the_quiz_passed(
    client, learner, receipts
):
    for slug in ("welcome", "checklist", "guide"):
        mark_done_by_form(client, slug)
        assert enrollment_of(learner).completed_at is None, slug
    assert receipts == []

    token = csrf_token(client, "/")
    response = submit_quiz(client, RIGHT, 1, token, follow_redirects=True)
    messages = flashes(response.get_data(as_text=True))
    assert ("success", "You have completed the course. Congratulations!") in messages
    enrollment = enrollment_of(learner)
    assert enrollment.completed_at is not None
    assert receipts == [enrollment.id]
    completed_at = enrollment.completed_at

    # Later activity changes neither the moment nor the signal count.
    submit_quiz(client, WRONG, 2, token)
    client.post(f"/learn/{SMALL}/welcome/done", data={"csrf_token": token})
    enroll_by_form(client)
    assert enrollment_of(learner).completed_at == completed_at
    assert receipts == [enrollment.id]

    dashboard = main_of(client.get("/dashboard").get_data(as_text=True))
    assert "Completed on" in dashboard and "100% done" in dashboard
    assert "Completed on" in client.get(f"/learn/{SMALL}").get_data(as_text=True)


def test_the_course_completes_on_the_last_item_after_the_quiz(client, learner, receipts):
    submit_quiz(client, RIGHT, 1)
    mark_done_by_form(client, "welcome")
    mark_done_by_form(client, "checklist")
    assert enrollment_of(learner).completed_at is None and receipts == []
    response = mark_done_by_form(client, "guide")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("success", "You have completed the course. Congratulations!") in flashes(page)
    enrollment = enrollment_of(learner)
    assert enrollment.completed_at is not None
    assert receipts == [enrollment.id]


def test_a_failed_quiz_keeps_the_course_open(client, learner, receipts):
    for slug in ("welcome", "checklist", "guide"):
        mark_done_by_form(client, slug)
    token = csrf_token(client, "/")
    submit_quiz(client, WRONG, 1, token)
    submit_quiz(client, {"q0": "1", "q1": ["0", "1"], "q2": "false", "q3": "3"}, 2, token)  # 25%
    assert enrollment_of(learner).completed_at is None
    assert receipts == []
    assert "Completed on" not in client.get("/dashboard").get_data(as_text=True)


def test_a_missing_item_keeps_the_course_open(client, learner, receipts):
    mark_done_by_form(client, "welcome")
    mark_done_by_form(client, "guide")
    submit_quiz(client, RIGHT, 1)
    assert enrollment_of(learner).completed_at is None
    assert receipts == []


def test_optional_items_are_not_needed(client, login_as, receipts):
    course = build_course(
        "with-optional",
        modules=1,
        items_per_module=3,
        languages=["es", "en"],
        lesson_html={"es": "<p>Hola</p>", "en": "<p>Hello</p>"},
    )
    optional = item_by_slug("with-optional", "m0-i2")
    optional.required = False
    db.session.commit()
    user = login_as(Role.LEARNER, locale="en")
    enroll_by_form(client, "with-optional")
    mark_done_by_form(client, "m0-i0", "with-optional")
    assert enrollment_of(user, "with-optional").completed_at is None
    mark_done_by_form(client, "m0-i1", "with-optional")
    enrollment = enrollment_of(user, "with-optional")
    assert enrollment.completed_at is not None
    assert receipts == [enrollment.id]
    assert course.id == enrollment.course_id


def test_one_learners_completion_is_theirs_alone(
    client, learner, make_user, small_course, receipts
):
    other = make_user()
    others = enroll_directly(other, small_course, done_items=3)
    db.session.commit()
    for slug in ("welcome", "checklist", "guide"):
        mark_done_by_form(client, slug)
    submit_quiz(client, RIGHT, 1)
    mine = enrollment_of(learner)
    assert mine.completed_at is not None
    db.session.expire_all()
    assert db.session.get(Enrollment, others.id).completed_at is None
    assert receipts == [mine.id]


def test_a_course_without_required_items_never_completes(app, make_user, receipts):
    course = build_course("all-optional", modules=1, items_per_module=2, required=False)
    enrollment = enroll_directly(make_user(), course)
    for item in (item_by_slug("all-optional", "m0-i0"), item_by_slug("all-optional", "m0-i1")):
        services.mark_done(enrollment, item)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).completed_at is None
    assert receipts == []


# The race: many requests finish the last item at once ---------------------------------------

THREADS = 20


def race_to_finish(app, enrollment_id, item_id):
    """THREADS threads, each with its own app context and session, call mark_done together."""
    barrier = threading.Barrier(THREADS, timeout=60)
    errors, lock = [], threading.Lock()

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                # Loaded after the barrier: a thread never holds a pooled connection while
                # waiting for the others.
                enrollment = db.session.get(Enrollment, enrollment_id)
                item = db.session.get(Item, item_id)
                services.mark_done(enrollment, item)
                db.session.commit()
            except Exception as error:  # collected and asserted on below
                db.session.rollback()
                with lock:
                    errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_last_items_complete_the_course_exactly_once(
    app, make_user, small_course, receipts, round_
):
    user = make_user()
    enrollment = enroll(user, small_course)
    services.mark_done(enrollment, item_by_slug(SMALL, "welcome"))
    services.mark_done(enrollment, item_by_slug(SMALL, "checklist"))
    quiz = item_by_slug(SMALL, "basics-quiz")
    right = {"0": ["0"], "1": ["0", "1"], "2": ["true"], "3": ["2"]}
    passed = services.submit_quiz(enrollment, quiz, 1, right)
    assert passed.passed
    last = item_by_slug(SMALL, "guide")
    db.session.commit()
    enrollment_id, last_id = enrollment.id, last.id
    assert enrollment.completed_at is None and receipts == []

    errors = race_to_finish(app, enrollment_id, last_id)

    assert errors == []
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment_id).completed_at is not None
    assert receipts == [enrollment_id]
    assert count_rows(ItemProgress, enrollment_id=enrollment_id, item_id=last_id) == 1
    assert count_rows(ItemProgress, enrollment_id=enrollment_id) == 4
