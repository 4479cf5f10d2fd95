"""Quizzes: graded on the server, answers never in the page, feedback after submission,
pass mark, attempt limit, best attempt, resent forms, decimal commas, learners kept apart.

small-example's basics-quiz: q0 single (choice 0 correct), q1 multiple (0 and 1), q2
true/false (true), q3 numeric (2, tolerance 0); pass mark 50%, two attempts. These are rules of
the quiz, so the course is written with the models (build_quiz_course), not imported from the
package each time; one test checks that the package still has that quiz.
"""

import re

import pytest

from app.accounts.models import Role
from app.learning.models import ItemProgress, QuizAttempt
from tests.conftest import csrf_token, login
from tests.learning.helpers import (
    BASICS_QUIZ,
    QUIZ_URL,
    RIGHT,
    WRONG,
    attempts_of,
    build_quiz_course,
    count_rows,
    done_slugs,
    enroll_by_form,
    flashes,
    main_of,
    submit_quiz,
    tags_of,
)


@pytest.fixture
def quiz_course(app):
    return build_quiz_course()


@pytest.fixture
def learner(client, login_as, quiz_course):
    user = login_as(Role.LEARNER, locale="en")
    assert enroll_by_form(client).status_code == 302
    return user


def answers(**changes):
    """The right answers, with some questions answered otherwise (None: left blank)."""
    given = dict(RIGHT)
    for key, value in changes.items():
        if value is None:
            given.pop(key)
        else:
            given[key] = value
    return given


@pytest.mark.parametrize(
    "given, results",
    [
        (answers(), [True, True, True, True]),
        (answers(q0="1"), [False, True, True, True]),
        (answers(q0=["0", "1"]), [False, True, True, True]),  # two picks for a single choice
        (answers(q1=["0"]), [True, False, True, True]),  # only part of the right choices
        (answers(q1=["0", "1", "2"]), [True, False, True, True]),  # and one wrong one more
        (answers(q1=["1", "0"]), [True, True, True, True]),  # order does not matter
        (answers(q2="false"), [True, True, False, True]),
        (answers(q3="3"), [True, True, True, False]),
        (answers(q3="2.0"), [True, True, True, True]),
        (answers(q3="2,0"), [True, True, True, True]),  # decimal comma
        (answers(q3=" 2 "), [True, True, True, True]),
        (answers(q3="two"), [True, True, True, False]),
        (answers(q3="2,5"), [True, True, True, False]),
        (dict(WRONG), [False, False, False, False]),
    ],
)
def test_each_question_kind_is_graded_on_the_server(client, learner, given, results):
    response = submit_quiz(client, given, 1)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{QUIZ_URL}#result"
    (attempt,) = attempts_of(learner)
    assert attempt.number == 1
    assert attempt.results == results
    assert attempt.score == round(100 * sum(results) / 4)
    assert attempt.passed == (attempt.score >= 50)


@pytest.mark.parametrize(
    "given, score, passed",
    [
        (answers(q0="1", q1=["2"]), 50, True),  # exactly the pass mark passes
        (answers(q0="1", q1=["2"], q2="false"), 25, False),
        (answers(q0="1"), 75, True),
    ],
)
def test_the_pass_mark_decides(client, learner, given, score, passed):
    response = submit_quiz(client, given, 1, follow_redirects=True)
    (attempt,) = attempts_of(learner)
    assert (attempt.score, attempt.passed) == (score, passed)
    assert ("basics-quiz" in done_slugs(learner)) == passed
    messages = flashes(response.get_data(as_text=True))
    if passed:
        assert ("success", f"Passed with {score}%.") in messages
    else:
        assert ("error", f"Not passed: {score}%.") in messages


def test_the_quiz_page_never_reveals_the_answers(client, learner):
    html = client.get(QUIZ_URL).get_data(as_text=True)
    page = main_of(html)
    assert "<script" not in html
    form = page[page.index('<form method="post" action="/learn/small-example/basics-quiz/quiz"') :]
    form = form[: form.index("</form>") + len("</form>")]
    tags = tags_of(form)
    for tag, attrs in tags:
        for name, value in attrs.items():
            assert not name.startswith("data-"), (tag, attrs)
            assert "correct" not in name.lower() and "correct" not in (value or "").lower(), attrs
            assert name not in ("checked", "selected"), (tag, attrs)
    # Right and wrong choices are written alike: only their id and value differ.
    for question in ("q0", "q1", "q2"):
        inputs = [attrs for tag, attrs in tags if tag == "input" and attrs.get("name") == question]
        assert len(inputs) >= 2, question
        shapes = [{k: v for k, v in a.items() if k not in ("id", "value")} for a in inputs]
        assert all(shape == shapes[0] for shape in shapes), shapes
    numeric = [attrs for tag, attrs in tags if tag == "input" and attrs.get("name") == "q3"]
    assert len(numeric) == 1 and "value" not in numeric[0]
    # Nothing of the answer key, nor feedback, before submitting.
    for secret in ("tolerance", "pass_mark", "max_attempts", '"answer"', "It has one module."):
        assert secret not in html, secret
    assert 'id="result"' not in html


def test_feedback_per_question_appears_after_submission(client, learner):
    before = client.get(QUIZ_URL).get_data(as_text=True)
    assert "It has one module." not in before
    response = submit_quiz(client, answers(q1=["0"], q3="7"), 1, follow_redirects=True)
    html = main_of(response.get_data(as_text=True))
    assert 'id="result"' in html
    result = html[html.index('id="result"') : html.index("</section>")]
    assert "Attempt 1: 50% — passed" in result
    verdicts = re.findall(r"<strong>(Correct|Not correct)</strong>", result)
    assert verdicts == ["Correct", "Not correct", "Correct", "Not correct"]
    assert "It has one module." in result  # q0's feedback
    assert "Best score: 50%." in html


def test_the_quiz_needs_the_csrf_token(client, learner):
    response = client.post(f"{QUIZ_URL}/quiz", data={**RIGHT, "attempt": "1"})
    assert response.status_code == 400
    assert count_rows(QuizAttempt) == 0


def test_the_third_attempt_is_refused_with_a_message(client, learner):
    token = csrf_token(client, "/")
    submit_quiz(client, WRONG, 1, token)
    page = client.get(QUIZ_URL).get_data(as_text=True)
    assert "1 attempt left." in page and 'name="attempt" value="2"' in page
    submit_quiz(client, WRONG, 2, token)
    page = client.get(QUIZ_URL).get_data(as_text=True)
    assert "0 attempts left." in page
    assert 'action="/learn/small-example/basics-quiz/quiz"' not in page  # no form any more

    response = submit_quiz(client, RIGHT, 3, token, follow_redirects=True)
    assert ("error", "You have used every attempt at this quiz.") in flashes(
        response.get_data(as_text=True)
    )
    assert [a.number for a in attempts_of(learner)] == [1, 2]
    assert count_rows(QuizAttempt) == 2
    assert "basics-quiz" not in done_slugs(learner)


def test_an_out_of_date_attempt_number_is_refused(client, learner):
    token = csrf_token(client, "/")
    for number in ("2", "0", "-1", "x", ""):
        response = client.post(
            f"{QUIZ_URL}/quiz", data={**RIGHT, "attempt": number, "csrf_token": token}
        )
        assert response.status_code == 302
    assert count_rows(QuizAttempt) == 0
    response = client.get(QUIZ_URL)
    assert ("error", "This quiz page was out of date. Here is the current one.") in flashes(
        response.get_data(as_text=True)
    )


def test_fail_then_pass_marks_the_quiz_done(client, learner):
    token = csrf_token(client, "/")
    submit_quiz(client, WRONG, 1, token)
    assert "basics-quiz" not in done_slugs(learner)
    submit_quiz(client, RIGHT, 2, token)
    assert "basics-quiz" in done_slugs(learner)
    page = client.get(QUIZ_URL).get_data(as_text=True)
    assert "Best score: 100%." in page and "<strong>Done</strong>" in page


def test_after_a_pass_the_quiz_takes_no_more_attempts(client, learner):
    token = csrf_token(client, "/")
    submit_quiz(client, answers(q0="1"), 1, token)  # 75%
    assert "basics-quiz" in done_slugs(learner)
    page = main_of(client.get(QUIZ_URL).get_data(as_text=True))
    assert "You passed this quiz." in page
    assert "attempt left" not in page and "attempts left" not in page  # no "1 attempt left"
    assert 'action="/learn/small-example/basics-quiz/quiz"' not in page
    # The correct answers show now, so another attempt would be refused, spending nothing.
    response = submit_quiz(client, WRONG, 2, token, follow_redirects=True)
    assert ("error", "You have passed this quiz already.") in flashes(
        response.get_data(as_text=True)
    )
    assert [a.score for a in attempts_of(learner)] == [75]
    assert count_rows(ItemProgress) == 1
    page = main_of(client.get(QUIZ_URL).get_data(as_text=True))
    assert "Best score: 75%." in page and "Attempt 1: 75%" in page
    assert "<strong>Done</strong>" in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "25% done" in dashboard


def test_the_same_form_sent_twice_counts_once(client, learner):
    token = csrf_token(client, "/")
    first = submit_quiz(client, WRONG, 1, token)
    again = submit_quiz(client, RIGHT, 1, token)  # the same page's form, resent
    assert first.status_code == again.status_code == 302
    (attempt,) = attempts_of(learner)
    assert attempt.number == 1 and attempt.score == 0  # the first one counted
    assert count_rows(QuizAttempt) == 1
    page = client.get(QUIZ_URL).get_data(as_text=True)
    assert "1 attempt left." in page


def test_the_packages_basics_quiz_is_the_one_these_tests_build(small_course):
    quiz = next(i for m in small_course.modules for i in m.items if i.slug == "basics-quiz")
    assert quiz.content == BASICS_QUIZ
    required = [i.slug for m in small_course.modules for i in m.items if i.required]
    assert required[-1] == "basics-quiz" and len(required) == 4  # as build_quiz_course's


def test_a_learner_never_sees_another_learners_attempts(
    client, app, login_as, make_user, quiz_course
):
    first = login_as(Role.LEARNER, locale="en")
    enroll_by_form(client)
    token = csrf_token(client, "/")
    submit_quiz(client, answers(q0="1", q1=["2"], q2="false"), 1, token)  # 25%
    submit_quiz(client, answers(q0="1"), 2, token)  # 75%
    assert len(attempts_of(first)) == 2

    other_client = app.test_client()
    second = make_user(locale="en")
    login(other_client, second)
    assert enroll_by_form(other_client).status_code == 302
    page = main_of(other_client.get(QUIZ_URL).get_data(as_text=True))
    assert 'id="result"' not in page
    assert "Best score" not in page
    assert "75%" not in page and "25%" not in page
    assert "2 attempts left." in page
    assert 'name="attempt" value="1"' in page

    # B's first attempt is B's number 1, not a resend of A's.
    response = submit_quiz(other_client, WRONG, 1, csrf_token(other_client, "/"))
    assert response.status_code == 302
    (mine,) = attempts_of(second)
    assert mine.number == 1 and mine.score == 0
    page = main_of(other_client.get(QUIZ_URL).get_data(as_text=True))
    assert "Attempt 1: 0%" in page and "75%" not in page and "1 attempt left." in page
    assert "basics-quiz" not in done_slugs(second)
    # and A's attempts and page are untouched
    assert [a.score for a in attempts_of(first)] == [25, 75]
    page = main_of(client.get(QUIZ_URL).get_data(as_text=True))
    assert "Best score: 75%." in page and "Attempt 2: 75%" in page
