"""An administrator's page about a person: their places, waiting lists, quiz attempts,
capstone versions, certificates, sessions and security events; actions (more attempts, the
confirmation sent again, a place withdrawn, sessions ended) each kept with who and why."""

import re

from sqlalchemy import func, select

from app.accounts.models import AccountAction, Role
from app.catalog.models import Item
from app.extensions import db
from app.learning import services as learning
from app.learning.models import QuizAttempt
from app.seasons.models import Enrollment
from tests.capstones.helpers import capstone_cohort, enrolled_learner, enrollment_of, osh_course
from tests.capstones.helpers import start as start_capstone
from tests.conftest import csrf_token, login, outbox
from tests.learning.helpers import counting_queries, main_of
from tests.seasons.factories import enroll, make_cohort


def first_quiz(course) -> Item:
    return db.session.scalar(
        select(Item).where(Item.course_id == course.id, Item.kind == "quiz").order_by(Item.position)
    )


def page_of(client, person) -> str:
    response = client.get(f"/admin/people/{person.id}")
    assert response.status_code == 200
    return main_of(response.get_data(as_text=True))


def history(person) -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        select(AccountAction.action, AccountAction.actor_id, AccountAction.reason)
        .where(AccountAction.user_id == person.id)
        .order_by(AccountAction.id)
    ).all()


def test_the_page_shows_places_waiting_lists_attempts_projects(client, make_user, small_course):
    admin = make_user(role=Role.ADMIN, locale="en")
    cohort = capstone_cohort(seats=1)
    person = enrolled_learner(cohort, full_name="Paula Persona")
    start_capstone(person)
    full = make_cohort(osh_course(), seats=1, name="Llena")
    enroll(make_user(), osh_course(), full)
    place = enroll(person, small_course)
    quiz = first_quiz(small_course)
    db.session.add(QuizAttempt(enrollment_id=place.id, item_id=quiz.id, number=1, answers={},
                               results=[], score=40, passed=False))  # fmt: skip
    db.session.commit()
    login(client, admin)
    page = page_of(client, person)
    assert "Courses and places" in page and cohort.name in page
    assert f"/admin/enrollments/{enrollment_of(person).id}/remove" in page
    assert "Capstone projects" in page and "Started, not submitted" in page
    assert "Quiz attempts" in page and "40%" in page
    assert f"/tutor/enrollments/{place.id}/attempts" in page


def test_a_confirmation_sent_again_is_kept_with_who_and_why(client, make_user):
    admin = make_user(role=Role.ADMIN, locale="en")
    person = make_user(confirmed=False)
    login(client, admin)
    url = f"/admin/people/{person.id}/resend-confirmation"
    token = csrf_token(client, f"/admin/people/{person.id}")
    before = len(outbox(person.email))
    refused = client.post(url, data={"confirm-csrf_token": token, "confirm-reason": " "})
    assert refused.status_code == 200 and "Give the reason" in refused.get_data(as_text=True)
    assert len(outbox(person.email)) == before and history(person) == []
    sent = client.post(
        url, data={"confirm-csrf_token": token, "confirm-reason": "She never got the first mail"}
    )
    assert sent.status_code == 302
    assert len(outbox(person.email)) == before + 1
    assert "/confirm/" in outbox(person.email)[-1].body
    assert history(person) == [("confirmation_resent", admin.id, "She never got the first mail")]
    page = page_of(client, person)
    assert "Confirmation mail sent again" in page and admin.full_name in page


def test_a_confirmed_person_is_not_sent_a_confirmation(client, make_user):
    admin = make_user(role=Role.ADMIN, locale="en")
    person = make_user()
    login(client, admin)
    url = f"/admin/people/{person.id}/resend-confirmation"
    token = csrf_token(client, f"/admin/people/{person.id}")
    response = client.post(
        url, data={"confirm-csrf_token": token, "confirm-reason": "Just in case"}
    )
    assert "already confirmed" in response.get_data(as_text=True)
    assert outbox(person.email) == [] and history(person) == []


def test_a_place_withdrawn_and_attempts_given_are_kept_in_the_history(
    client, make_user, small_course
):
    admin = make_user(role=Role.ADMIN, locale="en")
    person = make_user()
    place = enroll(person, small_course)
    cohort = capstone_cohort()
    other = enroll(person, osh_course(), cohort)
    quiz = first_quiz(osh_course())
    db.session.commit()
    learning.grant_attempts(other, quiz, 2, "Connection lost", by=admin, number=1)
    db.session.commit()
    login(client, admin)
    url = f"/admin/enrollments/{place.id}/remove"
    assert client.post(url, data={"csrf_token": csrf_token(client, url)}).status_code == 200
    assert db.session.get(Enrollment, place.id) is not None  # no reason: nothing removed
    response = client.post(
        url, data={"csrf_token": csrf_token(client, url), "reason": "Asked to leave by mail"}
    )
    assert response.status_code == 302
    kept = history(person)
    assert ("withdrawn", admin.id, "Asked to leave by mail") in kept
    assert ("attempts_granted", admin.id, "Connection lost") in kept
    page = page_of(client, person)
    assert "Place withdrawn" in page and "Asked to leave by mail" in page


def test_the_page_runs_the_same_queries_for_few_and_many_places(client, make_user):
    from tests.learning.helpers import build_course

    admin = make_user(role=Role.ADMIN, locale="en")
    person = make_user()
    courses = [build_course(f"c{n}", modules=1) for n in range(8)]
    db.session.commit()
    for course in courses[:2]:
        enroll(person, course)
    db.session.commit()
    login(client, admin)
    url = f"/admin/people/{person.id}"
    client.get(url)
    with counting_queries() as few:
        client.get(url)
    for course in courses[2:]:
        enroll(person, course)
    for n in range(20):
        enroll(make_user(), courses[n % 8])
    db.session.commit()
    with counting_queries() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), "\n\n".join(many)
    assert len(re.findall(r"/admin/enrollments/\d+/remove", page_of(client, person))) == 8


def test_only_administrators_act_about_a_person(client, make_user):
    person = make_user(confirmed=False)
    login(client, make_user(role=Role.TUTOR))
    url = f"/admin/people/{person.id}/resend-confirmation"
    token = csrf_token(client, "/")
    response = client.post(url, data={"confirm-csrf_token": token, "confirm-reason": "because"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(AccountAction)) == 0
