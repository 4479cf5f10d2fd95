"""Quizzes with no dead ends: blank answers are refused and spend nothing, the learner sees
their own answers, the correct answers show only once the quiz is passed or spent (or always,
if the package says so), the learner who spent every attempt is told who can help, and that
person is mailed; tutors of the cohort and administrators give more attempts, with a reason.

The quiz is small-example's basics-quiz (tests/learning/helpers.py: BASICS_QUIZ, two
attempts, 50% passes), in a self-paced course (build_quiz_course) or a tutor-led one.
"""

import copy
import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.models import Course, CourseKind, Item
from app.core.models import OutboxMessage
from app.extensions import db
from app.learning import services
from app.learning.models import QuizAttempt, QuizAttemptGrant
from app.seasons.models import Enrollment
from tests.conftest import csrf_token, login, outbox
from tests.learning.helpers import (
    BASICS_QUIZ,
    QUIZ_URL,
    RIGHT,
    WRONG,
    build_course,
    build_quiz_course,
    count_rows,
    done_slugs,
    enroll_by_form,
    enrollment_of,
    flashes,
    main_of,
    submit_quiz,
    tags_of,
)
from tests.seasons.factories import days, enroll, make_cohort, offering_for
from tests.test_refusals import difference, snapshot

# Every wrong answer's text, and the feedback, as the page would show them once revealed.
FEEDBACK = "It has one module."
CORRECT_ANSWER = "Correct answer:"


@pytest.fixture
def quiz_course(app):
    return build_quiz_course()


@pytest.fixture
def learner(client, login_as, quiz_course):
    user = login_as(Role.LEARNER, locale="en", full_name="Lucia Learner")
    assert enroll_by_form(client).status_code == 302
    return user


def signed_in(app, user):
    """A client of its own, signed in as `user`."""
    other = app.test_client()
    login(other, user)
    return other


def grant_url(enrollment):
    return f"/tutor/enrollments/{enrollment.id}/attempts"


def quiz_item(course_slug="small-example"):
    return db.session.scalar(
        select(Item)
        .join(Course, Course.id == Item.course_id)
        .where(Item.slug == "basics-quiz", Course.slug == course_slug)
    )


def spend_every_attempt(client, token=None):
    token = token or csrf_token(client, "/")
    for number in (1, 2):
        assert submit_quiz(client, WRONG, number, token).status_code == 302


# Blank answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, message, blank",
    [
        ({}, "4 questions have no answer.", [0, 1, 2, 3]),
        ({"q0": "0"}, "3 questions have no answer.", [1, 2, 3]),
        ({**RIGHT, "q3": ""}, "1 question has no answer.", [3]),
        ({**RIGHT, "q3": "   "}, "1 question has no answer.", [3]),
        ({**RIGHT, "q1": []}, "1 question has no answer.", [1]),
        ({**RIGHT, "q2": ""}, "1 question has no answer.", [2]),
    ],
)
def test_blank_answers_are_refused_and_spend_nothing(client, learner, given, message, blank):
    before = snapshot()
    response = submit_quiz(client, given, 1)
    assert response.status_code == 422
    assert difference(before, snapshot()) == {}
    html = response.get_data(as_text=True)
    assert ("error", message) in flashes(html)
    # The same form again, the answers given kept, the blank questions marked beside them.
    errors = re.findall(r'<p class="error" id="q(\d)-error">', html)
    assert [int(q) for q in errors] == blank
    assert 'name="attempt" value="1"' in html
    if "q0" in given:
        assert re.search(r'id="q0-0" name="q0" value="0" checked', html)
    page = main_of(client.get(QUIZ_URL).get_data(as_text=True))
    assert "2 attempts left." in page


def test_blank_answers_are_refused_in_the_learners_language(client, login_as, quiz_course):
    login_as(Role.LEARNER, locale="es")
    enroll_by_form(client)
    response = submit_quiz(client, {"q0": "0"}, 1)
    assert response.status_code == 422
    assert ("error", "3 preguntas no tienen respuesta.") in flashes(response.get_data(as_text=True))
    response = submit_quiz(client, {**RIGHT, "q3": ""}, 1)
    assert ("error", "1 pregunta no tiene respuesta.") in flashes(response.get_data(as_text=True))
    assert count_rows(QuizAttempt) == 0


def test_every_refused_submission_spends_nothing(client, learner):
    token = csrf_token(client, "/")
    refused = [
        ({"q0": "0"}, 1),  # blank answers
        (RIGHT, 3),  # out of date
        (RIGHT, 0),
    ]
    for given, number in refused:
        before = snapshot()
        submit_quiz(client, given, number, token)
        assert difference(before, snapshot()) == {}, (given, number)
    spend_every_attempt(client, token)
    mails = count_rows(OutboxMessage)
    before = snapshot()
    response = submit_quiz(client, RIGHT, 3, token, follow_redirects=True)
    assert ("error", "You have used every attempt at this quiz.") in flashes(
        response.get_data(as_text=True)
    )
    assert difference(before, snapshot()) == {}
    assert count_rows(OutboxMessage) == mails


# What the learner sees ----------------------------------------------------------------


def plain(fragment):
    return re.sub(r"<[^>]+>", "", fragment).strip()


def result_of(html):
    page = main_of(html)
    return page[page.index('id="result"') : page.index("</section>")]


def test_after_a_failed_attempt_the_learner_sees_their_answers_but_not_the_correct_ones(
    client, learner
):
    given = {"q0": "1", "q1": ["0", "2"], "q2": "false", "q3": "3,5"}
    submit_quiz(client, given, 1)
    html = client.get(QUIZ_URL).get_data(as_text=True)
    result = result_of(html)
    assert re.findall(r"<strong>(Correct|Not correct)</strong>", result) == ["Not correct"] * 4
    answers = re.findall(r"Your answer: (.*?)\s*</li>", result, flags=re.S)
    assert [plain(a) for a in answers] == ["2", "Lesson; Video game", "False", "3,5"]
    # Nothing of the key: no correct answer, no explanation, no marked choice.
    assert CORRECT_ANSWER not in html and FEEDBACK not in html
    assert "correct answers and explanations show once you pass" in result
    for tag, attrs in tags_of(main_of(html)):
        assert "checked" not in attrs, (tag, attrs)
        assert not any(name.startswith("data-") for name in attrs), (tag, attrs)
    assert "1 attempt left." in html


def test_once_every_attempt_is_spent_the_correct_answers_and_explanations_show(client, learner):
    spend_every_attempt(client)
    html = client.get(QUIZ_URL).get_data(as_text=True)
    result = result_of(html)
    corrections = re.findall(r"Correct answer: (.*?)\s*(?:<br>|</li>)", result, flags=re.S)
    assert [plain(c) for c in corrections] == ["1", "Lesson; Quiz", "True", "2"]
    assert FEEDBACK in result
    assert "0 attempts left." in html


def test_once_passed_the_correct_answers_show_and_no_attempt_count(client, learner):
    submit_quiz(client, {**RIGHT, "q0": "1"}, 1)  # 75%: passed, q0 wrong
    html = main_of(client.get(QUIZ_URL).get_data(as_text=True))
    result = result_of(html)
    corrections = re.findall(r"Correct answer: (.*?)\s*(?:<br>|</li>)", result, flags=re.S)
    assert [plain(c) for c in corrections] == ["1"]
    assert FEEDBACK in result
    assert "attempts left" not in html and "attempt left" not in html
    assert "You have used every attempt" not in html


def test_the_package_may_show_the_answers_after_every_attempt(client, learner, quiz_course):
    item = quiz_item()
    item.content = {**copy.deepcopy(BASICS_QUIZ), "show_answers": "always"}
    db.session.commit()
    before = client.get(QUIZ_URL).get_data(as_text=True)
    assert CORRECT_ANSWER not in before and FEEDBACK not in before  # never before an attempt
    submit_quiz(client, WRONG, 1)
    html = client.get(QUIZ_URL).get_data(as_text=True)
    assert CORRECT_ANSWER in result_of(html) and FEEDBACK in result_of(html)
    assert "1 attempt left." in html


def test_show_answers_is_checked_by_the_package_schema():
    from app.learning.item_kinds import Quiz

    base = {
        "kind": "quiz",
        "slug": "q",
        "title": {"es": "Q"},
        "questions": [{"kind": "true_false", "prompt": {"es": "¿?"}, "answer": True}],
    }
    assert Quiz.model_validate(base).show_answers == "when_passed_or_spent"
    assert Quiz.model_validate({**base, "show_answers": "always"}).show_answers == "always"
    with pytest.raises(ValueError):
        Quiz.model_validate({**base, "show_answers": "never"})


# Spent: who can help, and they are told -----------------------------------------------


def test_a_self_paced_learner_who_spent_every_attempt_is_sent_to_the_administrators(
    client, learner, make_user
):
    admin = make_user(role=Role.ADMIN, locale="pt", full_name="Ana Admin")
    other_admin = make_user(role=Role.ADMIN, locale="en", full_name="Bruno Admin")
    make_user(role=Role.TUTOR, email="tutor@example.org")
    spend_every_attempt(client)
    page = main_of(client.get(QUIZ_URL).get_data(as_text=True))
    assert "You have used every attempt at this quiz." in page
    assert "administrators can give you another attempt and have been told" in page
    enrollment = enrollment_of(learner)
    (mail,) = outbox(admin.email)
    assert mail.subject == "Um participante usou todas as tentativas de um questionário"
    assert "Lucia Learner" in mail.body and f"/tutor/enrollments/{enrollment.id}/attempts" in (
        mail.body
    )
    (mail,) = outbox(other_admin.email)
    assert mail.subject == "A learner has used every attempt at a quiz"
    assert outbox("tutor@example.org") == []
    # The learner's one mail is the confirmation of their enrolment, nothing of the quiz.
    assert [m.subject for m in outbox(learner.email)] == [
        "You are enrolled in Example course, at your own pace"
    ]


def tutor_led_quiz_course():
    course = build_course(
        "led-course",
        kind=CourseKind.TUTOR_LED,
        languages=["es", "en"],
        modules=1,
        items_per_module=1,
    )
    db.session.add(
        Item(
            course_id=course.id,
            module=course.modules[0],
            slug="basics-quiz",
            kind="quiz",
            position=5,
            title={"es": "Cuestionario", "en": "Quiz"},
            content=copy.deepcopy(BASICS_QUIZ),
        )
    )
    db.session.flush()
    return course


@pytest.fixture
def cohort_scene(app, make_user):
    """A tutor-led course with a cohort led by two tutors, a learner in it, and a tutor of
    another cohort of the same course."""
    course = tutor_led_quiz_course()
    carla = make_user(role=Role.TUTOR, full_name="Carla Tutor", locale="es")
    diego = make_user(role=Role.TUTOR, full_name="Diego Tutor", locale="en")
    stranger = make_user(role=Role.TUTOR, full_name="Other Tutor", locale="en")
    cohort = make_cohort(course, tutors=[carla, diego], starts_on=days(-1), ends_on=days(60))
    make_cohort(course, tutors=[stranger], starts_on=days(-1), ends_on=days(60))
    learner = make_user(full_name="Lucia Learner", locale="en")
    enrollment = enroll(learner, course, cohort)
    db.session.commit()
    return {
        "course": course,
        "cohort": cohort,
        "tutors": (carla, diego),
        "stranger": stranger,
        "learner": learner,
        "enrollment": enrollment,
    }


LED_QUIZ = "/learn/led-course/basics-quiz"


def submit_led(client, answers, number, token):
    return client.post(
        f"{LED_QUIZ}/quiz", data={**answers, "attempt": str(number), "csrf_token": token}
    )


def test_a_cohort_learner_who_spent_every_attempt_is_told_their_tutors_names(
    client, cohort_scene, make_user
):
    admin = make_user(role=Role.ADMIN)
    login(client, cohort_scene["learner"])
    token = csrf_token(client, "/")
    submit_led(client, WRONG, 1, token)
    assert count_rows(OutboxMessage) == 0  # one attempt left: nobody is bothered yet
    submit_led(client, WRONG, 2, token)
    page = main_of(client.get(LED_QUIZ).get_data(as_text=True))
    assert (
        "Your tutors, Carla Tutor, Diego Tutor, can give you another attempt and have been told."
        in page
    )
    carla, diego = cohort_scene["tutors"]
    enrollment = cohort_scene["enrollment"]
    (mail,) = outbox(carla.email)
    assert mail.subject == "Un participante usó todos los intentos de un cuestionario"
    assert "Hola, Carla Tutor:" in mail.body
    assert f"http://localhost/tutor/enrollments/{enrollment.id}/attempts" in mail.body or (
        f"/tutor/enrollments/{enrollment.id}/attempts" in mail.body
    )
    (mail,) = outbox(diego.email)
    assert mail.subject == "A learner has used every attempt at a quiz"
    assert outbox(cohort_scene["stranger"].email) == [] and outbox(admin.email) == []


def test_an_optional_quiz_spent_sends_nobody(client, learner, make_user):
    make_user(role=Role.ADMIN)
    quiz_item().required = False
    db.session.commit()
    mails_before = count_rows(OutboxMessage)  # the learner's enrolment confirmation
    spend_every_attempt(client)
    page = main_of(client.get(QUIZ_URL).get_data(as_text=True))
    assert "This quiz is optional" in page
    assert count_rows(OutboxMessage) == mails_before


# Granting more attempts ---------------------------------------------------------------


def grant_form(client, enrollment, token=None, **fields):
    """Post the grant page's form as a browser does (its grant number read from the page)."""
    page = client.get(grant_url(enrollment)).get_data(as_text=True)
    found = re.search(r'name="number" type="hidden" value="(\d+)"', page)
    token = token or csrf_token(client, grant_url(enrollment))
    data = {
        "quiz": str(quiz_item("led-course").id),
        "attempts": "1",
        "reason": "Ill on the day",
        "number": found.group(1) if found else "1",
    }
    data.update(fields)
    return client.post(grant_url(enrollment), data={**data, "csrf_token": token})


def test_a_tutor_of_the_cohort_grants_an_attempt_that_is_used_once(app, client, cohort_scene):
    scene = cohort_scene
    learner_client = app.test_client()
    login(learner_client, scene["learner"])
    token = csrf_token(learner_client, "/")
    submit_led(learner_client, WRONG, 1, token)
    submit_led(learner_client, WRONG, 2, token)

    carla, _diego = scene["tutors"]
    login(client, carla)
    roster = client.get(f"/tutor/cohorts/{scene['cohort'].id}").get_data(as_text=True)
    assert f'href="{grant_url(scene["enrollment"])}"' in roster
    page = client.get(grant_url(scene["enrollment"]))
    assert page.status_code == 200
    assert "Lucia Learner" in page.get_data(as_text=True)
    response = grant_form(client, scene["enrollment"], reason="  Ill on the exam day  ")
    assert response.status_code == 302
    (grant,) = db.session.scalars(select(QuizAttemptGrant)).all()
    assert (grant.attempts, grant.reason, grant.granted_by_id) == (
        1,
        "Ill on the exam day",
        carla.id,
    )
    assert grant.granted_at is not None
    history = client.get(grant_url(scene["enrollment"])).get_data(as_text=True)
    assert "Ill on the exam day" in history and "Carla Tutor" in history

    page = main_of(learner_client.get(LED_QUIZ).get_data(as_text=True))
    assert "1 attempt left." in page and 'name="attempt" value="3"' in page
    assert CORRECT_ANSWER not in page  # not spent any more: the key hides again
    assert submit_led(learner_client, WRONG, 3, token).status_code == 302
    before = snapshot()
    response = submit_led(learner_client, RIGHT, 4, token)
    assert response.status_code == 302
    assert difference(before, snapshot()) == {}  # the granted attempt counted once
    enrollment = db.session.get(Enrollment, scene["enrollment"].id)
    assert [a.number for a in services.attempts_of(enrollment, quiz_item("led-course"))] == [
        1,
        2,
        3,
    ]
    # Another grant, then a pass.
    grant_form(client, scene["enrollment"], attempts="2", reason="Second chance")
    assert submit_led(learner_client, RIGHT, 4, token).status_code == 302
    assert "basics-quiz" in done_slugs(scene["learner"], "led-course")
    page = main_of(learner_client.get(LED_QUIZ).get_data(as_text=True))
    assert "You passed this quiz." in page and "attempt" not in page.split("Best score")[0][-40:]


def test_grants_are_refused_to_people_not_tutoring_that_cohort(app, client, cohort_scene):
    scene = cohort_scene
    enrollment = scene["enrollment"]
    for person in (scene["stranger"], scene["learner"]):
        client = signed_in(app, person)
        token = csrf_token(client, "/")
        assert client.get(grant_url(enrollment)).status_code == 403
        before = snapshot()
        assert grant_form(client, enrollment, token).status_code == 403
        assert difference(before, snapshot()) == {}
    assert client.get("/tutor/enrollments/999999/attempts").status_code in (403, 404)


def test_an_administrator_grants_for_a_self_paced_place_and_a_tutor_cannot(
    app, client, learner, make_user
):
    enrollment = enrollment_of(learner)
    tutor = make_user(role=Role.TUTOR)
    assert signed_in(app, tutor).get(grant_url(enrollment)).status_code == 403
    admin = make_user(role=Role.ADMIN)
    client = signed_in(app, admin)
    token = csrf_token(client, grant_url(enrollment))
    response = client.post(
        grant_url(enrollment),
        data={
            "quiz": str(quiz_item().id),
            "attempts": "3",
            "reason": "Lost connection",
            "number": "1",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert services.granted_attempts(enrollment, quiz_item()) == 3


HOSTILE = [
    {"reason": ""},
    {"reason": "   "},
    {"reason": "x" * 501},
    {"reason": "x" * 100_000},
    {"reason": "bad\x00reason"},
    {"reason": "colour \x1b[31m red"},
    {"attempts": "0"},
    {"attempts": "-1"},
    {"attempts": "11"},
    {"attempts": "99999999999999999999999"},
    {"attempts": "1.5"},
    {"attempts": "one"},
    {"attempts": ""},
    {"quiz": "0"},
    {"quiz": "not a number"},
]


@pytest.mark.parametrize("fields", HOSTILE, ids=lambda f: repr(f)[:40])
def test_hostile_grants_are_refused_and_change_nothing(client, cohort_scene, fields):
    carla, _diego = cohort_scene["tutors"]
    login(client, carla)
    before = snapshot()
    response = grant_form(client, cohort_scene["enrollment"], **fields)
    assert response.status_code == 422
    assert difference(before, snapshot()) == {}
    assert 'class="error' in response.get_data(as_text=True)


def test_a_quiz_of_another_course_cannot_be_named(client, cohort_scene, quiz_course):
    carla, _diego = cohort_scene["tutors"]
    login(client, carla)
    before = snapshot()
    response = grant_form(client, cohort_scene["enrollment"], quiz=str(quiz_item().id))
    assert response.status_code == 422
    assert difference(before, snapshot()) == {}


def test_the_service_refuses_what_the_form_would(cohort_scene):
    enrollment = cohort_scene["enrollment"]
    item = quiz_item("led-course")
    carla, _diego = cohort_scene["tutors"]
    for attempts, reason, by in [
        (1, "ok", cohort_scene["stranger"]),
        (1, "ok", cohort_scene["learner"]),
        (0, "ok", carla),
        (11, "ok", carla),
        (1, "", carla),
        (1, "x" * 501, carla),
        (1, "a\x07b", carla),
    ]:
        with pytest.raises(services.GrantRefused):
            services.grant_attempts(enrollment, item, attempts, reason, by, 1)
    assert count_rows(QuizAttemptGrant) == 0


def test_an_unlimited_quiz_needs_no_grant(app, client, learner, make_user):
    item = quiz_item()
    item.content = {**copy.deepcopy(BASICS_QUIZ), "max_attempts": 0}
    db.session.commit()
    token = csrf_token(client, "/")
    for number in range(1, 5):
        submit_quiz(client, WRONG, number, token)
    page = main_of(client.get(QUIZ_URL).get_data(as_text=True))
    assert "Unlimited attempts." in page and 'name="attempt" value="5"' in page
    assert CORRECT_ANSWER not in page  # never spent, so never given away
    admin = make_user(role=Role.ADMIN, locale="en")
    html = signed_in(app, admin).get(grant_url(enrollment_of(learner))).get_data(as_text=True)
    assert "no limit" in html and "Give more attempts" not in html
    with pytest.raises(services.GrantRefused):
        services.grant_attempts(enrollment_of(learner), item, 1, "why", admin, 1)


def test_the_admin_roster_links_to_the_grant_page(client, cohort_scene, make_user):
    login(client, make_user(role=Role.ADMIN))
    page = client.get(f"/admin/cohorts/{cohort_scene['cohort'].id}").get_data(as_text=True)
    assert f'href="{grant_url(cohort_scene["enrollment"])}"' in page


def test_the_grant_page_runs_the_same_queries_however_many_grants(app, cohort_scene):
    from tests.learning.helpers import counting_queries

    carla, _diego = cohort_scene["tutors"]
    client = signed_in(app, carla)
    url = grant_url(cohort_scene["enrollment"])
    item = quiz_item("led-course")
    enrollment = cohort_scene["enrollment"]
    services.grant_attempts(enrollment, item, 1, "Zero", carla, 1)
    db.session.commit()  # with no grant at all, the granters' query is not needed
    counts = []
    for _ in range(3):
        client.get(url)  # warm: the session's own reads
        with counting_queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
        for reason in ("One", "Two"):
            number = services.grants_made(enrollment) + 1
            services.grant_attempts(enrollment, item, 1, reason, carla, number)
        db.session.commit()
    assert counts[0] == counts[1] == counts[2], counts
    html = client.get(url).get_data(as_text=True)
    assert html.count("Motivo:") == 7


def test_a_grant_form_sent_twice_gives_once(client, cohort_scene):
    carla, _diego = cohort_scene["tutors"]
    login(client, carla)
    enrollment = cohort_scene["enrollment"]
    token = csrf_token(client, grant_url(enrollment))
    data = {
        "quiz": str(quiz_item("led-course").id),
        "attempts": "2",
        "reason": "Power cut",
        "number": "1",
        "csrf_token": token,
    }
    assert client.post(grant_url(enrollment), data=data).status_code == 302
    before = snapshot()
    assert client.post(grant_url(enrollment), data=data).status_code == 302  # resent
    assert difference(before, snapshot()) == {}
    # An out-of-date page asking for something else is refused, and says so.
    for number in ("1", "3", "0", "-1", "x", ""):
        response = client.post(
            grant_url(enrollment), data={**data, "reason": "Another", "number": number}
        )
        assert response.status_code == 422, number
        assert difference(before, snapshot()) == {}, number
    assert "out of date" in response.get_data(as_text=True) or "desactualizada" in (
        response.get_data(as_text=True)
    )
    assert services.granted_attempts(enrollment, quiz_item("led-course")) == 2
    assert [g.number for g in db.session.scalars(select(QuizAttemptGrant))] == [1]


def test_the_admin_offering_roster_links_to_the_grant_page(app, learner, make_user):
    enrollment = enrollment_of(learner)
    admin = signed_in(app, make_user(role=Role.ADMIN))
    offering = offering_for(db.session.get(Course, enrollment.course_id))
    page = admin.get(f"/admin/offerings/{offering.id}").get_data(as_text=True)
    assert f'href="{grant_url(enrollment)}"' in page


def test_the_learners_own_answer_is_shown_as_text(client, learner):
    hostile = '<script>alert("x")</script>'
    submit_quiz(client, {**WRONG, "q3": hostile, "q0": "99"}, 1)
    html = main_of(client.get(QUIZ_URL).get_data(as_text=True))
    assert hostile not in html
    assert "&lt;script&gt;alert(" in result_of(html)
    answers = re.findall(r"Your answer: (.*?)\s*</li>", result_of(html), flags=re.S)
    assert plain(answers[0]) == "?"  # a choice that does not exist
